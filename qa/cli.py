"""The ``qa`` command: index | search | ask | serve | eval | eval-diff.

Settings come from ``qa.config.Settings``: defaults, then ``QA_*`` environment variables,
then these flags. Bad input ends with one message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.config import CHOICES, Settings, package_version, to_bool
from qa.errors import UserError

if TYPE_CHECKING:  # the command's modules load lazily: `qa --help` imports no model library
    from qa.evaluation.evaluate import EvalResult
    from qa.evaluation.questions import Question
    from qa.retrieval.filters import Filters
    from qa.service.pipeline import Pipeline

EXIT_FAILURE = 1
EXIT_USAGE = 2
RETRIEVER_DEPTH = 20  # passages `qa eval --mode retriever` ranks per question unless --top-k says


class UsageError(UserError):
    """A problem with what the user asked for; printed without a traceback."""


# Every setting is a flag (``--chunk-words`` for ``chunk_words``), shown in the group of what it
# touches, with one line of help; each command lists only the groups it uses.
SETTING_GROUPS: dict[str, dict[str, str]] = {
    "corpus and index": {
        "corpus": "folder or file of articles, repeatable (default: the index's, else corpus/)",
        "index_dir": "index folder",
        "chunk_words": "words per chunk",
        "chunk_overlap_words": "words two neighbouring chunks share",
        "max_article_chars": "longer articles are cut here, with a warning",
        "folder_sources": "an article without a source takes its first folder's name (true/false)",
        "dense_model": "sentence-transformers model name or folder",
        "bm25_k1": "BM25 term saturation",
        "bm25_b": "BM25 length normalization",
        "embed_batch_size": "texts embedded per batch",
        "engine": "where qa index reads, chunks and embeds: here (local) or on Ray",
        "ray_address": "Ray cluster to join, e.g. ray://head:10001 (empty: a local Ray)",
        "ray_workers": "embedding actors on Ray",
        "ray_gpus_per_worker": "GPUs each Ray embedding actor takes",
        "dense_index": "flat (exact), ivf or hnsw (approximate), or auto by size",
        "approximate_from": "chunks from which auto builds an approximate index",
    },
    "retrieval": {
        "candidates": "passages each retriever proposes before fusion",
        "fusion": "how the two rankings are fused",
        "rrf_k": "reciprocal rank fusion's k",
        "dense_weight": "share of the dense retriever in fusion (0..1)",
        "ivf_probe": "IVF lists searched per question",
        "hnsw_ef_search": "HNSW candidates explored per question",
    },
    "reader": {
        "reader": "fast, accurate, cascade, or the folder of a question-answering model",
        "cascade_accurate": "the reader the cascade asks when the fast one is unsure",
        "cascade_unsure_below": "the fast reader is unsure when its best span scores under this",
        "cascade_window_sentences": "sentences either side of each fast candidate that the "
        "cascade's accurate reader re-reads",
        "cascade_window_candidates": "how many of the fast reader's best candidates the "
        "cascade's accurate reader re-reads",
        "model_cache": "where base models assembled from PyPI parts are unpacked",
        "max_seq_len": "tokens per reader window",
        "doc_stride": "tokens two windows of a long passage share",
        "max_answer_tokens": "longest answer span, in tokens",
        "max_question_tokens": "longer questions are refused",
        "reader_batch_size": "windows per forward pass",
        "reader_precision": "reader weights in memory (auto: bfloat16 where computed natively; "
        "onnx-int8: int8 on ONNX Runtime, CPU only)",
        "reader_device": "where the reader runs (auto: a GPU when torch sees one)",
        "rank_decay": "answer score = reader score x passage rank ^ -rank_decay",
        "conflict_ratio": "answers of other articles within this share of the best are weighed "
        "against it: when they differ, the articles disagree (and the cascade re-reads)",
        "left_place_threshold": "a place's successor counts from this score in a later article "
        "that says the place was left",
        "locating_phrase_ratio": "asked where, a span with its locating phrase stands in for the "
        "span when it scores at least this share of it (above 1: never)",
    },
    "serving": {
        "read_batch_questions": "questions one reader pass takes at most",
        "request_deadline": "seconds for a request's headers and body to arrive, in all",
        "connections_per_address": "open connections one client address may hold",
        "max_waiting_passages": "passages waiting to be read past which requests get 503",
        "max_batch_passages": "questions x top_k one batch request may ask for",
        "answer_cache_size": "answers kept for repeated questions (0: none)",
    },
    "machine": {"threads": "CPU threads for the models"},
}
# Settings that commands take as their own flags, with a meaning of their own (e.g. --top-k).
COMMAND_FLAGS = ("top_k", "no_answer_threshold")
# --corpus may be given more than once (an index over several folders or files); the corpus
# setting (QA_CORPUS) is the one used when there is neither a flag nor an index yet.
REPEATABLE = ("corpus",)
COMMAND_GROUPS = {
    "index": ("corpus and index", "machine"),
    "search": ("corpus and index", "retrieval", "machine"),
    "ask": ("corpus and index", "retrieval", "reader", "machine"),
    "eval": ("corpus and index", "retrieval", "reader", "machine"),
    "serve": ("corpus and index", "retrieval", "reader", "serving", "machine"),
}


def setting_flags() -> list[str]:
    """Every setting that is a flag of some command."""
    return [name for group in SETTING_GROUPS.values() for name in group]


def _settings_options(command: str) -> argparse.ArgumentParser:
    """The settings ``command`` uses, as flags in their groups, each with its default."""
    options = argparse.ArgumentParser(add_help=False)
    types: dict[str, Callable[[str], Any]] = {
        "int": int,
        "float": float,
        "str": str,
        "Path": Path,
        "bool": to_bool,
    }
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    defaults = Settings()
    for group_name in COMMAND_GROUPS[command]:
        group = options.add_argument_group(f"{group_name} (also QA_<NAME> environment variables)")
        for name, text in SETTING_GROUPS[group_name].items():
            names = ["--" + name.replace("_", "-")] + (["--index"] if name == "index_dir" else [])
            default = getattr(defaults, name)
            shown = f" (default: {default})" if name != "corpus" and default != "" else ""
            group.add_argument(
                *names,
                dest=name,
                type=types[str(fields[name].type)],
                choices=CHOICES.get(name),
                action="append" if name in REPEATABLE else "store",
                help=text.replace("%", "%%") + shown,
            )
    options.add_argument("-v", "--verbose", action="store_true")
    return options


def _filter_options() -> argparse.ArgumentParser:
    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("filters (inside retrieval, before the top-k cut)")
    group.add_argument(
        "--since", help="only articles dated on or after this ISO date (undated ones are left out)"
    )
    group.add_argument("--until", help="only articles dated on or before this ISO date")
    group.add_argument("--source", help="only articles of this source")
    group.add_argument(
        "--as-of", help="answer as the archive stood on this ISO date (articles up to it)"
    )
    return filters


def build_parser() -> argparse.ArgumentParser:
    filters = _filter_options()
    parser = argparse.ArgumentParser(
        prog="qa", description="Offline extractive question answering over news articles."
    )
    parser.add_argument("--version", action="version", version=f"qa-news {package_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser(
        "index",
        parents=[_settings_options("index")],
        help="build the index (only when the corpus or settings changed)",
    )
    index.add_argument(
        "--force", action="store_true", help="rebuild even when the index is current"
    )

    search = commands.add_parser(
        "search",
        parents=[_settings_options("search"), filters],
        help="show the best passages for a question",
    )
    search.add_argument("question")
    search.add_argument("--top-k", type=_positive, default=5)
    search.add_argument("--mode", choices=("hybrid", "bm25", "dense"), default="hybrid")
    search.add_argument("--json", action="store_true", help="print JSON")

    ask = commands.add_parser(
        "ask", parents=[_settings_options("ask"), filters], help="answer a question with citations"
    )
    ask.add_argument("question", nargs="?")
    ask.add_argument(
        "--batch",
        type=Path,
        help="answer every line of this file (- for standard input) as JSON lines",
    )
    ask.add_argument(
        "--top-k", type=_positive, help="passages to read (default: the top_k setting)"
    )
    ask.add_argument("--threshold", type=float, help="no-answer threshold for this question")
    ask.add_argument("--json", action="store_true", help="print the API's JSON")
    ask.add_argument(
        "--server",
        metavar="URL",
        help="ask a running qa serve (e.g. http://127.0.0.1:8000) instead of loading the models",
    )

    serve = commands.add_parser(
        "serve", parents=[_settings_options("serve")], help="serve the web page and JSON API"
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000, help="0: any free port")
    http_threads = (
        "threads taking HTTP requests (default: 64): enough to bring waiting requests to the "
        "reader's queue, where the bound on waiting work applies (one thread reads; --threads "
        "is torch's)"
    )
    serve.add_argument("--http-threads", type=_positive, default=64, help=http_threads)
    serve.add_argument(
        "--connection-limit",
        type=_positive,
        default=1000,
        help="open connections before new ones wait",
    )

    evaluate = commands.add_parser(
        "eval",
        parents=[_settings_options("eval"), filters],
        help="measure accuracy on a question set",
    )
    evaluate.add_argument("questions", type=Path, help="JSONL, SQuAD JSON or MRQA JSONL")
    evaluate.add_argument(
        "--mode", choices=("end-to-end", "retriever", "reader"), default="end-to-end"
    )
    evaluate.add_argument(
        "--articles", help="SQuAD only: articles N-M in file order (1-based), e.g. 37-48"
    )
    evaluate.add_argument("--top-k", type=_positive, help="passages retrieved per question")
    evaluate.add_argument("--threshold", type=float, help="no-answer threshold for this run")
    evaluate.add_argument("--limit", type=_positive, help="evaluate only the first N questions")
    evaluate.add_argument(
        "--json", dest="json_out", type=Path, help="write metrics and per-question results here"
    )
    evaluate.add_argument("--report", type=Path, help="write a self-contained HTML report here")
    evaluate.add_argument(
        "--calibrate",
        action="store_true",
        help="pick the no-answer threshold that maximizes F1 and save it with the index",
    )

    diff = commands.add_parser("eval-diff", help="compare two `qa eval --json` outputs")
    diff.add_argument("before", type=Path)
    diff.add_argument("after", type=Path)
    diff.add_argument("-v", "--verbose", action="store_true")
    return parser


def _filters(args: argparse.Namespace) -> Filters:
    from qa.retrieval.filters import Filters

    return Filters.parse(
        getattr(args, "since", None),
        getattr(args, "until", None),
        getattr(args, "source", None),
        getattr(args, "as_of", None),
    )


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value!r}")
    return number


def settings_from(args: argparse.Namespace) -> Settings:
    from qa.service.pipeline import resolve_settings

    flags = {name: getattr(args, name, None) for name in setting_flags()}
    corpora = flags.get("corpus")
    flags["corpus"] = corpora[0] if corpora else None
    return resolve_settings(flags)


def _pipeline(args: argparse.Namespace, settings: Settings) -> Pipeline:
    from qa.service.pipeline import Pipeline

    return Pipeline.load(settings, args.corpus)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from qa.retrieval.build import build_index
    from qa.retrieval.manifest import indexed_corpus, staleness

    corpus = args.corpus or indexed_corpus(settings.index_dir) or [settings.corpus]
    reason = "forced" if args.force else staleness(settings.index_dir, settings, corpus)
    if reason is None:
        print(f"index in {settings.index_dir} is up to date ({', '.join(map(str, corpus))})")
        return 0
    report = build_index(settings, corpus)
    stages = ", ".join(f"{stage} {seconds:.1f}s" for stage, seconds in report.timings.items())
    print(
        f"indexed {report.articles} articles as {report.chunks} chunks in {report.seconds:.1f}s "
        f"({stages}); "
        f"embedded {report.embedded}, reused {report.chunks - report.embedded} from the previous "
        "build; "
        f"{len(report.skipped)} files skipped -> {report.folder}"
    )
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    from qa.service.api import check_question, passage_json

    question = check_question(args.question)
    pipeline = _pipeline(args, settings)
    passages = pipeline.retrieve(question, args.top_k, args.mode, _filters(args))
    rows = [passage_json(p) for p in passages]
    if args.json:
        print(json.dumps({"question": question, "passages": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("no passages found")
    for row in rows:
        print(
            f"{row['rank']:>2}. [{row['score']:.4f}] {row['title']} ({row['date'] or 'undated'}) "
            f"{row['article_id']}:{row['start']}-{row['end']}"
        )
        print(f"    {_shorten(row['text'], 300)}")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from qa.service.api import check_question, result_json

    if (args.question is None) == (args.batch is None):
        raise UsageError("give a question, or --batch FILE (- for standard input), not both")
    if args.server and args.threshold is not None:
        raise UsageError("--threshold is the server's setting: it cannot go with --server")
    if args.batch is not None:
        return _ask_batch(args, settings)
    question = check_question(args.question)
    if args.server:
        from qa.service.client import ask_server

        body = {"question": question, **({"top_k": args.top_k} if args.top_k else {})}
        data = ask_server(args.server, body, _filters(args))
    else:
        result = _pipeline(args, settings).ask(question, args.top_k, args.threshold, _filters(args))
        data = result_json(result)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("\n".join(answer_lines(data)))
    return 0


def answer_lines(data: dict[str, Any]) -> list[str]:
    """What ``qa ask`` prints for the API's JSON of one answered question."""
    filters = data.get("filters") or {}
    if filters.get("matched_articles") == 0:
        undated = filters.get("undated_excluded") or 0
        left_out = f" ({undated} undated articles are left out of a date filter)" if undated else ""
        return [f"No article matches these filters{left_out}."]
    answer = data["answer"]
    if answer is None:
        best = (
            f" (best guess {data['answers'][0]['text']!r} at {data['answers'][0]['score']:.2f})"
            if data["answers"]
            else ""
        )
        return [f"No answer: the articles do not say{best}."]
    when = f" ({answer['resolved_date']})" if answer.get("resolved_date") else ""
    lines = [f"{answer['text']}{when}  (confidence {answer['score']:.2f})"]
    for citation in answer["citations"]:
        lines.append(
            f"  - {citation['title']} ({citation['date'] or 'undated'}), {citation['article_id']} "
            f"chars {citation['start']}-{citation['end']}"
        )
    context, offset = answer["context"], answer["start"] - answer["context_start"]
    length = answer["end"] - answer["start"]
    lines.append(f'  "{_quoted_span(context, offset, offset + length)}"')
    if data.get("conflict"):
        lines.append("The articles disagree:")
        for entry in data["timeline"]:
            span = entry["first_date"] or "undated"
            if entry["last_date"] and entry["last_date"] != entry["first_date"]:
                span += f" to {entry['last_date']}"
            articles = f"{entry['support']} article{'s' if entry['support'] > 1 else ''}"
            lines.append(f"  - {entry['text']}: {span} ({articles})")
    return lines


def _ask_batch(args: argparse.Namespace, settings: Settings) -> int:
    """One JSON line per input line, in order; a bad question gets an error line, not an exit."""
    if str(args.batch) == "-":
        lines = sys.stdin.read().splitlines()
    else:
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read questions from {args.batch}: {exc}") from None
    from qa.service.api import MAX_BATCH_QUESTIONS, ask_batch

    filters = _filters(args)
    questions = [line for line in lines if line.strip()]
    slices = [
        questions[begin : begin + MAX_BATCH_QUESTIONS]
        for begin in range(0, len(questions), MAX_BATCH_QUESTIONS)
    ]
    rows = []
    if args.server:
        from qa.service.client import ask_server

        top_k = {"top_k": args.top_k} if args.top_k else {}
        for part in slices:
            rows += ask_server(args.server, {"questions": part, **top_k}, filters)["results"]
    else:
        pipeline = _pipeline(args, settings)
        for part in slices:
            rows += ask_batch(pipeline, part, args.top_k, filters)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from qa.service.pipeline import load_service
    from web.app import serve

    serve(
        lambda: load_service(settings, args.corpus),
        settings,
        host=args.host,
        port=args.port,
        threads=args.http_threads,
        connection_limit=args.connection_limit,
    )
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.questions import load_questions, parse_article_range

    questions = load_questions(args.questions, parse_article_range(args.articles))[: args.limit]
    if args.calibrate and args.mode != "end-to-end":
        raise UsageError("--calibrate needs --mode end-to-end")
    if args.threshold is not None:
        settings = settings.replace(no_answer_threshold=args.threshold)
    evaluate_mode = {
        "reader": _eval_reader,
        "retriever": _eval_retriever,
        "end-to-end": _eval_end_to_end,
    }[args.mode]
    result = evaluate_mode(args, settings, questions)
    result.summary["settings"] = _run_settings(settings, args)
    _report_eval(args, settings, result, len(questions))
    return 0


def _eval_reader(
    args: argparse.Namespace, settings: Settings, questions: list[Question]
) -> EvalResult:
    """The reader alone on each question's own paragraph."""
    from qa.evaluation.evaluate import evaluate_reader
    from qa.reading.factory import reading_from_settings
    from qa.reading.reader import standalone_passage
    from qa.schema import Answer

    reading = reading_from_settings(settings)
    # SQuAD 2.0 protocol (abstain under the threshold) when the set has unanswerable questions
    # or a threshold is given; SQuAD v1.1 protocol (always answer) otherwise.
    abstains = args.threshold is not None or any(not q.answerable for q in questions)
    threshold = settings.no_answer_threshold if abstains else None

    def read(question: str, text: str) -> list[Answer]:
        return reading.read(question, [standalone_passage(text)], top_n=1)

    return evaluate_reader(questions, read, threshold)


def _eval_retriever(
    args: argparse.Namespace, settings: Settings, questions: list[Question]
) -> EvalResult:
    from qa.evaluation.evaluate import evaluate_retriever

    pipeline, filters = _pipeline(args, settings), _filters(args)
    return evaluate_retriever(
        questions,
        lambda q, k: pipeline.retrieve(q, k, filters=filters),
        args.top_k or RETRIEVER_DEPTH,
    )


def _eval_end_to_end(
    args: argparse.Namespace, settings: Settings, questions: list[Question]
) -> EvalResult:
    from qa.evaluation.evaluate import evaluate_end_to_end

    pipeline, filters = _pipeline(args, settings), _filters(args)

    def as_of(day: str | None) -> Filters:
        return filters if day is None else replace(filters, as_of=day, until=day)

    return evaluate_end_to_end(
        questions,
        lambda q, k, day=None: pipeline.retrieve(q, k, filters=as_of(day)),
        lambda q, passages, day=None: pipeline.answer(q, passages, filters=as_of(day)),
        args.top_k or settings.top_k,
    )


def _report_eval(
    args: argparse.Namespace, settings: Settings, result: EvalResult, count: int
) -> None:
    """The table, then what was asked for: a calibration, the JSON, the HTML report."""
    from qa.evaluation import evaluate

    print(f"{args.mode} evaluation of {args.questions} ({count} questions)")
    print(evaluate.format_table(result.summary))
    if args.calibrate:
        from qa.evaluation.calibration import best_point, replay, save_threshold

        candidates = [evaluate.candidate_record(r) for r in result.records]
        best, current = best_point(candidates), replay(candidates, settings.no_answer_threshold)
        path = save_threshold(settings.index_dir, best, str(args.questions), settings.reader)
        print(
            f"calibrated no-answer threshold {best.threshold:.4f}: F1 {best.f1:.2f}, EM "
            f"{best.exact_match:.2f}, "
            f"{best.answered}/{len(result.records)} answered (was F1 {current.f1:.2f} at "
            f"{settings.no_answer_threshold:.4f}); saved to {path}"
        )
    if args.json_out:
        args.json_out.write_text(
            json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        print(f"wrote {args.json_out}")
    if args.report:
        from qa.evaluation.report import write_report

        write_report(args.report, result, result.summary["settings"], str(args.questions))
        print(f"wrote {args.report}")


def _run_settings(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    depth = {
        "retriever": args.top_k or RETRIEVER_DEPTH,
        "end-to-end": args.top_k or settings.top_k,
    }.get(args.mode)
    return {
        "mode": args.mode,
        "dense_model": settings.dense_model,
        "reader": settings.reader,
        "fusion": settings.fusion,
        "top_k": depth,
        "chunk_words": settings.chunk_words,
        "chunk_overlap_words": settings.chunk_overlap_words,
        "no_answer_threshold": settings.no_answer_threshold,
        "max_seq_len": settings.max_seq_len,
        "doc_stride": settings.doc_stride,
    }


def cmd_eval_diff(args: argparse.Namespace, settings: Settings) -> int:
    from qa.evaluation.evaluate import compare_runs

    runs = []
    for path in (args.before, args.after):
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(f"{path}: no such file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{path}: not JSON ({exc})") from None
    try:
        metrics, worse, better = compare_runs(*runs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    width = max((len(name) for name, _, _ in metrics), default=6)
    print(f"{'metric':<{width}}  {'A':>9}  {'B':>9}  {'B - A':>9}")
    for name, a, b in metrics:
        print(f"{name:<{width}}  {a:>9.2f}  {b:>9.2f}  {b - a:>+9.2f}")
    for title, flipped in (("right -> wrong", worse), ("wrong -> right", better)):
        print(f"\n{title}: {len(flipped)}")
        for row in flipped:
            print(
                f"  {row['id']}: {row['question']}  gold {row['answers']}  {row['before']!r} -> "
                f"{row['after']!r}"
            )
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "index": cmd_index,
    "search": cmd_search,
    "ask": cmd_ask,
    "serve": cmd_serve,
    "eval": cmd_eval,
    "eval-diff": cmd_eval_diff,
}


def _quoted_span(context: str, start: int, end: int, around: int = 120) -> str:
    """The span in brackets with some of its context, the spacing around it kept:
    "Directed by [Park Shin Woo]", not "Directed by[Park Shin Woo]"."""
    before, after = context[:start], context[end:]
    gap_before = " " if before[-1:].isspace() else ""
    gap_after = " " if after[:1].isspace() else ""
    shown_before = _shorten(before, around, left=True)
    shown_after = _shorten(after, around)
    return f"{shown_before}{gap_before}[{context[start:end]}]{gap_after}{shown_after}"


def _shorten(text: str, limit: int, left: bool = False) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return "…" + text[-limit:] if left else text[:limit] + "…"


def main(argv: Sequence[str] | None = None) -> int:
    from qa.retrieval.build import BuildFailed

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        force=True,
    )
    if args.command != "eval-diff":  # every other command loads models
        _quiet_model_libraries()
    try:
        for corpus in getattr(args, "corpus", None) or []:
            if not corpus.exists():
                raise UsageError(f"corpus not found: {corpus}")
        return COMMANDS[args.command](args, settings_from(args))
    except UserError as exc:
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed as exc:  # not the user's doing, but nothing a traceback would explain
        print(f"qa {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130


def _quiet_model_libraries() -> None:
    """Model libraries' own INFO lines and "Loading weights" bars on every start are noise."""
    for noisy in ("transformers", "sentence_transformers", "httpx", "huggingface_hub"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def entry_point() -> Any:
    sys.exit(main())


if __name__ == "__main__":
    entry_point()

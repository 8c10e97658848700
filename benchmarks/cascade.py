"""Choose the cascade on validation end-to-end: for each bound under which the fast reader
counts as unsure and each window the accurate reader then re-reads (the sentences of the fast
reader's k best candidates with n neighbours either side, as the service does) or, for comparison,
each number of best passages re-read whole, EM/F1 at the threshold that suits that choice and
at the accurate reader's own, and the share of questions re-read. The fast and the accurate
reader alone are the first rows.

    python -m benchmarks.cascade [--accurate accurate] [--index-dir /tmp/qa-squad-index]
        [--bounds 0.3,0.5,0.7,0.9] [--windows 0,1,2] [--candidates 1,3,10] [--reread 3,5]
        [--limit N] [--write-card BOUND,N,K] [--unanswerable squad2|absent]

Validation, ``--unanswerable squad2``: SQuAD dev articles 35-36 and the SQuAD 2.0 unanswerable
questions of article 36, over an index of all 48 dev articles (built on first use). ``absent``:
the questions of article 35, and those of article 36 with that article left out of the index
(the design the fast reader's threshold was chosen on: a question the archive cannot answer).
Each question is retrieved and read once by each reader; every choice is replayed from those
reads (span scores are per window, so what the accurate reader finds in its best n passages is
what it finds there among five).

``--write-card BOUND,N,K`` stores choices in the accurate reader's card (``reader.json``): its own
threshold, the one best for it alone end-to-end, and for the cascade that bound and the windows of
N sentences either side of K candidates (chosen by the service's p50 on BBC news: README,
"Readers") with the threshold best for them.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from benchmarks._shared import SHARED_DATA
from benchmarks._table import print_table
from qa.evaluation.calibration import CandidateRecord, best_point, replay
from qa.evaluation.questions import Question, load_questions, parse_article_range
from qa.metrics import best_over_golds
from qa.reading.cascade import fast_is_sure, read_in_windows
from qa.reading.reader import Reader
from qa.reading.reader_models import READER_CARD, reader_card, reader_folder
from qa.schema import Answer, Passage
from qa.service.pipeline import SPANS_PER_QUESTION, Pipeline, load_service, resolve_settings

SQUAD = SHARED_DATA / "squad" / "dev-v1.1.json"
SQUAD2 = SHARED_DATA / "squad2" / "dev-v2.0-articles-1-36.json"


class Replayed:
    """Gives the spans it is set to, as a reader would have."""

    spans: list[Answer] = []

    def check_question(self, question: str) -> None:
        pass

    def read(
        self, question: str, passages: Sequence[Passage], top_n: int | None = 5
    ) -> list[Answer]:
        return self.spans[:top_n]

    def read_all(
        self, requests: Sequence[tuple[str, Sequence[Passage]]], top_n: int | None = 5
    ) -> list[list[Answer]]:
        return [self.spans[:top_n] for _ in requests]


def validation_questions(unanswerable: str, limit: int) -> list[Question]:
    if unanswerable == "absent":
        absent = [replace(q, answers=(), answer_starts=()) for q in _questions(SQUAD, "36")]
        return (_questions(SQUAD, "35") + absent)[: limit or None]
    # SQuAD 2.0's article 24 is SQuAD dev article 36; its answerable questions repeat v1.1's.
    squad2 = [q for q in _questions(SQUAD2, "24") if not q.answers]
    return (_questions(SQUAD, "35-36") + squad2)[: limit or None]


def validation_corpus(unanswerable: str) -> Path:
    """All SQuAD dev articles, or (``absent``) all but article 36, in a file of its own."""
    if unanswerable != "absent":
        return SQUAD
    data = json.loads(SQUAD.read_text(encoding="utf-8"))
    data["data"] = [a for number, a in enumerate(data["data"], start=1) if number != 36]
    path = Path(tempfile.gettempdir()) / "qa-squad-dev-without-36.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _window_name(neighbours: int, candidates: int) -> str:
    return f"windows ±{neighbours} of {candidates} candidates"


def _questions(path: Path, articles: str) -> list[Question]:
    return load_questions(path, parse_article_range(articles))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accurate", default="accurate", help="reader name or folder")
    parser.add_argument("--unanswerable", choices=("squad2", "absent"), default="squad2")
    parser.add_argument("--index-dir", type=Path, help="default: /tmp/qa-squad-index[-absent]")
    parser.add_argument("--bounds", default="0.3,0.4,0.5,0.6,0.7,0.8,0.9")
    parser.add_argument("--windows", default="0,1,2", help="sentences either side")
    parser.add_argument(
        "--candidates",
        default="10",
        help="the fast reader's best spans whose sentences are re-read",
    )
    parser.add_argument("--reread", default="5", help="best passages re-read whole")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--write-card", metavar="BOUND,N,K", help="store these choices (above)")
    args = parser.parse_args()
    corpus = validation_corpus(args.unanswerable)
    suffix = "-absent" if args.unanswerable == "absent" else ""
    index_dir = args.index_dir or Path(tempfile.gettempdir()) / f"qa-squad-index{suffix}"
    settings = resolve_settings({"index_dir": index_dir, "corpus": corpus})
    pipeline, _ = load_service(settings, [corpus])
    fast = Reader.from_settings(settings.replace(reader="fast"))
    accurate = Reader.from_settings(settings.replace(reader=args.accurate))
    questions = validation_questions(args.unanswerable, args.limit)
    windows = [
        (int(n), int(k)) for n in args.windows.split(",") if n for k in args.candidates.split(",")
    ]
    reads = []
    seconds = {"fast": 0.0, "accurate": 0.0, **{_window_name(*w): 0.0 for w in windows}}
    for q in questions:
        passages = pipeline.retrieve(q.question, settings.top_k)
        started = time.perf_counter()
        fast_spans = fast.read(q.question, passages, top_n=SPANS_PER_QUESTION)
        seconds["fast"] += time.perf_counter() - started
        started = time.perf_counter()
        accurate_spans = accurate.read(q.question, passages, top_n=None)
        seconds["accurate"] += time.perf_counter() - started
        in_windows = {}
        for n, k in windows:
            started = time.perf_counter()
            asks = [(q.question, passages, fast_spans[:k])]
            in_windows[n, k] = read_in_windows(accurate.read_many, asks, n, None)[0] or []
            seconds[_window_name(n, k)] += time.perf_counter() - started
        reads.append((q, passages, fast_spans, accurate_spans, in_windows))

    replayed = Replayed()
    judge = Pipeline(settings, pipeline.retriever, replayed)

    def records(
        bound: float | None, reread: int, window: tuple[int, int] | None = None
    ) -> tuple[list[CandidateRecord], int]:
        """Each question's best candidate when the fast reader is trusted from ``bound`` up (as
        the cascade trusts it: undisputed), always without a bound; the accurate reader
        re-reads the best ``reread`` passages, or with a ``window`` (n, k) the sentences around
        the fast reader's k best candidates, n either side."""
        found, asked = [], 0
        for q, passages, fast_spans, accurate_spans, in_windows in reads:
            sure = bound is None or fast_is_sure(fast_spans, bound, settings.conflict_ratio)
            asked += not sure
            again = accurate_spans if window is None else in_windows[window]
            replayed.spans = (
                fast_spans
                if sure
                else [s for s in again if s.passage_index < reread][:SPANS_PER_QUESTION]
            )
            result = judge.answer(q.question, passages)
            best = result.answers[0] if result.answers else None
            em, f1 = best_over_golds(best.text, q.answers) if best and q.answers else (0.0, 0.0)
            found.append(
                CandidateRecord(
                    q.answers, best.text if best else None, best.score if best else 0.0, em, f1
                )
            )
        return found, asked

    own = reader_card(settings.replace(reader=args.accurate)).get("no_answer_threshold")
    choices: list[tuple[str, float | None, int, tuple[int, int] | None]] = [
        ("fast alone", None, 1, None),
        ("accurate alone", 1.01, settings.top_k, None),
    ]
    for b in args.bounds.split(","):
        choices += [
            (f"cascade < {b}, {n} passages whole", float(b), int(n), None)
            for n in args.reread.split(",")
        ]
        choices += [
            (f"cascade < {b}, {_window_name(*w)}", float(b), settings.top_k, w) for w in windows
        ]
    rows: list[list[object]] = []
    chosen: dict[str, object] = {}
    for name, bound, reread, window in choices:
        found, asked = records(bound, reread, window)
        best = best_point(found)
        at_own = replay(found, own).f1 if own is not None else None
        share = 100 * asked / len(found)
        rows.append([name, share, best.exact_match, best.f1, best.threshold, at_own])
        if name == "accurate alone":
            chosen["no_answer_threshold"] = round(best.threshold, 6)
        elif (
            args.write_card
            and window is not None
            and [bound, *window] == [float(v) for v in args.write_card.split(",")]
        ):
            chosen["cascade"] = {
                "cascade_unsure_below": bound,
                "cascade_window_sentences": window[0],
                "cascade_window_candidates": window[1],
                "no_answer_threshold": round(best.threshold, 6),
            }
    per_question = ", ".join(f"{k} {1000 * v / len(questions):.0f} ms" for k, v in seconds.items())
    print_table(
        f"Cascade on validation end-to-end ({len(questions)} questions, unanswerable: "
        f"{args.unanswerable}; reading per question of {settings.top_k} passages on this CPU: "
        f"{per_question})",
        ["reader", "% re-read", "EM", "F1", "at threshold", "F1 at the accurate card's"],
        rows,
    )
    if args.write_card:
        path = reader_folder(args.accurate) / READER_CARD
        card = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        card.update(
            no_answer_threshold=chosen["no_answer_threshold"],
            cascade=chosen["cascade"],
            calibrated_on=f"python -m benchmarks.cascade --write-card {args.write_card} "
            f"--unanswerable {args.unanswerable} ({len(questions)} validation questions "
            "end-to-end; the validation figures are ship_reader's, on the gold paragraph)",
        )
        path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        print(
            f"wrote {path}: {json.dumps({k: card[k] for k in ('no_answer_threshold', 'cascade')})}"
        )


if __name__ == "__main__":
    main()

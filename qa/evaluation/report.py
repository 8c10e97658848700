"""A self-contained HTML evaluation report: summary, failure breakdown, inline SVG plots and a
sortable, filterable table of every question. No external assets, so the file can be mailed.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from qa.evaluation.evaluate import EvalResult, QuestionRecord, is_right
from qa.metrics import recall_at

QUESTION_WORDS = ("who", "what", "when", "where", "which", "how", "why")
_WIDTH, _HEIGHT, _PAD = 360, 200, 34


def question_word(question: str) -> str:
    words = question.lower().replace("?", " ").split()
    for word in words[:4]:
        if word in QUESTION_WORDS:
            return word
    return "other"


def outcome(record: QuestionRecord, mode: str) -> str:
    """Where an answer went wrong (or that it did not)."""
    if mode == "retriever":
        return "hit" if is_right(record, mode) else "miss"
    if not record.answers:
        return "correct no-answer" if record.prediction is None else "answered the unanswerable"
    if record.em == 1:
        return "correct"
    if mode == "end-to-end" and not record.hit_rank:
        return "retrieval miss"
    if record.prediction is None:
        return "wrongly said no answer"
    return "partly right" if (record.f1 or 0) > 0 else "wrong span"


def _bars(
    labels: Sequence[str], series: dict[str, Sequence[float]], y_max: float, y_label: str
) -> Markup:
    colours = ["#2456c9", "#e0803a", "#3a9e6a"]
    n, groups = len(labels), len(series)
    inner_w, inner_h = _WIDTH - 2 * _PAD, _HEIGHT - 2 * _PAD
    slot = inner_w / max(1, n)
    bar = slot * 0.8 / max(1, groups)
    parts = [_axes(y_max, y_label)]
    for g, (name, values) in enumerate(series.items()):
        for i, value in enumerate(values):
            h = inner_h * (value / y_max if y_max else 0)
            x = _PAD + i * slot + slot * 0.1 + g * bar
            title = f"{html.escape(name)} {html.escape(labels[i])}: {value:.1f}"
            parts.append(
                f'<rect x="{x:.1f}" y="{_HEIGHT - _PAD - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colours[g % 3]}"><title>{title}</title></rect>'
            )
    for i, label in enumerate(labels):
        parts.append(
            f'<text x="{_PAD + (i + 0.5) * slot:.1f}" y="{_HEIGHT - _PAD + 13}" '
            f'text-anchor="middle" font-size="10">{html.escape(label)}</text>'
        )
    parts.append(_legend(list(series), colours))
    return _svg("".join(parts))


def _line(xs: Sequence[int], ys: Sequence[float], y_label: str) -> Markup:
    inner_w, inner_h = _WIDTH - 2 * _PAD, _HEIGHT - 2 * _PAD
    span = max(1, xs[-1] - xs[0])
    points = [
        (_PAD + inner_w * (x - xs[0]) / span, _HEIGHT - _PAD - inner_h * y / 100)
        for x, y in zip(xs, ys)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#2456c9"><title>k={k}: '
        f"{v:.1f}%</title></circle>"
        for (x, y), k, v in zip(points, xs, ys)
    )
    ticks = "".join(
        f'<text x="{points[i][0]:.1f}" y="{_HEIGHT - _PAD + 13}" text-anchor="middle" '
        f'font-size="10">{xs[i]}</text>'
        for i in range(0, len(xs), max(1, len(xs) // 10))
    )
    return _svg(
        _axes(100, y_label)
        + f'<polyline points="{path}" fill="none" stroke="#2456c9" stroke-width="2"/>'
        + dots
        + ticks
    )


def _axes(y_max: float, y_label: str) -> str:
    inner_h = _HEIGHT - 2 * _PAD
    parts = [
        f'<line x1="{_PAD}" y1="{_HEIGHT - _PAD}" x2="{_WIDTH - _PAD}" y2="{_HEIGHT - _PAD}" '
        'stroke="#999"/>',
        f'<line x1="{_PAD}" y1="{_PAD}" x2="{_PAD}" y2="{_HEIGHT - _PAD}" stroke="#999"/>',
        f'<text x="4" y="{_PAD - 12}" font-size="10" fill="#555">{html.escape(y_label)}</text>',
    ]
    for step in range(5):
        value = y_max * step / 4
        y = _HEIGHT - _PAD - inner_h * step / 4
        parts.append(
            f'<text x="{_PAD - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="9" '
            f'fill="#555">{value:.0f}</text>'
        )
    return "".join(parts)


def _legend(names: list[str], colours: list[str]) -> str:
    if len(names) < 2:
        return ""
    return "".join(
        f'<rect x="{_WIDTH - 120}" y="{6 + 12 * i}" width="8" height="8" fill="{colours[i % 3]}"/>'
        f'<text x="{_WIDTH - 108}" y="{13 + 12 * i}" font-size="10">{html.escape(n)}</text>'
        for i, n in enumerate(names)
    )


def _svg(body: str) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img" xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _histogram(values: Sequence[float], bins: int, low: float, high: float) -> list[int]:
    counts = [0] * bins
    for v in values:
        counts[
            min(bins - 1, max(0, int((v - low) / (high - low) * bins))) if high > low else 0
        ] += 1
    return counts


def _plots(records: list[QuestionRecord], mode: str) -> list[tuple[str, Markup]]:
    plots = []
    answerable = [r for r in records if r.answers]
    if answerable and mode != "reader":
        ks = list(range(1, 21))
        recall = [recall_at([r.hit_rank for r in answerable], k) for k in ks]
        plots.append(("Retrieval recall@k", _line(ks, recall, "% of answerable questions")))
    if records and mode != "retriever":
        right = [r.score or 0 for r in records if r.em == 1 and r.prediction is not None]
        wrong = [r.score or 0 for r in records if r.em == 0]
        labels = [f"{i / 10:.1f}" for i in range(10)]
        plots.append(
            (
                "Confidence of the best candidate: right vs wrong",
                _bars(
                    labels,
                    {"right": _histogram(right, 10, 0, 1), "wrong": _histogram(wrong, 10, 0, 1)},
                    max(1, *_histogram(right, 10, 0, 1), *_histogram(wrong, 10, 0, 1)),
                    "questions",
                ),
            )
        )
        by_word: dict[str, list[QuestionRecord]] = defaultdict(list)
        for r in records:
            by_word[question_word(r.question)].append(r)
        words = [w for w in (*QUESTION_WORDS, "other") if by_word[w]]
        plots.append(
            (
                "Accuracy by question word",
                _bars(
                    [f"{w} ({len(by_word[w])})" for w in words],
                    {
                        "EM": [
                            100 * sum(r.em or 0 for r in by_word[w]) / len(by_word[w])
                            for w in words
                        ],
                        "F1": [
                            100 * sum(r.f1 or 0 for r in by_word[w]) / len(by_word[w])
                            for w in words
                        ],
                    },
                    100,
                    "%",
                ),
            )
        )
    # The first question loads the models: seconds, against milliseconds for the rest, would
    # squash every other question into one bar.
    latencies = [r.latency_ms for r in records[1:]]
    high = max(latencies) if latencies else 1.0
    counts = _histogram(latencies, 12, 0, high)
    plots.append(
        (
            "Latency per question (the first, which loads the models, left out)",
            _bars(
                [f"{high * (i + 0.5) / 12:.0f}" for i in range(12)],
                {"ms": counts},
                max(1, *counts),
                "questions (x: ms)",
            ),
        )
    )
    return plots


def render_report(result: EvalResult, settings: dict[str, Any], source: str) -> str:
    env = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    rows = [(r, outcome(r, result.mode)) for r in result.records]
    return env.get_template("report.html.j2").render(
        mode=result.mode,
        summary=result.summary,
        settings=settings,
        source=source,
        rows=rows,
        time_aware=any(r.checks for r in result.records),
        outcomes=Counter(o for _, o in rows).most_common(),
        plots=_plots(result.records, result.mode),
    )


def write_report(path: Path, result: EvalResult, settings: dict[str, Any], source: str) -> None:
    path.write_text(render_report(result, settings, source), encoding="utf-8")

from __future__ import annotations

import pytest

from qa.config import SHIPPED_READERS, SettingError, Settings
from qa.reading.reader import Reader
from qa.schema import Chunk, Passage

pytestmark = pytest.mark.model  # every test here loads a real model

PARAGRAPH = (
    "The Millau Viaduct is a cable-stayed bridge in southern France. It was designed by the "
    "structural "
    "engineer Michel Virlogeux and the architect Norman Foster. Construction began in October 2001 "
    "and "
    "the bridge was opened to traffic on 16 December 2004. At 343 metres, it is the tallest bridge "
    "in the world."
)
# The reader under test: the fast one (the accurate reader's own tests are test_accurate_reader).
FAST = Settings(reader="fast")
FILLER = (
    "The town council met on a Tuesday to discuss the parking rules near the market square. "
    "Several residents asked for more benches along the river path and better lighting at night. "
    "A local bakery announced that it would extend its opening hours during the summer months. "
)


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader.from_settings(FAST)


def test_shipped_model_is_inside_the_package() -> None:
    weights = SHIPPED_READERS["fast"] / "model.safetensors"
    assert weights.is_file()
    assert weights.stat().st_size < 50 * 2**20


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who designed the Millau Viaduct together with Norman Foster?", "Michel Virlogeux"),
        ("When did the bridge open to traffic?", "16 December 2004"),
        ("How tall is the Millau Viaduct?", "343 metres"),
        ("In which country is the Millau Viaduct?", "France"),
    ],
)
def test_answers_simple_questions(reader: Reader, question: str, expected: str) -> None:
    best = reader.read_text(question, PARAGRAPH)[0]
    assert best.text == expected
    assert PARAGRAPH[best.start : best.end] == best.text  # offsets map back exactly
    assert best.score >= FAST.no_answer_threshold  # sure enough to be given as the answer


def test_offsets_are_article_offsets(reader: Reader) -> None:
    article_text = FILLER + PARAGRAPH
    start = len(FILLER)
    passage = Passage(Chunk(0, "bridge", start, len(article_text), article_text[start:]))
    best = reader.read("Who designed the Millau Viaduct together with Norman Foster?", [passage])[0]
    assert article_text[best.start : best.end] == "Michel Virlogeux"
    assert best.context[best.start_in_context : best.end_in_context] == "Michel Virlogeux"


def test_unrelated_passage_gets_no_answer(reader: Reader) -> None:
    threshold = FAST.no_answer_threshold
    answers = reader.read_text("Who won the 1998 football World Cup final?", PARAGRAPH)
    assert not answers or answers[0].score < threshold
    related = reader.read_text("When did the bridge open to traffic?", PARAGRAPH)
    assert related[0].score >= threshold


def test_long_article_answer_near_the_end(reader: Reader) -> None:
    text = FILLER * 25 + "The new library on the hill was designed by the architect Amara Okafor."
    best = reader.read_text("Who designed the new library on the hill?", text)[0]
    assert best.text == "Amara Okafor"
    assert text[best.start : best.end] == "Amara Okafor"


def test_windows_cover_the_whole_of_a_long_passage(reader: Reader) -> None:
    text = FILLER * 25  # about 1,900 tokens: many overlapping windows
    windows = reader._windows("Who met on a Tuesday?", [text])
    covered = {c for w in windows for o in w.offsets if o for c in range(o[0], o[1])}
    assert covered == {i for i, c in enumerate(text) if not c.isspace()}


def test_same_span_from_overlapping_windows_and_chunks_is_returned_once(reader: Reader) -> None:
    text = FILLER * 6 + PARAGRAPH + " " + FILLER * 6
    small_windows = Reader.from_settings(
        Settings(reader="fast", max_seq_len=128, doc_stride=80, max_question_tokens=32)
    )
    answers = small_windows.read_text("When did the bridge open to traffic?", text, top_n=20)
    spans = [(a.start, a.end) for a in answers]
    assert len(spans) == len(set(spans))
    assert [a.text for a in answers].count(
        "16 December 2004"
    ) == 1  # seen by several windows, kept once
    # Two overlapping chunks of one article that both hold the answer.
    start = len(FILLER * 6)
    chunks = [
        Passage(Chunk(0, "doc", 0, start + len(PARAGRAPH), text[: start + len(PARAGRAPH)])),
        Passage(Chunk(1, "doc", start, len(text), text[start:])),
    ]
    found = reader.read("When did the bridge open to traffic?", chunks, top_n=20)
    keys = [(a.article_id, a.start, a.end) for a in found]
    assert len(keys) == len(set(keys))
    assert [a.text for a in found].count("16 December 2004") == 1
    # It cites the best-ranked passage that holds it, whichever window scored it higher.
    unrelated = Passage(Chunk(2, "other", 0, len(FILLER), FILLER))
    for order in (chunks, chunks[::-1]):
        found = reader.read("When did the bridge open to traffic?", [unrelated, *order], top_n=20)
        assert next(a for a in found if a.text == "16 December 2004").passage_index == 1


def test_spans_do_not_start_or_end_with_quote_marks(reader: Reader) -> None:
    text = "Jin released his first solo album, ‘Happy’, in November. It sold well in Korea."
    answers = reader.read_text("What is the name of Jin's first solo album?", text, top_n=20)
    assert answers and all(
        a.text[0] not in "‘’“”\"',; " and a.text[-1] not in "‘’“”\"',; " for a in answers
    )
    assert all(text[a.start : a.end] == a.text for a in answers)


def test_empty_inputs(reader: Reader) -> None:
    assert reader.read("question?", []) == []
    assert reader.read_text("   ", PARAGRAPH) == []


WINDOWS = {
    "max_seq_len": 384,
    "doc_stride": 128,
    "max_answer_tokens": 30,
    "max_question_tokens": 96,
}


def test_missing_model_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="reader model folder"):
        Reader(tmp_path / "nope", batch_size=16, precision="float32", **WINDOWS).read_text(
            "q?", "text"
        )


def test_bfloat16_weights_find_the_same_spans_as_float32() -> None:
    question = "Who designed the Millau Viaduct together with Norman Foster?"
    full, half = (
        Reader.from_settings(FAST.replace(reader_precision=p)).read_text(question, PARAGRAPH)[0]
        for p in ("float32", "bfloat16")
    )
    assert (half.text, half.start, half.end) == (full.text, full.start, full.end)
    assert half.score == pytest.approx(full.score, abs=0.05)


def test_reader_device_auto_takes_a_gpu_when_there_is_one_and_finds_the_same_spans() -> None:
    import torch

    question = "Who designed the Millau Viaduct together with Norman Foster?"
    auto = Reader.from_settings(FAST)  # reader_device "auto"
    on_gpu = torch.cuda.is_available()
    assert next(auto.load()[0].parameters()).device.type == ("cuda" if on_gpu else "cpu")
    if not on_gpu:
        with pytest.raises(SettingError, match="reader_device is cuda, but torch sees no GPU"):
            Reader.from_settings(FAST.replace(reader_device="cuda")).load()
        return
    cpu = Reader.from_settings(FAST.replace(reader_device="cpu"))
    expected = cpu.read_text(question, PARAGRAPH, top_n=1)[0]
    found = auto.read_text(question, PARAGRAPH, top_n=1)[0]
    assert (found.text, found.start, found.end) == (expected.text, expected.start, expected.end)
    assert found.score == pytest.approx(expected.score, abs=0.05)


def test_unknown_precision_is_rejected() -> None:
    with pytest.raises(
        SettingError,
        match="reader_precision must be one of auto, float32, bfloat16, onnx-int8, got 'int4'",
    ):
        FAST.replace(reader_precision="int4")
    with pytest.raises(ValueError, match="reader precision must be one of"):
        Reader("unused", batch_size=16, precision="int4", **WINDOWS)


def test_questions_read_together_get_the_answers_they_get_alone(reader: Reader) -> None:
    questions = [
        "Who designed the Millau Viaduct together with Norman Foster?",
        "How tall is the Millau Viaduct?",
        "When did the bridge open to traffic?",
    ]
    passages = [
        Passage(Chunk(0, "bridge", 0, len(PARAGRAPH), PARAGRAPH)),
        Passage(Chunk(1, "town", 0, len(FILLER), FILLER)),
    ]
    together = reader.read_many([(q, passages) for q in questions] + [("   ", passages)], top_n=3)
    assert together[-1] == []
    # bfloat16 (where the CPU computes it natively) rounds differently in a batch of another shape.
    import torch

    exact = next(reader.load()[0].parameters()).dtype == torch.float32
    tolerance = 1e-4 if exact else 2e-3
    for question, answers in zip(questions, together):
        alone = reader.read(question, passages, top_n=3)
        assert [(a.text, a.start, a.passage_index) for a in answers] == [
            (a.text, a.start, a.passage_index) for a in alone
        ]
        assert [a.score for a in answers] == pytest.approx([a.score for a in alone], abs=tolerance)


def test_the_batcher_answers_concurrent_questions_and_isolates_a_failing_one(
    reader: Reader,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from qa.reading.read_batcher import ReadBatcher
    from qa.reading.reader import QuestionTooLong

    batcher = ReadBatcher(reader, max_questions=4)
    passages = [Passage(Chunk(0, "bridge", 0, len(PARAGRAPH), PARAGRAPH))]
    questions = [
        "How tall is the Millau Viaduct?",
        "why " * 150,
        "When did the bridge open to traffic?",
    ] * 3
    with ThreadPoolExecutor(9) as pool:
        futures = [pool.submit(batcher.read, q, passages, 1) for q in questions]
    for question, future in zip(questions, futures):
        if question.startswith("why"):
            with pytest.raises(QuestionTooLong):
                future.result()
        else:
            assert future.result()[0].text == reader.read(question, passages, top_n=1)[0].text

"""Sentence-aware overlapping chunks that keep exact character offsets into their article."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from qa.schema import Article, Chunk

# A sentence ends at . ! ? (plus closing quotes/brackets) before white space, or at a blank line.
_SENTENCE_END = re.compile(r"""[.!?]+["'’”)\]]*(?=\s)|\n\s*\n""")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A "word" is at most 40 characters, so text without spaces still makes chunks of bounded size.
_WORD = re.compile(r"\S{1,40}")


def sentence_spans(text: str, max_words: int = 120) -> list[tuple[int, int]]:
    """(start, end) of each sentence, white space trimmed, covering all non-space text.

    Run-on "sentences" (lists, tables) are cut into pieces of at most ``max_words`` words.
    """
    spans, begin = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((begin, match.end()))
        begin = match.end()
    spans.append((begin, len(text)))
    trimmed = []
    for start, end in spans:
        piece = text[start:end]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            trimmed.append((start + left, start + right))
    out = []
    for start, end in trimmed:
        words = [m.span() for m in _WORD.finditer(text, start, end)]
        for i in range(0, len(words), max_words):
            run = words[i : i + max_words]
            out.append((run[0][0], run[-1][1]))
    return out


def chunk_article(
    article: Article, chunk_words: int, overlap_words: int, first_id: int = 0
) -> list[Chunk]:
    """Pack whole sentences into chunks of about ``chunk_words`` words.

    Consecutive chunks share trailing sentences worth at most ``overlap_words`` words, so an
    answer near a boundary is whole in at least one chunk. A paragraph break closes a chunk
    that is already half full, so chunks rarely straddle two topics.
    """
    if chunk_words <= 0 or not 0 <= overlap_words < chunk_words:
        raise ValueError("need chunk_words > 0 and 0 <= overlap_words < chunk_words")
    text = article.text
    sentences = sentence_spans(text, chunk_words)
    counts = [len(_WORD.findall(text, s, e)) for s, e in sentences]
    breaks_before = {
        i
        for i in range(1, len(sentences))
        if _PARAGRAPH_BREAK.search(text, sentences[i - 1][1], sentences[i][0])
    }
    groups: list[tuple[int, int]] = []  # [first, last) sentence indices
    first = 0
    while first < len(sentences):
        last, words = first, 0
        while last < len(sentences) and (last == first or words + counts[last] <= chunk_words):
            if last > first and last in breaks_before and words >= chunk_words // 2:
                break
            words += counts[last]
            last += 1
        groups.append((first, last))
        if last >= len(sentences):
            break
        first = (
            last if last in breaks_before else _overlap_start(first, last, counts, overlap_words)
        )
    return [
        Chunk(
            first_id + n,
            article.id,
            sentences[a][0],
            sentences[b - 1][1],
            text[sentences[a][0] : sentences[b - 1][1]],
        )
        for n, (a, b) in enumerate(groups)
    ]


def _overlap_start(first: int, last: int, counts: list[int], overlap_words: int) -> int:
    start, carried = last, 0
    while start - 1 > first and carried + counts[start - 1] <= overlap_words:
        start -= 1
        carried += counts[start]
    return start


def chunk_articles(
    articles: Iterable[Article], chunk_words: int, overlap_words: int
) -> Iterator[Chunk]:
    next_id = 0
    for article in articles:
        chunks = chunk_article(article, chunk_words, overlap_words, first_id=next_id)
        next_id += len(chunks)
        yield from chunks


def place_in_article(text: str, offset: int) -> str:
    """Where an offset lies, as a reader would look for it: "paragraph 3", or "sentence 2" in an
    article of one paragraph."""
    paragraphs = [m.end() for m in _PARAGRAPH_BREAK.finditer(text.strip())]
    if paragraphs:
        return f"paragraph {1 + sum(end <= offset for end in paragraphs)}"
    return f"sentence {1 + sum(end <= offset for _, end in sentence_spans(text))}"

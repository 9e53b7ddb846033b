"""Split cleaned documents into segments: paragraphs, sentences, word windows or whole documents.

Segment ids are ``doc_id:index`` and every segment keeps character offsets into
its document's cleaned text, so ``text == document[start:end]`` always holds.

Given the embedding model's tokenizer, a paragraph, sentence or window longer than the
model reads is split into consecutive pieces that fit, at sentence ends where it can and
at word starts where one sentence is too long; ``piece`` numbers them (0 for a segment
that was not split), so no text is silently left out of the embeddings.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from stance.config import SegmentationConfig
from stance.corpus._tasks import in_blocks, map_in_order
from stance.data import SEGMENT_COLUMNS, Corpus, Segments

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")  # runs of lines without a blank line
_WORD = re.compile(r"\S+")
# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by space and a capital,
# digit or opening quote. Hand-written because NLTK's punkt needs a data download at run time.
_SENTENCE_END = re.compile(r"""(?<=[.!?…])(["'”’»)\]]*)\s+(?=["'“‘«(\[]?[A-Z0-9А-ЯЁІЇЄҐ])""")
_ABBREVIATION = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|No|vs|etc|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|E\.U|[A-Z])\.$"
)

Span = tuple[int, int]
#: Only texts with more words than this share of the token limit can be over it (WordPiece
#: gives every word at least one token), so only those are tokenised.
_WORDS_PER_TOKEN_FLOOR = 0.25


class Tokenizer(Protocol):
    """The embedding model's tokenizer, as segmentation needs it."""

    #: Tokens the model reads, its special tokens included.
    max_tokens: int
    #: Special tokens the model adds to every text ([CLS], [SEP]).
    n_special: int

    def token_spans(self, texts: Sequence[str]) -> list[list[Span]]:
        """Character span of each token of each text, special tokens left out."""


def segment_corpus(corpus: Corpus, cfg: SegmentationConfig, *,
                   tokenizer: Tokenizer | None = None, client=None) -> Segments:
    """Split every document of ``corpus`` into segments as ``cfg`` says.

    With ``tokenizer`` (and a unit other than document), segments longer than it reads
    are split into pieces that fit. Documents are segmented a block at a time, on the
    workers of a Dask ``client`` if given.

    Example:
        >>> segs = segment_corpus(corpus, SegmentationConfig(unit="paragraph"))  # doctest: +SKIP
        >>> segs.table.columns[:3].tolist()
        ['seg_id', 'doc_id', 'outlet']
    """
    blocks = map_in_order(client, segment_block, in_blocks(corpus.documents), "segmenting",
                          work=len(corpus), cfg=cfg,
                          tokenizer=tokenizer if cfg.unit != "document" else None)
    filled = [block for block in blocks if not block.empty]
    if len(filled) <= 1:
        return Segments(filled[0] if filled else _block([]))
    return Segments(pd.concat(filled, ignore_index=True))


def segment_block(documents: pd.DataFrame, *, cfg: SegmentationConfig,
                  tokenizer: Tokenizer | None) -> pd.DataFrame:
    """The segment rows of a block of documents."""
    rows = []
    for doc_id, outlet, text in zip(documents["doc_id"], documents["outlet"],
                                    documents["text"], strict=True):
        spans = [(start, end, 0) for start, end in split_text(text, cfg)]
        if tokenizer is not None:
            spans = fit_to_model(text, [(a, b) for a, b, _ in spans], tokenizer)
        rows += [(f"{doc_id}:{position}", doc_id, outlet, position, start, end,
                  text[start:end], piece)
                 for position, (start, end, piece) in enumerate(spans)]
    return _block(rows)


def _block(rows: list[tuple]) -> pd.DataFrame:
    """Segment rows as a table with the columns' final types (Arrow strings, not objects)."""
    table = pd.DataFrame(rows, columns=[*SEGMENT_COLUMNS, "piece"])
    return table.astype({"seg_id": "str", "doc_id": "str", "outlet": "str", "text": "str",
                         "position": "int32", "start": "int64", "end": "int64",
                         "piece": "int32"})


def fit_to_model(text: str, spans: list[Span], tokenizer: Tokenizer) -> list[tuple[int, int, int]]:
    """``spans`` with each one longer than ``tokenizer`` reads split into pieces that fit.

    Returns:
        (start, end, piece) per segment: piece 0 for a span kept whole, 1, 2, ... for the
        pieces of a split one.
    """
    limit = tokenizer.max_tokens
    long = [i for i, (a, b) in enumerate(spans)
            if len(_WORD.findall(text, a, b)) > _WORDS_PER_TOKEN_FLOOR * limit]
    tokens = dict(zip(long, tokenizer.token_spans([text[a:b] for a, b in
                                                    (spans[i] for i in long)]), strict=True))
    out: list[tuple[int, int, int]] = []
    for i, (start, end) in enumerate(spans):
        if i not in tokens or len(tokens[i]) + tokenizer.n_special <= limit:
            out.append((start, end, 0))
            continue
        pieces = _pieces(text, start, end, tokens[i], limit - tokenizer.n_special)
        out += [(a, b, k) for k, (a, b) in enumerate(pieces, start=1)]
    return out


def _pieces(text: str, start: int, end: int, tokens: list[Span], budget: int) -> list[Span]:
    """Cut ``text[start:end]`` into runs of at most ``budget`` tokens.

    A run ends before the last sentence start that fits, else before the last word start
    that fits, else (one word longer than the budget) at the budget.
    """
    token_starts = [start + a for a, _ in tokens]
    sentence_cuts = sorted({bisect_right(token_starts, a) - 1
                            for a, _ in _sentences(text, (start, end))})
    word_cuts = [i for i, a in enumerate(token_starts) if i and text[a - 1].isspace()]
    pieces, first = [], 0
    while first < len(tokens):
        last = first + budget
        if last >= len(tokens):
            last = len(tokens)
        else:
            last = _last_cut(sentence_cuts, first, last) or _last_cut(word_cuts, first, last) \
                or last
        b = end if last == len(tokens) else start + tokens[last - 1][1]
        pieces += _strip_spans(text, [(token_starts[first], b)])
        first = last
    return pieces


def _last_cut(cuts: list[int], first: int, last: int) -> int | None:
    """The largest of the sorted ``cuts`` in (first, last], or None."""
    i = bisect_right(cuts, last) - 1
    return cuts[i] if i >= 0 and cuts[i] > first else None


def split_text(text: str, cfg: SegmentationConfig) -> list[Span]:
    """Character spans of one document's segments."""
    if cfg.unit == "document":
        spans = [(m.start(), m.end()) for m in [re.search(r"\S[\s\S]*\S|\S", text)] if m]
    elif cfg.unit == "paragraph":
        spans = _strip_spans(text, [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)])
    elif cfg.unit == "sentence":
        spans = sentence_spans(text)
    else:
        return _windows(text, cfg.window_words, cfg.window_overlap)
    return _merge_short(text, spans, cfg.min_words)


def sentence_spans(text: str) -> list[Span]:
    """Character spans of the sentences of ``text``, paragraph by paragraph."""
    return [s for p in _strip_spans(text, [(m.start(), m.end())
                                           for m in _PARAGRAPH.finditer(text)])
            for s in _sentences(text, p)]


def _strip_spans(text: str, spans: list[Span]) -> list[Span]:
    out = []
    for start, end in spans:
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            start += len(piece) - len(piece.lstrip())
            out.append((start, start + len(stripped)))
    return out


def _sentences(text: str, span: Span) -> list[Span]:
    start, end = span
    out, cursor = [], start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _ABBREVIATION.search(text, cursor, match.start()):
            continue
        out.append((cursor, match.end(1)))  # closing quotes stay with their sentence
        cursor = match.end()
    out.append((cursor, end))
    return _strip_spans(text, out)


def _windows(text: str, size: int, overlap: int) -> list[Span]:
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    step = max(1, size - overlap)
    spans = []
    for first in range(0, len(words), step):
        chunk = words[first : first + size]
        spans.append((chunk[0][0], chunk[-1][1]))
        if first + size >= len(words):
            break
    return spans


def _merge_short(text: str, spans: list[Span], min_words: int) -> list[Span]:
    """Merge a segment under ``min_words`` words into the next one (the last into the previous)."""
    if min_words <= 0 or len(spans) < 2:
        return spans
    merged: list[Span] = []
    pending: int | None = None  # start of a short run waiting for its successor
    for start, end in spans:
        if pending is not None:
            start, pending = pending, None
        if len(_WORD.findall(text, start, end)) < min_words:
            pending = start
            continue
        merged.append((start, end))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending, spans[-1][1]))
    return merged

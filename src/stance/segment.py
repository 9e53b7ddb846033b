"""Split cleaned documents into segments: paragraphs, sentences, word windows or whole documents.

Segment ids are ``doc_id:index`` and every segment keeps character offsets into
its document's cleaned text, so ``text == document[start:end]`` always holds.
"""

from __future__ import annotations

import re

import pandas as pd

from stance.config import SegmentationConfig
from stance.data import SEGMENT_COLUMNS, Corpus, Segments
from stance.progress import track

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


def segment_corpus(corpus: Corpus, cfg: SegmentationConfig) -> Segments:
    """Split every document of ``corpus`` into segments as ``cfg`` says.

    Example:
        >>> segs = segment_corpus(corpus, SegmentationConfig(unit="paragraph"))  # doctest: +SKIP
        >>> segs.table.columns[:3].tolist()
        ['seg_id', 'doc_id', 'outlet']
    """
    rows = []
    docs = corpus.documents
    documents = zip(docs["doc_id"], docs["outlet"], docs["text"], strict=True)
    for doc_id, outlet, text in track(documents, "segmenting", total=len(docs)):
        for position, (start, end) in enumerate(split_text(text, cfg)):
            rows.append((f"{doc_id}:{position}", doc_id, outlet, position, start, end,
                         text[start:end]))
    table = pd.DataFrame(rows, columns=list(SEGMENT_COLUMNS))
    table = table.astype({"position": "int32", "start": "int64", "end": "int64"})
    return Segments(table)


def split_text(text: str, cfg: SegmentationConfig) -> list[Span]:
    """Character spans of one document's segments."""
    if cfg.unit == "document":
        spans = [(m.start(), m.end()) for m in [re.search(r"\S[\s\S]*\S|\S", text)] if m]
    elif cfg.unit == "paragraph":
        spans = _strip_spans(text, [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)])
    elif cfg.unit == "sentence":
        spans = [s for p in _strip_spans(text, [(m.start(), m.end())
                                                for m in _PARAGRAPH.finditer(text)])
                 for s in _sentences(text, p)]
    else:
        return _windows(text, cfg.window_words, cfg.window_overlap)
    return _merge_short(text, spans, cfg.min_words)


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

"""Where each mention's sentence and context lie in its segment, and the texts cut from them.

A mention is carried between stages as offsets into its segment (a few integers), not as
copies of its sentence and context: at millions of segments the copies are most of the
stage's memory, and any process holding the segment's text can cut them again.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping

import numpy as np
import pandas as pd

from stance.config import ActorStanceConfig
from stance.corpus import sentence_spans
from stance.embed import text_keys
from stance.sentiment._model import BATCH

_WORD = re.compile(r"\S+")

#: One row per mention: where it is, and where its sentence and context lie in the segment.
SPAN_COLUMNS = ("doc_id", "seg_id", "outlet", "date", "actor", "alias", "seg_start", "seg_end",
                "sentence_seg_start", "sentence_seg_end", "context_seg_start",
                "context_seg_end")
#: actor_stance.csv: each mention with its sentence and the context the model read, offsets
#: into each, the stance and the class probabilities.
STANCE_COLUMNS = ("doc_id", "seg_id", "outlet", "date", "actor", "alias", "mention", "sentence",
                  "mention_start", "mention_end", "seg_start", "seg_end", "context",
                  "context_start", "context_end", "stance", "p_negative", "p_neutral",
                  "p_positive")


def mention_spans(mentions: pd.DataFrame, texts: Mapping[str, str] | pd.Series,
                  dates: pd.Series, cfg: ActorStanceConfig) -> pd.DataFrame:
    """Each mention with the spans of its sentence and of the context the model reads.

    Args:
        mentions: the actors stage's mentions (seg_id, doc_id, outlet, actor, alias, start,
            end in the segment), in the order the rows come back.
        texts: segment text by seg_id.
        dates: document date by doc_id.
        cfg: the unit read around a mention.
    """
    rows = []
    for seg_id, group in mentions.groupby("seg_id", sort=False):
        text = texts[seg_id]
        spans = sentence_spans(text)
        starts = [a for a, _ in spans]
        for m in group.itertuples(index=False):
            a, b = spans[max(0, bisect_right(starts, m.start) - 1)]
            b = max(b, m.end)  # a mention never straddles a cut
            context = _context(text, (a, b), (m.start, m.end), cfg)
            rows.append((m.doc_id, seg_id, m.outlet, m.actor, m.alias, m.start, m.end, a, b,
                         *context))
    columns = [c for c in SPAN_COLUMNS if c != "date"]
    table = pd.DataFrame(rows, columns=columns).astype(
        {c: "int64" for c in columns[5:]})
    table.insert(3, "date", table["doc_id"].map(dates))
    return table


def contexts(spans: pd.DataFrame, texts: Mapping[str, str] | pd.Series
             ) -> tuple[list[str], list[tuple[int, int]]]:
    """What the model reads for each mention, and the mention's offsets in it."""
    read, offsets = [], []
    for seg_id, start, end, a, b in zip(spans["seg_id"], spans["seg_start"], spans["seg_end"],
                                        spans["context_seg_start"], spans["context_seg_end"],
                                        strict=True):
        read.append(texts[seg_id][a:b])
        offsets.append((start - a, end - a))
    return read, offsets


def distinct_contexts(spans: pd.DataFrame, texts: Mapping[str, str] | pd.Series,
                      chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """The mentions worth reading: the first of each distinct context and mention offsets.

    The model's probabilities depend only on the text it reads and where the mention lies in
    it, and wire copy, syndicated articles and repeated quotes read the same sentences in
    many outlets, so each distinct pair is read once. Pairs are compared by the embedding
    cache's text keys (sha256), ``chunk`` contexts cut at a time, so the driver never holds
    every context.

    Returns:
        The rows of ``spans`` to read, in their order in ``spans`` (every row when nothing
        repeats), and for each mention the position among them of the one it copies.
    """
    keys = []
    for at in range(0, len(spans), chunk):
        read, offsets = contexts(spans.iloc[at:at + chunk], texts)
        keys.append(text_keys([f"{start} {end} {text}"
                               for text, (start, end) in zip(read, offsets, strict=True)]))
    # codes in order of first appearance, so the first of each code is in the mentions' order
    copies, _ = pd.factorize(np.concatenate(keys))
    return np.unique(copies, return_index=True)[1], copies


def stance_rows(predicted: pd.DataFrame, texts: Mapping[str, str] | pd.Series) -> pd.DataFrame:
    """The rows of actor_stance.csv: each predicted mention with its texts cut from its segment.

    Args:
        predicted: :data:`SPAN_COLUMNS` with the stance and the class probabilities.
        texts: segment text by seg_id.
    """
    cut = [(text[s:e], text[ss:se], s - ss, e - ss, text[cs:ce], s - cs, e - cs)
           for text, s, e, ss, se, cs, ce in zip(
               predicted["seg_id"].map(texts), predicted["seg_start"], predicted["seg_end"],
               predicted["sentence_seg_start"], predicted["sentence_seg_end"],
               predicted["context_seg_start"], predicted["context_seg_end"], strict=True)]
    names = ["mention", "sentence", "mention_start", "mention_end", "context", "context_start",
             "context_end"]
    table = pd.DataFrame(cut, columns=names, index=predicted.index).astype(
        {c: "int64" for c in names if c.endswith(("_start", "_end"))})
    return pd.concat([predicted, table], axis=1)[list(STANCE_COLUMNS)]


def prediction_slices(spans: pd.DataFrame, partition_size: int) -> list[np.ndarray]:
    """Rows of ``spans`` in slices of whole batches, every context ordered by its length.

    :meth:`~stance.sentiment._model.StanceModel.predict_proba` orders what it reads by
    length (less padding per batch). Cutting that order into whole batches means a slice
    predicted alone, here or on a worker, sees the batches one call over every mention would,
    so the probabilities do not depend on how the mentions are partitioned.
    """
    lengths = (spans["context_seg_end"] - spans["context_seg_start"]).to_numpy()
    order = np.argsort(lengths, kind="stable")
    per_slice = max(1, partition_size // BATCH) * BATCH
    return [order[i:i + per_slice] for i in range(0, len(order), per_slice)]


def _context(text: str, sentence: tuple[int, int], mention: tuple[int, int],
             cfg: ActorStanceConfig) -> tuple[int, int]:
    """The span the model reads: the sentence, or window_words words each side of the mention.

    A sentence longer than twice the window (a run-on paragraph the splitter could not cut)
    is cut to the window too, so every mention sits well inside what the model reads.
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if cfg.unit == "sentence":
        inside = [w for w in words if w[0] >= sentence[0] and w[1] <= sentence[1]]
        if len(inside) <= 2 * cfg.window_words + 1:
            return sentence
        words = inside
    first = next(i for i, w in enumerate(words) if w[1] > mention[0])
    last = next((i for i, w in enumerate(words) if w[0] >= mention[1]), len(words))
    lo, hi = max(0, first - cfg.window_words), min(len(words), last + cfg.window_words)
    return min(words[lo][0], mention[0]), max(words[hi - 1][1], mention[1])

"""Cleaning, near-duplicate signatures and segmentation a block of documents at a time."""

from __future__ import annotations

import pandas as pd
import pytest

from stance.config import CleaningConfig, DedupConfig, RepeatedLinesConfig, SegmentationConfig
from stance.corpus import _tasks, clean_corpus, find_near_duplicates, segment_corpus
from stance.data import Corpus

WIRE = ("Russian President Vladimir Putin and Belarusian President Alexander Lukashenko held "
        "talks in Sochi on Monday to discuss integration, trade and energy projects.")
TAGLINE = "Subscribe to our Telegram channel"


def _corpus() -> Corpus:
    """Seven documents: an outlet tagline in three of them, one in each block of two, and a
    wire story copied in the first and last blocks."""
    texts = [f"{WIRE}\n{TAGLINE}", "Лукашенко заявил о новых учениях.\n\nОни начнутся в мае.",
             f"Talks ended late.\n{TAGLINE}", "Grain exports rose.\n\nPrices fell again.",
             f"The border stays closed.\n{TAGLINE}", "A paragraph alone, in the third block.",
             WIRE]
    frame = pd.DataFrame({"doc_id": [f"d{i}" for i in range(7)],
                          "outlet": ["A", "B", "A", "B", "A", "B", "C"],
                          "date": pd.NaT, "title": "", "text": texts})
    return Corpus(frame)


@pytest.mark.parametrize("block", [1, 2, 3])
def test_blocks_of_documents_give_the_result_of_one_block(monkeypatch, block):
    corpus = _corpus()
    cleaning = CleaningConfig(repeated_lines=RepeatedLinesConfig(min_documents=3))
    dedup = DedupConfig(threshold=0.5)  # the copy without the tagline
    segmentation = SegmentationConfig(unit="paragraph", min_words=0)
    whole_clean = clean_corpus(corpus, cleaning)
    whole_dups = find_near_duplicates(corpus, dedup, seed=7)
    whole_segments = segment_corpus(whole_clean[0], segmentation).table
    monkeypatch.setattr(_tasks, "BLOCK_DOCUMENTS", block)
    cleaned, removals = clean_corpus(corpus, cleaning)
    pd.testing.assert_frame_equal(cleaned.documents, whole_clean[0].documents)
    pd.testing.assert_frame_equal(removals, whole_clean[1])
    pd.testing.assert_frame_equal(find_near_duplicates(corpus, dedup, seed=7), whole_dups)
    pd.testing.assert_frame_equal(segment_corpus(cleaned, segmentation).table, whole_segments)
    # the tagline is in three documents of outlet A, never two in one block of two: only
    # the counts summed over blocks find it
    assert removals["pattern"].tolist() == ["repeated-in-outlet"] * 3
    assert whole_dups[["doc_id", "duplicate_of"]].values.tolist() == [["d6", "d0"]]
    assert len(whole_segments) == 9 and whole_segments["text"].dtype == "str"

import pandas as pd
import pytest

from stance.config import SegmentationConfig
from stance.data import Corpus
from stance.segment import segment_corpus, split_text

TEXT = (
    "Putin and Lukashenko met in Sochi on Monday for talks.\n\n"
    "Short line.\n\n"
    "Mr. Putin said trade grew. The U.S. was not mentioned. \"We agree,\" he said.\n\n"
    "Final words of the article are here."
)


def _corpus(*texts):
    frame = pd.DataFrame({
        "doc_id": [f"d{i}" for i in range(len(texts))], "outlet": "X", "date": pd.NaT,
        "title": "", "text": list(texts)})
    return Corpus(frame)


@pytest.mark.parametrize("unit", ["paragraph", "sentence", "window", "document"])
def test_offsets_ids_and_order_hold_for_every_unit(unit):
    corpus = _corpus(TEXT, "One more document with several words in it.\n\nAnd a second one.")
    segs = segment_corpus(corpus, SegmentationConfig(unit=unit, min_words=4, window_words=6,
                                                     window_overlap=2)).table
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=False))
    for row in segs.itertuples():
        assert row.text == texts[row.doc_id][row.start:row.end]
        assert row.seg_id == f"{row.doc_id}:{row.position}"
        assert row.text == row.text.strip() and row.text
    for _, group in segs.groupby("doc_id"):
        assert list(group["position"]) == list(range(len(group)))
        assert group["start"].is_monotonic_increasing


def test_paragraphs_merge_short_ones_into_the_next():
    spans = split_text(TEXT, SegmentationConfig(unit="paragraph", min_words=4))
    pieces = [TEXT[a:b] for a, b in spans]
    assert len(pieces) == 3
    assert pieces[1].startswith("Short line.\n\nMr. Putin said")


def test_short_last_paragraph_merges_into_the_previous():
    text = "A long enough first paragraph of words.\n\nTiny end."
    spans = split_text(text, SegmentationConfig(unit="paragraph", min_words=4))
    assert [text[a:b] for a, b in spans] == [text]


def test_sentences_respect_abbreviations_and_quotes():
    spans = split_text(TEXT, SegmentationConfig(unit="sentence", min_words=0))
    sentences = [TEXT[a:b] for a, b in spans]
    assert "Mr. Putin said trade grew." in sentences
    assert "The U.S. was not mentioned." in sentences
    assert "\"We agree,\" he said." in sentences


def test_windows_overlap_and_cover_every_word():
    text = " ".join(f"w{i}" for i in range(23))
    spans = split_text(text, SegmentationConfig(unit="window", window_words=10, window_overlap=3))
    windows = [text[a:b].split() for a, b in spans]
    assert all(len(w) == 10 for w in windows[:-1])
    assert windows[1][:3] == windows[0][-3:]
    assert windows[-1][-1] == "w22"


def test_segment_ids_are_stable_across_calls():
    cfg = SegmentationConfig()
    first = segment_corpus(_corpus(TEXT), cfg).table
    assert first.equals(segment_corpus(_corpus(TEXT), cfg).table)

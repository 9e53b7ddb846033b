import pandas as pd
import pytest

from stance.config import SegmentationConfig
from stance.corpus import segment_corpus, split_text
from stance.data import Corpus

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


class WordTokenizer:
    """A stand-in tokenizer: every word is one token, its punctuation another."""

    n_special = 2

    def __init__(self, max_tokens):
        self.max_tokens = max_tokens

    def token_spans(self, texts):
        import re

        return [[m.span() for m in re.finditer(r"\w+|[^\w\s]", t)] for t in texts]


def test_a_paragraph_longer_than_the_model_reads_is_split_at_sentence_ends():
    sentences = [f"Sentence {i} has exactly six words." for i in range(10)]  # 7 tokens each
    text = "Intro paragraph.\n\n" + " ".join(sentences) + "\n\nOutro paragraph here."
    segs = segment_corpus(_corpus(text), SegmentationConfig(min_words=0),
                          tokenizer=WordTokenizer(max_tokens=24)).table
    assert segs["piece"].tolist() == [0, 1, 2, 3, 4, 0]  # 22 tokens fit: three sentences
    pieces = segs[segs["piece"] > 0]
    assert " ".join(pieces["text"]) == " ".join(sentences)  # no text left out
    assert all(t.endswith("words.") for t in pieces["text"])  # cut at sentence ends
    assert all(len(WordTokenizer(24).token_spans([t])[0]) + 2 <= 24 for t in segs["text"])
    assert (segs["text"] == [text[a:b] for a, b in zip(segs["start"], segs["end"],
                                                        strict=True)]).all()
    assert segs["seg_id"].tolist() == [f"d0:{i}" for i in range(6)]


def test_one_sentence_longer_than_the_model_reads_is_split_at_word_starts():
    text = " ".join(f"w{i}" for i in range(5000))  # a 5,000-word line, no sentence end
    segs = segment_corpus(_corpus(text), SegmentationConfig(), tokenizer=WordTokenizer(256))
    table = segs.table
    assert (table["piece"] > 0).all() and len(table) == -(-5000 // 254)
    assert " ".join(table["text"]) == text
    assert segs.split_counts() == (1, len(table))


def test_documents_and_short_segments_are_never_split():
    text = "A short paragraph.\n\n" + "word " * 400
    assert segment_corpus(_corpus(text), SegmentationConfig(unit="document"),
                          tokenizer=WordTokenizer(64)).split_counts() == (0, 0)
    assert segment_corpus(_corpus("A short one."), SegmentationConfig(),
                          tokenizer=WordTokenizer(64)).table["piece"].tolist() == [0]


@pytest.mark.integration
def test_pieces_of_a_long_cyrillic_paragraph_fit_the_real_model():
    from stance.config import EmbeddingConfig
    from stance.embed import load_tokenizer

    tokenizer = load_tokenizer(EmbeddingConfig())
    sentence = "Лукашенко встретился с Путиным в Сочи, и они обсудили интеграцию. "
    text = (sentence * 300).strip()
    table = segment_corpus(_corpus(text), SegmentationConfig(), tokenizer=tokenizer).table
    assert len(table) > 1 and (table["piece"] > 0).all()
    assert max(tokenizer.n_tokens(table["text"].tolist())) <= tokenizer.max_tokens == 256
    assert " ".join(table["text"]) == text

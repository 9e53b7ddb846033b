"""A folder of shards read shard by shard gives the corpus and audit of one table of them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from stance.config import CorpusConfig
from stance.corpus import load_corpus
from stance.errors import StanceError

ARTICLES = [
    {"doc_id": "a1", "outlet": "Alpha", "date": "2022-09-26", "title": "Talks in Sochi",
     "text": "The presidents met in Sochi.\n\nThey discussed trade at length."},
    {"doc_id": "x", "outlet": "Alpha", "date": "2022-10-01", "title": "Гродно",
     "text": "Лукашенко встретился с Путиным."},
    {"doc_id": "x", "outlet": "Beta", "date": "2022-10-02", "title": "Again",
     "text": "An id an earlier shard already has."},
    {"doc_id": "b1", "outlet": "", "date": "", "title": "No outlet",
     "text": "A document that names no outlet."},
    {"doc_id": "x", "outlet": "Beta", "date": "", "title": "Third",
     "text": "The id again, twice in this shard: still first seen in the first."},
    {"doc_id": "c1", "outlet": "Gamma", "date": "not a date",
     "text": "A shard none of whose records has a title."},
    {"doc_id": "c2", "outlet": "Gamma", "text": "Nor a date, in its last line."},
]


def _jsonl_shards(folder, broken_line=True):
    """Three shards: a cross-shard duplicate id, a broken line, a shard without titles."""
    folder.mkdir()
    lines = [json.dumps(a, ensure_ascii=False) for a in ARTICLES]
    (folder / "part-0.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    second = lines[2:5] + (["{not json"] if broken_line else [])
    (folder / "part-1.jsonl").write_text("\n".join(second) + "\n", encoding="utf-8")
    (folder / "part-2.jsonl").write_text("\n".join(lines[5:]) + "\n", encoding="utf-8")
    return folder


def _as_one_table(cfg: CorpusConfig):
    """The same folder read as one concatenated table (``corpus.limit`` reads it so)."""
    return load_corpus(cfg.model_copy(update={"limit": 1000}))


def _assert_same(by_shard, whole):
    pd.testing.assert_frame_equal(by_shard.corpus.documents, whole.corpus.documents)
    pd.testing.assert_frame_equal(by_shard.audit, whole.audit)
    assert by_shard.digest == whole.digest


def test_jsonl_shards_read_one_by_one_equal_one_table_with_every_problem(tmp_path):
    folder = _jsonl_shards(tmp_path / "shards")
    cfg = CorpusConfig(path=folder, format="jsonl", on_invalid="drop")
    by_shard = load_corpus(cfg)
    _assert_same(by_shard, _as_one_table(cfg))
    audit = by_shard.audit.set_index("source")
    for line in (1, 3):  # both name the first shard's row, as one table would
        repeated = audit.loc[f"{folder / 'part-1.jsonl'}:{line}"]
        assert repeated["status"] == "dropped"
        assert f"duplicate id 'x' (first at {folder / 'part-0.jsonl'}:2)" in repeated["reason"]
    assert audit.loc[f"{folder / 'part-1.jsonl'}:4", "reason"].startswith("not valid JSON")
    assert "not a date" in audit.loc[f"{folder / 'part-2.jsonl'}:1", "reason"]
    docs = by_shard.corpus.documents.set_index("doc_id")
    assert list(docs.index) == ["a1", "x", "b1", "c2"]
    assert docs.loc["x", "title"] == "Гродно"  # Cyrillic kept as written
    assert docs.loc["c2", "title"] == "" and pd.isna(docs.loc["c2", "date"])
    assert docs.loc["b1", "outlet"] == cfg.default_outlet


def test_a_duplicate_id_across_shards_stops_the_run_naming_both_places(tmp_path):
    folder = _jsonl_shards(tmp_path / "shards", broken_line=False)
    (folder / "part-2.jsonl").write_text(json.dumps(ARTICLES[-1]) + "\n")  # no bad date
    with pytest.raises(StanceError) as caught:
        load_corpus(CorpusConfig(path=folder, format="jsonl"))
    problems = [p for p in caught.value.problems if "duplicate id" in p]
    assert problems == [f"{folder / 'part-1.jsonl'}:{line}: column 'doc_id': duplicate id 'x' "
                        f"(first at {folder / 'part-0.jsonl'}:2); make ids unique"
                        for line in (1, 3)]


def test_parquet_shards_with_an_empty_shard_and_one_without_a_column(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    rows = pd.DataFrame([a for a in ARTICLES if a["doc_id"] not in ("x", "c1")])
    rows.iloc[:2].to_parquet(folder / "part-0.parquet")
    rows.iloc[:0].to_parquet(folder / "part-1.parquet")  # no rows at all
    rows.iloc[2:].drop(columns=["title", "date"]).to_parquet(folder / "part-2.parquet")
    cfg = CorpusConfig(path=folder, format="parquet")
    by_shard = load_corpus(cfg)
    _assert_same(by_shard, _as_one_table(cfg))
    assert by_shard.corpus.documents["doc_id"].tolist() == ["a1", "b1", "c2"]
    # the columns come back as Arrow strings, not a Python object per cell
    assert all(by_shard.corpus.documents[c].dtype == "str"
               for c in ("doc_id", "outlet", "title", "text"))


def test_a_text_column_no_shard_has_is_one_clear_error(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    pd.DataFrame({"doc_id": ["a"], "body": ["Text."]}).to_parquet(folder / "part-0.parquet")
    pd.DataFrame({"doc_id": ["b"], "body": ["More."]}).to_parquet(folder / "part-1.parquet")
    with pytest.raises(StanceError, match=r"no column 'text' \(corpus.columns.text\); found "
                                          r"doc_id, body"):
        load_corpus(CorpusConfig(path=folder, format="parquet"))


def test_a_pattern_reads_the_shards_it_matches(tmp_path):
    folder = _jsonl_shards(tmp_path / "shards", broken_line=False)
    (folder / "part-2.jsonl").rename(folder / "other-2.jsonl")
    loaded = load_corpus(CorpusConfig(path=folder / "part-*.jsonl", format="jsonl",
                                      on_invalid="drop"))
    assert loaded.corpus.documents["doc_id"].tolist() == ["a1", "x", "b1"]
    assert len(loaded.audit) == 5  # the other file is not part of the corpus
    with pytest.raises(StanceError, match=r"part-\*\.parquet: corpus.path matches no file"):
        load_corpus(CorpusConfig(path=folder / "part-*.parquet", format="parquet"))
    with pytest.raises(StanceError, match="a pattern of shard files needs corpus.format"):
        load_corpus(CorpusConfig(path=folder / "part-*.jsonl"))

"""Shares per group from counts per document: parts counted apart give the whole's shares."""

import numpy as np
import pandas as pd

from stance.analysis import class_shares, document_counts, sum_counts
from stance.config import AnalysisConfig

CLASSES = ["delegitimising", "official", "neutral"]


def _rows(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    doc = rng.integers(0, 30, n)
    return pd.DataFrame({"outlet": np.where(doc % 3 == 0, "Белта", "TSN.ua"),
                         "doc_id": [f"d{d:02d}" for d in doc],
                         "predicted": rng.choice(CLASSES[:2], n)})


def test_counts_per_document_cover_every_class_and_skip_unknown_labels():
    rows = pd.DataFrame({"outlet": ["A", "A", "A", "B"], "doc_id": ["a1", "a1", "a2", "b1"],
                         "predicted": ["official", "official", "other", "delegitimising"]})
    counts = document_counts(rows, "predicted", CLASSES, by=["outlet"])
    assert counts.to_dict("records") == [
        {"outlet": "A", "doc_id": "a1", "delegitimising": 0, "official": 2, "neutral": 0},
        {"outlet": "B", "doc_id": "b1", "delegitimising": 1, "official": 0, "neutral": 0}]


def test_parts_counted_apart_give_the_shares_of_the_whole():
    rows = _rows()
    cfg = AnalysisConfig(n_bootstrap=200)
    whole = class_shares(document_counts(rows, "predicted", CLASSES, by=["outlet"]), CLASSES,
                         cfg, by=["outlet"], seed=7, unit="segments")
    # documents split across the three parts, as parts of a long segments table split them
    parts = [document_counts(rows.iloc[a:b], "predicted", CLASSES, by=["outlet"])
             for a, b in ((0, 37), (37, 90), (90, 120))]
    assert sum(len(p) for p in parts) > rows["doc_id"].nunique()
    joined = sum_counts(parts, CLASSES, by=["outlet"])
    pd.testing.assert_frame_equal(
        class_shares(joined, CLASSES, cfg, by=["outlet"], seed=7, unit="segments"), whole)
    assert whole["segments"].sum() == len(rows)
    expected = rows.groupby("outlet")["predicted"].value_counts(normalize=True)
    for row in whole.itertuples():
        assert np.isclose(row.share_official, expected[(row.outlet, "official")])
        assert row.low_official <= row.share_official <= row.high_official
        assert row.share_neutral == 0 and row.low_neutral == 0 < row.high_neutral
    assert list(whole.columns[:3]) == ["outlet", "segments", "documents"]


def test_one_document_has_a_share_and_no_interval():
    rows = pd.DataFrame({"outlet": ["A", "A"], "doc_id": ["a1", "a1"],
                         "predicted": ["official", "neutral"]})
    table = class_shares(document_counts(rows, "predicted", CLASSES, by=["outlet"]), CLASSES,
                         AnalysisConfig(), by=["outlet"], seed=0, unit="segments")
    assert table.loc[0, "share_official"] == 0.5 and table.loc[0, "documents"] == 1
    assert np.isnan(table.loc[0, "low_official"]) and np.isnan(table.loc[0, "high_neutral"])


def test_shares_of_documents_count_them_once():
    rows = _rows(40)
    counts = document_counts(rows.drop_duplicates("doc_id"), "predicted", CLASSES,
                             by=["outlet"])
    table = class_shares(counts, CLASSES, AnalysisConfig(n_bootstrap=100), by=["outlet"],
                         seed=0, unit="documents")
    assert list(table.columns[:2]) == ["outlet", "documents"]
    assert table["documents"].sum() == rows["doc_id"].nunique()

"""The framing model labels every unit of a run, part by part, and counts per document."""

from __future__ import annotations

import pandas as pd
import pytest

from stance.analysis import document_counts
from stance.config import FramingConfig
from stance.framing import build_pipeline, save_framing_model
from stance.run import _outputs as files
from stance.run import _parts as parts
from stance.run._framing_corpus import predict_corpus_framing
from stance.run._framing_store import SavedFramingModel
from tests.conftest import make_segments

CLASSES = ["diplomacy", "economy", "military"]


@pytest.fixture
def run_dir(tmp_path):
    """A run folder with 60 segments of 15 documents (two outlets) and a saved model."""
    segments = make_segments(60)
    files.write_segments(segments, tmp_path)
    documents = segments.table.groupby("doc_id", as_index=False).agg(
        outlet=("outlet", "first"), text=("text", " ".join))
    documents.to_parquet(tmp_path / files.CORPUS, index=False)
    pipeline = build_pipeline(FramingConfig(), seed=0).fit(segments.table["text"].tolist(),
                                                          _themes(60))
    save_framing_model(pipeline, tmp_path / files.FRAMING_MODEL, metadata={})
    return tmp_path


def _themes(n: int) -> list[str]:
    """Each segment's theme: make_segments cycles through them."""
    return [("military", "economy", "diplomacy")[i % 3] for i in range(n)]


def _predict(run_dir, level="segment", client=None):
    return predict_corpus_framing(
        SavedFramingModel(run_dir / files.FRAMING_MODEL), run_dir, level, CLASSES,
        client=client)


def test_every_segment_is_labelled_and_counted_by_document(run_dir):
    counts = _predict(run_dir)
    rows = files.read_table(run_dir / files.FRAMING_CORPUS)
    segments = files.read_segments(run_dir).table
    assert rows["unit_id"].tolist() == segments["seg_id"].tolist()
    assert list(rows.columns) == ["unit_id", "doc_id", "outlet", "predicted",
                                  *(f"proba_{c}" for c in CLASSES)]
    # the themes cycle segment by segment, and the model tells them apart
    assert (rows["predicted"] == _themes(60)).mean() > 0.9
    pd.testing.assert_frame_equal(
        counts, document_counts(rows, "predicted", CLASSES, by=["outlet"]))
    assert counts[CLASSES].to_numpy().sum() == 60


def test_a_long_corpus_is_predicted_in_parts_with_the_same_rows_and_counts(run_dir,
                                                                          monkeypatch):
    whole = _predict(run_dir)
    rows = files.read_table(run_dir / files.FRAMING_CORPUS)
    (run_dir / files.FRAMING_CORPUS).unlink()
    monkeypatch.setattr(files, "PART_ROWS", 25)  # segments.parquet stays one file of 60 rows
    monkeypatch.setattr(parts, "_BATCH_ROWS", 7)  # parts cut across batches
    parted = _predict(run_dir)
    written = sorted(p.name for p in (run_dir / files.FRAMING_CORPUS).iterdir())
    assert written == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    # documents 6 and 12 lie across two parts: their counts are added up
    pd.testing.assert_frame_equal(parted, whole)
    pd.testing.assert_frame_equal(files.read_table(run_dir / files.FRAMING_CORPUS), rows)


def test_document_level_labels_each_document(run_dir):
    counts = _predict(run_dir, level="document")
    rows = files.read_table(run_dir / files.FRAMING_CORPUS)
    assert rows["unit_id"].tolist() == rows["doc_id"].tolist() == [f"d{i}" for i in
                                                                    sorted(range(15), key=str)]
    assert (counts[CLASSES].sum(axis=1) == 1).all() and len(counts) == 15


@pytest.mark.integration  # a LocalCluster of two worker processes
def test_workers_write_the_parts_and_send_back_the_same_counts(run_dir, tmp_path_factory,
                                                               monkeypatch):
    from stance.compute import open_cluster
    from stance.config import ComputeConfig

    monkeypatch.setattr(files, "PART_ROWS", 25)
    here = _predict(run_dir)
    rows = files.read_table(run_dir / files.FRAMING_CORPUS)
    elsewhere = tmp_path_factory.mktemp("cluster_run")
    for name in (files.SEGMENTS, files.CORPUS, files.FRAMING_MODEL, "framing_model.json"):
        (elsewhere / name).write_bytes((run_dir / name).read_bytes())
    with open_cluster(ComputeConfig(cluster="local", workers=2)) as client:
        on_workers = _predict(elsewhere, client=client)
    pd.testing.assert_frame_equal(on_workers, here)
    assert len(list((elsewhere / files.FRAMING_CORPUS).iterdir())) == 3
    pd.testing.assert_frame_equal(files.read_table(elsewhere / files.FRAMING_CORPUS), rows)

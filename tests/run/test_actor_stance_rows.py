"""actor_stance.csv is written part by part, each mention's texts cut from its segment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stance.analysis import find_mentions
from stance.config import ActorStanceConfig
from stance.corpus import load_lexicon
from stance.data import Segments
from stance.run import _outputs as files
from stance.run._actor_stance_rows import write_actor_stance_rows
from stance.sentiment import STANCE_COLUMNS, mention_spans, stance_rows

ACTORS = {"Putin": ["Putin"], "Lukashenko": ["Lukashenko", "Лукашенко"]}


def _segments(n: int = 30) -> Segments:
    """Segments of three documents each; every third names no one, others one or both."""
    texts = [("Critics condemned Putin. Лукашенко met Putin on Tuesday.", "Nothing here.",
              f"Voters praised Lukashenko on day {i}.")[i % 3] for i in range(n)]
    return Segments(pd.DataFrame({
        "seg_id": [f"d{i // 3}:{i % 3}" for i in range(n)],
        "doc_id": [f"d{i // 3}" for i in range(n)],
        "outlet": ["Белта" if (i // 3) % 2 else "Reuters" for i in range(n)],
        "position": [i % 3 for i in range(n)], "start": 0, "end": [len(t) for t in texts],
        "text": texts}))


def _predicted(segments: Segments) -> pd.DataFrame:
    texts = segments.table.set_index("seg_id")["text"]
    dates = pd.Series(pd.Timestamp("2022-01-03"), index=segments.table["doc_id"].unique())
    spans = mention_spans(find_mentions(segments, ACTORS, load_lexicon()), texts, dates,
                          ActorStanceConfig())
    proba = np.random.default_rng(0).dirichlet(np.ones(3), len(spans)).round(6)
    return spans.assign(stance=np.array(["negative", "neutral", "positive"])[proba.argmax(1)],
                        p_negative=proba[:, 0], p_neutral=proba[:, 1], p_positive=proba[:, 2])


@pytest.fixture
def run_dir(tmp_path):
    files.write_segments(_segments(), tmp_path)
    return tmp_path


def test_every_mention_is_written_with_its_texts(run_dir):
    segments, predicted = _segments(), _predicted(_segments())
    written = write_actor_stance_rows(predicted, segments, run_dir)
    assert written == run_dir / files.ACTOR_STANCE
    rows = files.read_table(written)
    assert list(rows.columns) == list(STANCE_COLUMNS) and len(rows) == len(predicted) == 40
    for row in rows.itertuples():
        assert row.sentence[row.mention_start:row.mention_end] == row.mention
        assert row.context[row.context_start:row.context_end] == row.mention
    assert set(rows["mention"]) == {"Putin", "Лукашенко", "Lukashenko"}
    assert set(rows["outlet"]) == {"Белта", "Reuters"}
    pd.testing.assert_frame_equal(rows[["stance", "p_negative"]],
                                  predicted[["stance", "p_negative"]].reset_index(drop=True))


def test_a_long_table_is_written_in_parts_with_the_same_rows(run_dir, monkeypatch):
    segments, predicted = _segments(), _predicted(_segments())
    monkeypatch.setattr(files, "PART_ROWS", 15)
    written = write_actor_stance_rows(predicted, segments, run_dir)
    assert written == run_dir / "actor_stance.parquet"
    assert [p.name for p in files.dataset_files(written)] == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    texts = segments.table.set_index("seg_id")["text"]
    pd.testing.assert_frame_equal(files.read_table(written),
                                  stance_rows(predicted, texts).reset_index(drop=True))


@pytest.mark.integration  # a LocalCluster of two worker processes
def test_workers_cut_the_texts_from_the_run_folders_segments(tmp_path_factory, monkeypatch):
    from stance.compute import open_cluster
    from stance.config import ComputeConfig

    monkeypatch.setattr(files, "PART_ROWS", 15)
    segments, predicted = _segments(), _predicted(_segments())
    folders = {}
    for where in ("here", "workers"):
        folders[where] = tmp_path_factory.mktemp(where)
        # the segments a dataset of two parts too: a part's mentions span both files
        files.write_segments(segments, folders[where])
    write_actor_stance_rows(predicted, segments, folders["here"])
    with open_cluster(ComputeConfig(cluster="local", workers=2)) as client:
        write_actor_stance_rows(predicted, segments, folders["workers"], client=client)
    for name in ("part-00000.parquet", "part-00001.parquet", "part-00002.parquet"):
        here, there = (folders[w] / "actor_stance.parquet" / name for w in folders)
        pd.testing.assert_frame_equal(pd.read_parquet(there), pd.read_parquet(here))
    assert len(pd.read_parquet(folders["workers"] / "actor_stance.parquet")) == 40
    texts = segments.table.set_index("seg_id")["text"]
    pd.testing.assert_frame_equal(files.read_table(folders["workers"] / files.ACTOR_STANCE),
                                  stance_rows(predicted, texts).reset_index(drop=True))

"""Long per-segment tables are written as partitioned Parquet datasets, and read back."""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds
import pytest

from stance.run import _outputs as files
from stance.run import compare_runs


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(files, "PART_ROWS", 4)


def table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"seg_id": [f"s{i:03d}" for i in range(n)], "topic": range(n),
                         "outlet": ["Белта"] * n})


def test_a_short_table_stays_one_file(tmp_path, small_parts):
    files.write_rows(table(4), tmp_path / "segment_topics.parquet")
    files.write_rows(table(3), tmp_path / "actor_stance.csv")
    assert (tmp_path / "segment_topics.parquet").is_file()
    assert (tmp_path / "actor_stance.csv").is_file()
    pd.testing.assert_frame_equal(files.read_table(tmp_path / "actor_stance.csv"), table(3))


def test_a_long_table_is_a_dataset_that_pandas_and_pyarrow_read(tmp_path, small_parts):
    files.write_rows(table(10), tmp_path / "segment_topics.parquet")
    files.write_rows(table(9), tmp_path / "actor_stance.csv")
    parts = sorted(p.name for p in (tmp_path / "segment_topics.parquet").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert not (tmp_path / "actor_stance.csv").exists()
    assert (tmp_path / "actor_stance.parquet").is_dir()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "segment_topics.parquet"),
                                  table(10))
    assert ds.dataset(tmp_path / "segment_topics.parquet").to_table().num_rows == 10
    pd.testing.assert_frame_equal(files.read_table(tmp_path / "segment_topics.parquet"),
                                  table(10))
    pd.testing.assert_frame_equal(files.read_table(tmp_path / "actor_stance.csv"), table(9))
    assert files.read_table(tmp_path / "absent.csv") is None


def test_runs_compare_their_partitioned_tables(tmp_path, small_parts):
    runs = []
    for name, topics in (("a", range(10)), ("b", [*range(9), 0])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "config.yaml").write_text("name: x\nseed: 1\n")
        (folder / "manifest.json").write_text('{"corpus_sha256": "abc"}')
        files.write_rows(table(10).assign(topic=list(topics)),
                         folder / "segment_topics.parquet")
        files.write_rows(table(10), folder / "actor_stance.csv")
        runs.append(folder)
    checks = {c.name: c for c in compare_runs(*runs)}
    assert checks["actor_stance.csv"].ok
    assert not checks["segment_topics.parquet topic"].ok
    assert checks["segment_topics.parquet topic"].n_different == 1


@pytest.mark.integration  # one seed run with the real model
def test_a_run_with_partitioned_tables_loads_and_matches_one_without(seed_runs, tmp_path,
                                                                      monkeypatch):
    import stance
    from stance.run import run_experiment

    monkeypatch.setattr(files, "PART_ROWS", 20)
    cfg, _, unpartitioned = seed_runs
    run = run_experiment(cfg.model_copy(update={"output_dir": tmp_path}), progress=False)
    for name in ("segments.parquet", "segment_topics.parquet", "segment_map.parquet",
                 "actor_stance.parquet"):
        assert (run.run_dir / name).is_dir(), name
    assert not (run.run_dir / "actor_stance.csv").exists()
    loaded = stance.load_run(run.run_dir)
    assert len(loaded.segments) == len(run.segments)
    assert len(loaded.assignments) == len(run.segments)
    assert len(loaded.actor_stance) == len(run.actor_stance.mentions)
    checks = compare_runs(unpartitioned.run_dir, run.run_dir)
    assert [(c.name, c.examples[:2]) for c in checks if not c.ok and not c.not_compared] == []

"""Embedding on a real Dask cluster: a LocalCluster of worker processes, and `dask scheduler`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from stance.compute import cluster_facts, open_cluster
from stance.config import ComputeConfig, EmbeddingConfig
from stance.embed import EmbeddingCache, embed_texts, load_embedder
from stance.embed._distributed import worker_embedder
from stance.errors import StanceError

TEXTS = [f"Paragraph {i}: Lukashenko and Putin discussed {w} in Minsk on day {i % 31}."
         for i, w in enumerate(["gas prices", "troops", "the union state", "sanctions",
                                "grain exports", "the border"] * 40)]


def test_cluster_setting_is_checked():
    assert not ComputeConfig().distributed
    assert ComputeConfig(cluster="tcp://10.0.0.5:8786").distributed
    jobs = ComputeConfig(cluster={"system": "slurm", "cores": 8, "memory": "16GB", "jobs": 4})
    assert jobs.cluster.system == "slurm" and jobs.distributed
    with pytest.raises(ValidationError, match="not none, local or a scheduler address"):
        ComputeConfig(cluster="10.0.0.5:8786")


def test_no_cluster_opens_nothing():
    with open_cluster(ComputeConfig()) as client:
        assert client is None
        assert cluster_facts(client) == {"cluster": "none"}


def test_unreachable_scheduler_is_one_clear_error():
    with pytest.raises(StanceError, match="cannot reach tcp://127.0.0.1:9"):
        with open_cluster(ComputeConfig(cluster="tcp://127.0.0.1:9")):
            pass


def test_a_run_on_an_unreachable_scheduler_stops_before_its_folder_exists(tmp_path):
    from stance.config import load_config
    from stance.run import run_experiment
    from tests.conftest import EXPERIMENTS

    cfg = load_config(EXPERIMENTS / "seeds.yaml").model_copy(update={
        "output_dir": tmp_path, "compute": ComputeConfig(cluster="tcp://127.0.0.1:9")})
    with pytest.raises(StanceError, match="cannot reach tcp://127.0.0.1:9"):
        run_experiment(cfg, progress=False)
    assert not (tmp_path / cfg.name / "runs").exists()


def _variable(name: str) -> str | None:
    """The environment variable ``name`` of the process this runs in."""
    import os

    return os.environ.get(name)


@pytest.mark.integration  # starts a worker process
def test_a_local_cluster_leaves_this_process_environment_as_it_was(monkeypatch):
    import os

    # the workers' BLAS runs one thread; this process's variables (which manifests record
    # and stage keys hash) must not say so
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = dict(os.environ)
    with open_cluster(ComputeConfig(cluster="local", workers=1)) as client:
        assert dict(os.environ) == before
        assert set(client.run(_variable, "OMP_NUM_THREADS").values()) == {"1"}
    assert dict(os.environ) == before


@pytest.mark.integration  # starts two worker processes
def test_two_local_clusters_at_once_take_free_ports():
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with open_cluster(ComputeConfig(cluster="local", workers=1)) as first, \
                open_cluster(ComputeConfig(cluster="local", workers=1)) as second:
            assert first.scheduler.address != second.scheduler.address
    assert [str(w.message) for w in caught if "already in use" in str(w.message)] == []


@pytest.mark.integration  # starts two worker processes and distils the model (about 20 s)
def test_local_cluster_embeds_the_same_vectors_once_per_worker(tmp_path):
    cfg = EmbeddingConfig(backend="static", cache_dir=tmp_path / "vectors")
    here = embed_texts(TEXTS, load_embedder(cfg), tmp_path / "here")
    compute = ComputeConfig(cluster="local", workers=2, partition_size=1024)
    with open_cluster(compute) as client:
        facts = cluster_facts(client)
        embedder = load_embedder(cfg)
        # the workers' cache given as an fsspec URL, as an object store's would be
        there = embed_texts(TEXTS * 5, embedder, f"file://{tmp_path}/there", client=client,
                            partition_size=1024)
        loads = client.run(lambda: worker_embedder.cache_info().currsize)
    assert facts["workers"] == 2 and facts["threads"] == 2
    # each worker's own peak memory (a Python process with numpy loaded: tens of MB at least)
    assert len(facts["worker_peak_rss_mb"]) == 2 and min(facts["worker_peak_rss_mb"]) > 20
    assert embedder.texts_encoded == len(TEXTS)  # repeats encoded once
    assert np.array_equal(there, np.vstack([here] * 5))  # bit for bit
    assert set(loads.values()) <= {0, 1}  # a worker loads the model at most once
    assert len(EmbeddingCache(tmp_path / "there" / embedder.cache_key())) == len(TEXTS)
    assert len(EmbeddingCache(f"file://{tmp_path}/there/{embedder.cache_key()}")) == len(TEXTS)


@pytest.mark.integration  # a scheduler and a worker from the dask CLI, then a whole seed run
def test_a_run_on_a_scheduler_started_by_the_dask_cli(tmp_path):
    from stance.config import dump_config, load_config
    from tests.conftest import EXPERIMENTS

    port = 8700 + int(time.time()) % 200
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).with_name("dask"))  # the CLI installed beside python
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"],
                              stderr=subprocess.DEVNULL)
    try:
        cfg = EmbeddingConfig(backend="static", cache_dir=tmp_path / "vectors")
        here = embed_texts(TEXTS, load_embedder(cfg), tmp_path / "here")
        with open_cluster(ComputeConfig(cluster=address)) as client:
            assert cluster_facts(client)["workers"] == 1
            there = embed_texts(TEXTS, load_embedder(cfg), tmp_path / "there", client=client,
                                partition_size=1024)
        assert np.array_equal(here, there)
        seeds = load_config(EXPERIMENTS / "seeds.yaml")
        config = tmp_path / "seeds_on_a_cluster.yaml"
        config.write_text(dump_config(seeds.model_copy(update={
            "output_dir": tmp_path / "reports", "embedding": cfg,
            "compute": ComputeConfig(cluster=address)})))
        done = subprocess.run([str(Path(sys.executable).with_name("stance")), "-q", "run",
                               str(config)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        manifest = json.loads((tmp_path / "reports" / "seeds" / "latest" / "manifest.json")
                              .read_text())
        assert manifest["compute"]["cluster"] == address
        assert manifest["compute"]["workers"] == 1
        assert manifest["stages"]["embed"]["texts_encoded"] > 0
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.integration  # two worker processes read, clean, sign and segment the shards
def test_local_cluster_prepares_and_segments_shards_as_this_process_does(tmp_path):
    import pandas as pd

    from stance.config import CleaningConfig, CorpusConfig, DedupConfig, SegmentationConfig
    from stance.corpus import prepare_corpus, segment_corpus
    from tests.corpus.test_shards import _jsonl_shards

    corpus = CorpusConfig(path=_jsonl_shards(tmp_path / "shards"), format="jsonl",
                          on_invalid="drop")
    settings = (corpus, CleaningConfig(), DedupConfig(threshold=0.5))
    here, digest = prepare_corpus(*settings, seed=3)
    with open_cluster(ComputeConfig(cluster="local", workers=2)) as client:
        there, there_digest = prepare_corpus(*settings, seed=3, client=client)
        segments = segment_corpus(there.corpus, SegmentationConfig(), client=client)
    assert there_digest == digest
    pd.testing.assert_frame_equal(there.corpus.documents, here.corpus.documents)
    pd.testing.assert_frame_equal(there.audit.documents, here.audit.documents)
    pd.testing.assert_frame_equal(there.audit.removals, here.audit.removals)
    pd.testing.assert_frame_equal(segments.table,
                                  segment_corpus(here.corpus, SegmentationConfig()).table)
    assert there.audit.counts() == {"kept": 4, "dropped": 4, "merged": 0}


def _jobs_from_a_task(seeds: list[int]) -> list[int]:
    """A task that submits jobs of its own to the cluster and waits for each."""
    from distributed import get_client

    from stance.run._on_workers import _TaskExecutor

    executor = _TaskExecutor(get_client())
    futures = [executor.submit(pow, s, 2) for s in seeds]
    return [f.result() for f in futures]


@pytest.mark.integration  # one worker process of one thread
def test_a_task_waiting_for_its_own_jobs_on_a_one_thread_cluster_gets_them(tmp_path):
    # the jobs can only run on the thread the waiting task holds: it must let go of it
    with open_cluster(ComputeConfig(cluster="local", workers=1)) as client:
        assert client.submit(_jobs_from_a_task, [2, 3, 4]).result(timeout=120) == [4, 9, 16]

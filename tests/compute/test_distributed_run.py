"""A whole run on a LocalCluster gives the outputs of the same run in this process."""

from __future__ import annotations

import pytest

from stance.run import compare_runs, run_experiment, verify_run
from tests.conftest import EXPERIMENTS


@pytest.mark.integration  # two seed runs, a cluster of two worker processes, a verify
def test_a_local_cluster_run_matches_the_in_process_run_and_verifies(tmp_path):
    from stance.config import load_config

    base = load_config(EXPERIMENTS / "seeds.yaml")
    runs = {}
    for where in ("none", "local"):  # each run distils the model and encodes every segment
        static = base.embedding.model_copy(update={"backend": "static",
                                                   "cache_dir": tmp_path / where / "cache"})
        compute = base.compute.model_copy(update={"cluster": where, "workers": 2})
        cfg = base.model_copy(update={"output_dir": tmp_path / where, "embedding": static,
                                      "compute": compute})
        runs[where] = run_experiment(cfg, progress=False)
    cluster = runs["local"]
    assert cluster.manifest["compute"]["workers"] == 2
    assert runs["none"].manifest["compute"] == {"cluster": "none"}
    assert cluster.manifest["stages"]["embed"]["texts_encoded"] == len(cluster.segments)
    checks = compare_runs(runs["none"].run_dir, cluster.run_dir)
    assert [c.name for c in checks if not c.ok and not c.not_compared] == []
    assert len(checks) > 15
    report = verify_run(cluster.run_dir)
    assert report.ok, report.table()

"""Actor stance over a large corpus: in one process and on Dask, side by side.

Builds (once, into --work) a run of the scale benchmark's config on the --size corpus with
Trump and Biden as actors (the names the AllSides sentences use; benchmarks/scale_equal.py)
and no topics or actor stance: its folder holds the segments, the cleaned corpus and every
actor mention. Then, each mode in its own subprocess: ``none`` (this process, a slice of
mentions at a time) and ``local`` (a LocalCluster of --workers processes, a slice per task
and the rows written on the workers), the stance stage (the shipped model) and the stage
that writes actor_stance.csv / actor_stance.parquet. Recorded per mode: seconds of each,
the driver's peak RSS (the subprocess's), each worker's peak RSS, the mentions and the
distinct contexts the model read, the sha256 of the predictions and of the rows written
(the two modes must agree), and the memory the driver keeps for the stage's result (the
mentions as offsets into their segments) beside that of the same rows with their texts
(what the driver held before the rows were written part by part).

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/actor_stance_corpus.py \\
     [--size 1000000] [--workers 2] [--out benchmarks/results/actor_stance_corpus.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

#: Run in the subprocess: the two stages on the prepared folder, then what they cost.
RUNNER = """
import hashlib, json, sys, time
from pathlib import Path
import pandas as pd
from stance.compute import cluster_facts, open_cluster, peak_rss_mb
from stance.config import ActorStanceConfig, ComputeConfig
from stance.run import _outputs as files
from stance.run._actor_stance_rows import write_actor_stance_rows
from stance.sentiment import measure_actor_stance
source, folder, mode, workers = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
actors = json.loads(sys.argv[5])
segments = files.read_segments(folder)
mentions = files.read_table(source / files.ACTOR_MENTIONS)
dates = pd.read_parquet(source / files.CORPUS, columns=["doc_id", "date"]).set_index(
    "doc_id")["date"]
compute = ComputeConfig(cluster=mode, workers=workers) if mode != "none" else ComputeConfig()
with open_cluster(compute) as client:
    start = time.perf_counter()
    stance = measure_actor_stance(mentions, segments, dates, ActorStanceConfig(),
                                  actors=actors, cache_dir=folder / ".cache", seed=42,
                                  n_bootstrap=1000, client=client)
    predicted_at = time.perf_counter()
    written = write_actor_stance_rows(stance.mentions, segments, folder, client=client)
    written_at = time.perf_counter()
    facts = cluster_facts(client)
driver = peak_rss_mb()
kept = stance.mentions
rows = files.read_table(written)
digest = hashlib.sha256()
for part in files.dataset_files(written) if written.is_dir() else [written]:
    digest.update(part.read_bytes())
proba = kept[["stance", "p_negative", "p_neutral", "p_positive"]].to_csv(index=False)
print(json.dumps({
    "predict_seconds": round(predicted_at - start, 1),
    "rows_seconds": round(written_at - predicted_at, 1), "driver_rss_mb": driver,
    "worker_peak_rss_mb": facts.get("worker_peak_rss_mb"), "mentions": len(kept),
    "distinct_contexts": stance.evaluation["distinct_contexts"],
    "kept_mb": round(kept.memory_usage(deep=True).sum() / 2**20, 1),
    "rows_mb": round(rows.memory_usage(deep=True).sum() / 2**20, 1),
    "written": written.name,
    "predictions_sha256": hashlib.sha256(proba.encode()).hexdigest(),
    "rows_sha256": digest.hexdigest()}))
"""


def prepared_run(size: int, data: Path, work: Path) -> Path:
    """The folder of a run with the segments and actor mentions of the size's corpus."""
    from scale import corpus_for, scale_config
    from scale_equal import ACTORS

    latest = work / f"mentions{size}" / "latest"
    if (latest / "actor_mentions.csv").is_file():
        return latest.resolve()
    config = scale_config(f"mentions{size}", corpus_for(size, data), work, "none", 1)
    config.update(actors=ACTORS, topics={"enabled": False},
                  actor_stance={"enabled": False})
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"mentions{size}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "stance", "run", str(path)], check=True)
    return latest.resolve()


def run_mode(source: Path, folder: Path, mode: str, workers: int) -> dict:
    from scale_equal import ACTORS

    done = subprocess.run([sys.executable, "-c", RUNNER, str(source), str(folder), mode,
                           str(workers), json.dumps(ACTORS)], capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def link_segments(source: Path, folder: Path) -> None:
    """The run's segments in ``folder``, hard-linked (the workers read them there)."""
    from stance.run import _outputs as files

    written = files.written_path(source / files.SEGMENTS)
    if written.is_dir():
        (folder / files.SEGMENTS).mkdir()
        for part in files.dataset_files(written):
            os.link(part, folder / files.SEGMENTS / part.name)
    else:
        os.link(written, folder / files.SEGMENTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/tmp/stance-scale"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/stance-actor-stance"))
    parser.add_argument("--out", type=Path, default=RESULTS / "actor_stance_corpus.json")
    args = parser.parse_args()
    source = prepared_run(args.size, args.data, args.work)
    results = {"run_dir": str(source), "size": args.size, "workers": args.workers,
               "modes": {}}
    for mode in ("none", "local"):
        with tempfile.TemporaryDirectory(dir=args.work) as tmp:
            link_segments(source, Path(tmp))
            results["modes"][mode] = run_mode(source, Path(tmp), mode, args.workers)
    none, local = results["modes"]["none"], results["modes"]["local"]
    results["local_over_none"] = round(
        (local["predict_seconds"] + local["rows_seconds"])
        / (none["predict_seconds"] + none["rows_seconds"]), 2)
    results["same_predictions"] = none["predictions_sha256"] == local["predictions_sha256"]
    results["same_rows"] = none["rows_sha256"] == local["rows_sha256"]
    print(f"{'mode':>6} {'mentions':>9} {'distinct':>9} {'predict s':>9} {'rows s':>7} "
          f"{'driver MB':>10} {'workers MB':>12} {'kept MB':>8} {'rows MB':>8}")
    for mode, run in results["modes"].items():
        peaks = "/".join(f"{p:,.0f}" for p in run["worker_peak_rss_mb"] or []) or "-"
        print(f"{mode:>6} {run['mentions']:>9,} {run['distinct_contexts']:>9,} "
              f"{run['predict_seconds']:>9.1f} "
              f"{run['rows_seconds']:>7.1f} {run['driver_rss_mb']:>10,.0f} {peaks:>12} "
              f"{run['kept_mb']:>8,.1f} {run['rows_mb']:>8,.1f}")
    print(f"local/none {results['local_over_none']}x; the same predictions: "
          f"{results['same_predictions']}; the same rows: {results['same_rows']}")
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

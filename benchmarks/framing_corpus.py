"""The framing model over every segment of a large run: in one process and on Dask, side by side.

Reads the segments of a finished run folder (``--run-dir``; a run of experiments/scale.yaml
or of benchmarks/scale.py has 1,000,000), trains the default framing pipeline (words and
cues, logistic regression) on 5,000 of them with **random** labels of three classes (this
measures cost, not quality: the cost of predicting does not depend on what the labels mean),
then labels every segment with ``stance.run``'s corpus stage, each mode in its own
subprocess: ``none`` (this process, part by part) and ``local`` (a LocalCluster of
--workers processes, a part per task; only counts per document come back). Recorded per
mode: seconds of the stage, the subprocess's peak RSS (the driver), each worker's peak RSS,
the rows written and the sha256 of the counts (the two modes must agree). The counts'
shares per outlet (``class_shares``) are timed too.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/framing_corpus.py \\
     --run-dir reports/scale/latest [--workers 2] [--out benchmarks/results/framing_corpus.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CLASSES = ["a", "b", "c"]

#: Run in the subprocess: the stage on the prepared folder, then what it cost.
RUNNER = """
import hashlib, json, sys, time
from pathlib import Path
import pandas as pd
from stance.analysis import class_shares
from stance.compute import cluster_facts, open_cluster, peak_rss_mb
from stance.config import AnalysisConfig, ComputeConfig
from stance.run._framing_corpus import predict_corpus_framing
from stance.run._framing_store import SavedFramingModel
folder, mode, workers = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
classes = ["a", "b", "c"]
compute = ComputeConfig(cluster=mode, workers=workers) if mode != "none" else ComputeConfig()
with open_cluster(compute) as client:
    start = time.perf_counter()
    counts = predict_corpus_framing(SavedFramingModel(folder / "framing_model.skops"), folder,
                                    "segment", classes, client=client)
    seconds = time.perf_counter() - start
    facts = cluster_facts(client)
start = time.perf_counter()
shares = class_shares(counts, classes, AnalysisConfig(), by=["outlet"], seed=42, unit="segments")
print(json.dumps({"seconds": round(seconds, 1), "driver_rss_mb": peak_rss_mb(),
                  "shares_seconds": round(time.perf_counter() - start, 1),
                  "worker_peak_rss_mb": facts.get("worker_peak_rss_mb"),
                  "rows": int(counts[classes].to_numpy().sum()), "documents": len(counts),
                  "outlets": len(shares),
                  "counts_sha256": hashlib.sha256(counts.to_csv().encode()).hexdigest()}))
"""


def prepare(run_dir: Path, folder: Path, n_train: int = 5000) -> int:
    """Link the run's segments into ``folder`` and save a model trained there; the rows."""
    import numpy as np
    import pandas as pd

    from stance.config import FramingConfig
    from stance.framing import build_pipeline, save_framing_model
    from stance.run import _outputs as files

    source = files.written_path(run_dir / files.SEGMENTS)
    if source.is_dir():
        (folder / files.SEGMENTS).mkdir()
        for part in files.dataset_files(source):
            os.link(part.resolve(), folder / files.SEGMENTS / part.name)
    else:
        os.link(source.resolve(), folder / files.SEGMENTS)
    segments = pd.read_parquet(folder / files.SEGMENTS, columns=["text"])
    rng = np.random.default_rng(42)
    train = segments["text"].iloc[np.sort(rng.choice(len(segments), n_train, replace=False))]
    labels = rng.choice(CLASSES, n_train)
    model = build_pipeline(FramingConfig(), seed=42).fit(train.tolist(), labels)
    save_framing_model(model, folder / files.FRAMING_MODEL, metadata={})
    return len(segments)


def prepare_apart(run_dir: Path, folder: Path) -> int:
    """:func:`prepare` in a subprocess: a child's peak RSS counts its parent's memory at
    the moment it started (Linux ``ru_maxrss``), so this process holds no segments."""
    done = subprocess.run([sys.executable, __file__, "--run-dir", str(run_dir),
                           "--prepare-into", str(folder)], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.strip().splitlines()[-1])


def run_mode(folder: Path, mode: str, workers: int) -> dict:
    done = subprocess.run([sys.executable, "-c", RUNNER, str(folder), mode, str(workers)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS / "framing_corpus.json")
    parser.add_argument("--prepare-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare_into:
        print(prepare(args.run_dir, args.prepare_into))
        return
    results = {"run_dir": str(args.run_dir.resolve()), "workers": args.workers, "modes": {}}
    for mode in ("none", "local"):
        with tempfile.TemporaryDirectory(dir=args.run_dir.resolve().parent) as tmp:
            results["segments"] = prepare_apart(args.run_dir, Path(tmp))
            results["modes"][mode] = run_mode(Path(tmp), mode, args.workers)
    none, local = results["modes"]["none"], results["modes"]["local"]
    results["local_over_none"] = round(local["seconds"] / none["seconds"], 2)
    results["same_counts"] = none["counts_sha256"] == local["counts_sha256"]
    print(f"{'mode':>6} {'seconds':>8} {'driver MB':>10} {'workers MB':>14} {'rows':>10} "
          f"{'shares s':>8}")
    for mode, run in results["modes"].items():
        peaks = "/".join(f"{p:,.0f}" for p in run["worker_peak_rss_mb"] or []) or "-"
        print(f"{mode:>6} {run['seconds']:>8.1f} {run['driver_rss_mb']:>10,.0f} {peaks:>14} "
              f"{run['rows']:>10,} {run['shares_seconds']:>8.1f}")
    print(f"local/none {results['local_over_none']}x; the same counts: {results['same_counts']}")
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()

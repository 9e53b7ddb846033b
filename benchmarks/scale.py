"""Whole `stance run`s of 100k to 1M segments with the static backend, in one process and on Dask.

For each size the corpus comes from benchmarks/scale_corpus.py (real sentences of AllSides,
BBC, 20 Newsgroups and BABE re-paragraphed into exactly N distinct paragraphs, Parquet
shards; built once into --data). Each run is its own subprocess with a fresh output folder
(so nothing is cached: the static model is distilled and every segment embedded anew) and
the config of ``scale_config``: the static backend, paragraphs, no de-duplication, every
other setting at its default (``topics.fit_sample: auto`` fits on 100,000 segments,
three fits for stability, MMR terms, the 2-D map, bootstraps, figures, the PDF).

Modes, run side by side for each size: ``none`` (in-process) and ``local`` (a LocalCluster
of --workers processes; reading, cleaning, segmenting and embedding run on them). Recorded
per run: wall time of the subprocess, the driver's peak RSS (and its peak so far as each
stage ended), each worker's peak RSS (manifest.json's ``compute``), the seconds of every
stage (manifest.json), topics and
agreement of the sampled fit. The ratio local/none per size measures the distribution's
overhead (target <= 1.15x at 100k).

``--throughput`` measures per-process encode rates (texts/s) of the static and the ONNX
MiniLM backends on the same 5,000 paragraphs, for the README's cost table: how many worker
processes embed 10M segments in an hour.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/scale.py [--sizes 100000 ...]
     [--modes none local] [--throughput]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

#: Run in the subprocess: the run, then the driver's peak RSS (``ru_maxrss``, which also
#: counts this benchmark's own process, about 66 MB, at the moment it started the run; the
#: children's is not read: a forked child's counts the driver's memory at the fork).
RUNNER = """
import json, sys
from stance.config import load_config
from stance.run import run_experiment
from stance.compute import peak_rss_mb
result = run_experiment(load_config(sys.argv[1]), progress=False)
print(json.dumps({"run_dir": str(result.run_dir), "driver_rss_mb": peak_rss_mb()}))
"""


def scale_config(name: str, corpus: Path, out: Path, cluster: str, workers: int) -> dict:
    """The benchmark's config: defaults but for the corpus, the backend and dedup."""
    return {"name": name, "seed": 42, "output_dir": str(out),
            "corpus": {"path": str(corpus), "format": "parquet",
                       "columns": {"id": "doc_id", "text": "text", "outlet": "outlet",
                                   "date": "date", "title": "title"}},
            "dedup": {"method": "none"},
            "segmentation": {"unit": "paragraph"},
            "embedding": {"backend": "static", "cache_dir": str(out / "cache")},
            "compute": {"cluster": cluster, "workers": workers}}


def corpus_for(size: int, data: Path) -> Path:
    """The size's corpus folder, built first if it is not there."""
    from scale_corpus import build_scale_corpus

    folder = data / f"{size}"
    if not (folder / "corpus.json").is_file():
        build_scale_corpus(size, folder)
    return folder


def run_once(size: int, mode: str, corpus: Path, workers: int) -> dict:
    """One cold run in a subprocess; its wall time, peak RSS and stage seconds."""
    with tempfile.TemporaryDirectory(prefix="stance-scale-") as tmp:
        out = Path(tmp)
        config = out / "scale.yaml"
        config.write_text(yaml.safe_dump(
            scale_config(f"scale_{size}_{mode}", corpus, out, mode, workers)))
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", RUNNER, str(config)], capture_output=True,
                              text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"{mode} at {size}: {done.stderr[-2000:]}")
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        run_dir = Path(facts["run_dir"])
        manifest = json.loads((run_dir / "manifest.json").read_text())
        metrics = json.loads((run_dir / "metrics.json").read_text())
    return {"size": size, "mode": mode, "wall_seconds": round(wall, 1),
            "driver_rss_mb": round(facts["driver_rss_mb"]),
            "stages": {k: v["seconds"] for k, v in manifest["stages"].items()},
            # the driver's peak so far when each stage ended: where the peak was set
            "stage_peak_rss_mb": {k: v.get("peak_rss_mb") for k, v in manifest["stages"].items()},
            "segments": manifest["embedding"].get("texts_encoded_this_run"),
            "compute": manifest.get("compute"), "n_topics": metrics.get("n_topics"),
            "fit_sample": metrics.get("fit_sample")}


def throughput(corpus: Path, n: int = 5000) -> dict:
    """Texts/s of one process encoding ``n`` paragraphs, static and ONNX MiniLM."""
    import pandas as pd

    from stance.config import EmbeddingConfig
    from stance.embed import load_embedder

    shard = sorted(corpus.glob("part-*.parquet"))[0]
    texts = [p for text in pd.read_parquet(shard)["text"] for p in text.split("\n\n")][:n]
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("static", "onnx"):
            embedder = load_embedder(EmbeddingConfig(backend=backend, cache_dir=tmp))
            embedder.encode(texts[:64])  # load (and distil) outside the timing
            start = time.perf_counter()
            for i in range(0, len(texts), 1024):
                embedder.encode(texts[i:i + 1024])
            rates[backend] = round(len(texts) / (time.perf_counter() - start), 1)
    return {"texts": len(texts), "texts_per_second": rates,
            "processes_for_10M_in_an_hour": {
                b: round(10_000_000 / (r * 3600), 1) for b, r in rates.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--modes", nargs="*", default=["none", "local"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path("/tmp/stance-scale"))
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args()

    results = json.loads(args.out.read_text()) if args.out.is_file() else {"runs": []}
    for size in args.sizes:
        corpus = corpus_for(size, args.data)
        if args.throughput:
            results["throughput"] = throughput(corpus)
            print(json.dumps(results["throughput"]))
        for mode in args.modes:
            run = run_once(size, mode, corpus, args.workers)
            results["runs"] = [r for r in results["runs"]
                               if (r["size"], r["mode"]) != (size, mode)] + [run]
            workers = (run["compute"] or {}).get("worker_peak_rss_mb")
            print(f"{size:>9,} {mode:>6}: {run['wall_seconds']:>7.1f} s, driver "
                  f"{run['driver_rss_mb']:,} MB" + (f", workers {workers} MB" if workers else "")
                  + f"; stages {run['stages']}", flush=True)
            args.out.write_text(json.dumps(results, indent=2) + "\n")
    table(results)


def table(results: dict) -> None:
    """Print the runs, and the local/none ratio per size."""
    runs = {(r["size"], r["mode"]): r for r in results["runs"]}
    print(f"{'segments':>10} {'mode':>6} {'wall s':>8} {'driver MB':>10} "
          f"{'embed s':>8} {'topics s':>9} {'local/none':>11}")
    for (size, mode), run in sorted(runs.items()):
        base = runs.get((size, "none"))
        ratio = (f"{run['wall_seconds'] / base['wall_seconds']:.2f}x"
                 if base and mode != "none" else "")
        print(f"{size:>10,} {mode:>6} {run['wall_seconds']:>8.1f} {run['driver_rss_mb']:>10,} "
              f"{run['stages'].get('embed', 0):>8.1f} "
              f"{run['stages'].get('topics', 0):>9.1f} {ratio:>11}")


if __name__ == "__main__":
    main()

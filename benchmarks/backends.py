"""Embedding throughput of the two backends side by side: ONNX Runtime against torch.

The same 20 Newsgroups paragraphs (benchmarks/embed.py's fixed sample) are encoded by
``embedding.backend: onnx`` and ``backend: torch`` in one process, each model loaded once,
alternating, each repeated; the fastest repeat of each is compared, since a slow repeat
measures the machine's other jobs. The vectors are compared too (largest difference of a
component), so the speed is of the same answer.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/backends.py [--texts 1000]
     [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from embed import load_texts  # this folder is on sys.path when the script runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from stance.config import EmbeddingConfig
    from stance.embed import load_embedder

    texts = load_texts(args.texts)
    embedders = {name: load_embedder(EmbeddingConfig(backend=name)) for name in ("onnx", "torch")}
    for embedder in embedders.values():
        embedder.encode(texts[:8])  # load the model, and for onnx export it, before timing
    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    vectors = {}
    for _ in range(args.repeats):
        for name, embedder in embedders.items():
            start = time.perf_counter()
            vectors[name] = embedder.encode(texts)
            seconds[name].append(round(time.perf_counter() - start, 2))
    best = {name: min(times) for name, times in seconds.items()}
    result = {"n_texts": len(texts), "repeats": args.repeats, "seconds": seconds,
              "texts_per_second": {n: round(len(texts) / s, 1) for n, s in best.items()},
              "onnx_over_torch": round(best["onnx"] / best["torch"], 3),
              "largest_difference": float(np.abs(vectors["onnx"] - vectors["torch"]).max()),
              "machine": platform.processor() or platform.machine(),
              "cores": len(os.sched_getaffinity(0))}
    print(f"{'backend':8} {'fastest s':>10} {'texts/s':>9}")
    for name in embedders:
        print(f"{name:8} {best[name]:>10.2f} {result['texts_per_second'][name]:>9.1f}")
    print(f"onnx / torch time: {result['onnx_over_torch']}; largest component difference "
          f"{result['largest_difference']:.1e}")
    (RESULTS / "backends.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

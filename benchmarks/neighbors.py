"""The exact neighbour graph: stance's block search against one BLAS product a block, sklearn.

Every UMAP of a run builds on one k-nearest-neighbour graph, searched exactly up to
20,000 segments (:mod:`stance.neighbors`). stance computes each block of rows as one
single-threaded product, blocks side by side on a thread pool, so the graph is the same
bits on any number of cores. The alternatives, side by side in one process on the same
vectors: the same blocks each as one product on a multi-threaded BLAS (stance until this
benchmark), and scikit-learn's brute-force ``NearestNeighbors(n_jobs=-1)``.

Per size: seconds (best of ``--repeats``), the ratio to stance's, and whether the graph is
the same bits with BLAS limited to one thread as on all cores ("same on 1 thread"). Vectors are
seeded normal 384-d, as MiniLM's; k = 15 (UMAP's default), cosine (BERTopic's metric).

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/neighbors.py [--sizes 5000 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from stance.topics import _neighbors as neighbors
from stance.topics import exact_knn

RESULTS = Path(__file__).parent / "results"
SIZES = (5000, 10000, 20000)
K = 15
DIMENSIONS = 384


def blas_blocks(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The same blocks as stance, each one product on however many threads BLAS uses."""
    points = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    n = len(points)
    block = max(1, neighbors.BLOCK_ENTRIES // n)
    indices, distances = np.empty((n, k), np.int64), np.empty((n, k), np.float32)
    for start in range(0, n, block):
        rows = np.arange(start, min(start + block, n))
        score = points[rows] @ points.T
        score[np.arange(len(rows)), rows] = np.inf
        nearest = neighbors._top_k(score, k)
        indices[rows] = nearest
        distances[rows] = 1.0 - np.take_along_axis(score, nearest, axis=1)
    distances[:, 0] = 0.0
    return indices, np.maximum(distances, 0)


def sklearn_brute(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    search = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute", n_jobs=-1)
    distances, indices = search.fit(vectors).kneighbors(vectors)
    return indices, distances.astype(np.float32)


METHODS = {"stance": lambda v: exact_knn(v, K, "cosine"),
           "one BLAS product a block": lambda v: blas_blocks(v, K),
           "scikit-learn brute": lambda v: sklearn_brute(v, K)}


def measure(size: int, repeats: int) -> list[dict]:
    vectors = np.random.default_rng(size).normal(size=(size, DIMENSIONS)).astype(np.float32)
    rows = []
    for name, search in METHODS.items():
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            graph = search(vectors)
            seconds.append(time.perf_counter() - start)
        with threadpool_limits(1):
            one_core = search(vectors)
        same = all(np.array_equal(a, b) for a, b in zip(graph, one_core, strict=True))
        rows.append({"size": size, "method": name, "seconds": round(min(seconds), 3),
                     "same_on_one_blas_thread": same})
    for row in rows:
        row["ratio_to_stance"] = round(row["seconds"] / rows[0]["seconds"], 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = [row for size in args.sizes for row in measure(size, args.repeats)]
    print(f"{'size':>6}  {'method':<26}{'seconds':>8}{'ratio':>7}  same on 1 thread")
    for row in rows:
        same = "yes" if row["same_on_one_blas_thread"] else "no"
        print(f"{row['size']:>6}  {row['method']:<26}{row['seconds']:>8.2f}"
              f"{row['ratio_to_stance']:>7.2f}  {same}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "neighbors.json"
    out.write_text(json.dumps({"cores": os.cpu_count(), "k": K,
                               "dimensions": DIMENSIONS, "repeats": args.repeats,
                               "rows": rows}, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

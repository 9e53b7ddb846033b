"""The k-nearest-neighbour graph UMAP builds on, computed once per run and shared.

One run fits UMAP several times on the same vectors: the topic model, each stability
refit and the 2-D topic map. Each fit would search the neighbours again, and UMAP's own
search (pynndescent) costs more in numba compilation than in searching at tens of
thousands of segments. Here the graph is computed once and handed to every fit.

Up to :data:`EXACT_MAX_POINTS` points the graph is exact: one BLAS matrix product per
block of rows (written here rather than taken from a library because it needs no
compilation, is deterministic and beats an approximate index at this size). Beyond that
it comes from the ``approximate`` search the caller supplies (UMAP's pynndescent), since
an exact search grows with the square of the corpus.

The blocks depend on the corpus size alone, and each is one single-threaded product, so
the graph is the same bits on any number of cores; a pool of threads searches blocks side
by side. A multi-threaded BLAS splits one product among its threads, and the sums then
differ in the last bits with the number of threads: at 1,000 segments of 20 Newsgroups a
few neighbours changed, and with them 61% of the topic assignments, between one core and
two. (This holds where threadpoolctl can limit the BLAS: OpenBLAS, which numpy's Linux and
Windows wheels ship, MKL or BLIS; not Apple's Accelerate.)
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

#: Largest corpus searched exactly; the cost grows as points squared times dimensions.
EXACT_MAX_POINTS = 20_000
#: Similarity entries per block of rows: 32 MB of float32 scores, plus 64 MB of int64
#: positions while the top k are selected.
BLOCK_ENTRIES = 2**23
#: Most blocks searched at once (one per BLAS thread up to this), each holding its memory:
#: about 0.2 GB on two cores, at most 0.4 GB.
MAX_THREADS = 4
#: Metrics the exact search computes; others go to the approximate search.
EXACT_METRICS = ("cosine", "euclidean")

Search = Callable[[np.ndarray, int, str], tuple[np.ndarray, np.ndarray]]

_last: dict = {}
#: The BLAS limit is process-wide: one search at a time sets and restores it.
_limiting = threading.Lock()


def knn_graph(vectors: np.ndarray, k: int, metric: str, *,
              approximate: Search) -> tuple[np.ndarray, np.ndarray]:
    """Each point's ``k`` nearest neighbours (itself first) and their distances.

    The latest graph is remembered: a second call on the same vectors and metric with the
    same or a smaller ``k`` slices it instead of searching again.

    Args:
        vectors: one row per point.
        k: neighbours per point, the point itself included (UMAP's ``n_neighbors``).
        metric: ``cosine`` or ``euclidean`` are searched exactly up to
            :data:`EXACT_MAX_POINTS` points; anything else always uses ``approximate``.
        approximate: ``(vectors, k, metric) -> (indices, distances)`` for the rest.

    Returns:
        ``(indices, distances)``, each of shape (n, k), nearest first.

    Example:
        >>> idx, dist = knn_graph(np.eye(3, dtype=np.float32), 2, "euclidean",
        ...                       approximate=None)
        >>> idx[:, 0].tolist()
        [0, 1, 2]
    """
    key = (_digest(vectors), metric)
    if _last.get("key") == key and _last["k"] >= k:
        return _last["indices"][:, :k], _last["distances"][:, :k]
    if metric in EXACT_METRICS and len(vectors) <= EXACT_MAX_POINTS:
        indices, distances = exact_knn(vectors, k, metric)
    else:
        indices, distances = approximate(vectors, k, metric)
    _last.clear()
    _last.update(key=key, k=k, indices=indices, distances=distances)
    return indices, distances


def exact_knn(vectors: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours by cosine or euclidean distance, the point itself first.

    Deterministic: the same vectors give the same graph on every call, on any number of
    cores (see the module docstring).

    Example:
        >>> exact_knn(np.array([[0.0], [1.0], [3.0]]), 2, "euclidean")[0].tolist()
        [[0, 1], [1, 0], [2, 1]]
    """
    points = np.asarray(vectors, dtype=np.float32)
    n = len(points)
    k = min(k, n)
    if metric == "cosine":
        norms = np.linalg.norm(points, axis=1, keepdims=True)
        points = points / np.where(norms == 0, 1, norms)
    squared = np.einsum("ij,ij->i", points, points)
    indices = np.empty((n, k), np.int64)
    distances = np.empty((n, k), np.float32)
    block = max(1, BLOCK_ENTRIES // max(n, 1))

    def search_block(start: int) -> None:
        rows = np.arange(start, min(start + block, n))
        # a larger score is nearer: the similarity, or minus the squared distance
        score = points[rows] @ points.T
        if metric == "euclidean":
            score = 2 * score - squared[rows, None] - squared[None, :]
        score[np.arange(len(rows)), rows] = np.inf  # each point is its own first neighbour
        nearest = _top_k(score, k)
        indices[rows] = nearest
        best = np.take_along_axis(score, nearest, axis=1)
        best[:, 0] = 1.0 if metric == "cosine" else 0.0
        distances[rows] = 1.0 - best if metric == "cosine" else np.sqrt(np.maximum(-best, 0))

    starts = range(0, n, block)
    threads = max(1, min(_blas_threads(), MAX_THREADS, len(starts)))
    # numpy releases the GIL in the product and the selection: the threads use the cores
    with _limiting, threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
        list(pool.map(search_block, starts))
    return indices, np.maximum(distances, 0)


def _blas_threads() -> int:
    """The threads BLAS is set to use here (one per core unless limited), or 1 if unknown."""
    return min((pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"),
               default=1)


def _top_k(score: np.ndarray, k: int) -> np.ndarray:
    """Column indices of each row's ``k`` highest scores, highest first, ties by index."""
    n = score.shape[1]
    if k < n:
        candidates = np.argpartition(score, n - k, axis=1)[:, n - k:]
    else:
        candidates = np.tile(np.arange(n), (len(score), 1))
    candidates.sort(axis=1)  # so the stable sort below breaks ties by the lower index
    order = np.argsort(-np.take_along_axis(score, candidates, axis=1), axis=1, kind="stable")
    return np.take_along_axis(candidates, order, axis=1)


def _digest(vectors: np.ndarray) -> str:
    data = np.ascontiguousarray(vectors)
    return f"{data.shape}{data.dtype}" + hashlib.blake2b(data.data, digest_size=16).hexdigest()

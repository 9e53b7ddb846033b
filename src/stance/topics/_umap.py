"""A seeded, single-threaded UMAP that builds on one shared neighbour graph.

Every UMAP of a run (the model, the stability refits, the topic map) fits on a k-nearest
neighbour graph from :func:`stance.topics._neighbors.knn_graph`, searched once per set of
vectors and handed to UMAP through its public ``precomputed_knn`` parameter. With a
``random_state`` UMAP runs single-threaded, and here its BLAS does too: a multi-threaded
BLAS splits the sums of the spectral layout among its threads, which changes their last
bits with the number of cores, and on a 100,000-segment sample that was enough to change
the topics (benchmarks/README.md). So one config gives the same topics on one machine, in
one process or on a cluster's single-threaded workers.
"""

from __future__ import annotations

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from stance.topics._neighbors import knn_graph


def seeded_umap(seed: int, graph_seed: int, **params):
    """A UMAP seeded by ``seed`` whose neighbours come from :func:`knn_graph`.

    The graph is looked up when UMAP is fitted, on the vectors it is given: guided
    modelling shifts the embeddings and zero-shot topics hold some segments back, so the
    vectors UMAP sees are not always the stage's input. ``graph_seed`` seeds the
    approximate search above :data:`stance.topics._neighbors.EXACT_MAX_POINTS` points.
    """
    from umap import UMAP
    from umap.umap_ import nearest_neighbors

    def approximate(vectors: np.ndarray, k: int, metric: str):
        # UMAP's own search (pynndescent), as its documentation shows for precomputed_knn
        indices, distances, _ = nearest_neighbors(
            vectors, k, metric, {}, False, np.random.RandomState(graph_seed), n_jobs=1)
        return indices, distances

    class SharedGraphUMAP(UMAP):
        def fit(self, X, y=None, *args, **kwargs):
            self.fitted_points_ = np.asarray(X)
            indices, distances = knn_graph(self.fitted_points_, self.n_neighbors, self.metric,
                                           approximate=approximate)
            self.precomputed_knn = (indices, distances, None)
            with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
                # without pynndescent's index UMAP cannot transform new points; BERTopic
                # does not need it (topics of new texts come from topic embeddings)
                warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
                return super().fit(X, y, *args, **kwargs)

        def transform(self, X, *args, **kwargs):
            """The fitted coordinates of training points (zero-shot topics ask for a subset).

            UMAP would place them anew through a search index, which this graph lacks.
            """
            rows = _rows_of(np.asarray(X, dtype=np.float32), self.fitted_points_)
            if rows is None:
                raise ValueError("this UMAP transforms only points it was fitted on")
            return self.embedding_[rows]

    return SharedGraphUMAP(**params, random_state=seed, n_jobs=1)


def _rows_of(points: np.ndarray, data: np.ndarray) -> np.ndarray | None:
    """Index in ``data`` of each row of ``points``, or None if one is not there."""
    def as_keys(a):  # one opaque, sortable value per row
        a = np.ascontiguousarray(a, dtype=np.float32)
        return a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()

    keys, wanted = as_keys(data), as_keys(points)
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    rows = order[at]
    return rows if (keys[rows] == wanted).all() else None

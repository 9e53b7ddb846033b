"""Topics for the segments a sampled fit did not see, and how well each way agrees with the fit.

Two ways, both measured on a seeded part of the fitted sample, whose topics the fit gave:

- ``nearest``: the topic whose centroid (mean vector of its fitted segments) is the most
  cosine-similar; a segment less similar to every centroid than the fit's outlier share of
  the sample is to theirs becomes an outlier (-1). One matrix product per chunk.
- ``neighbors``: the topic holding most of the segment's :data:`NEIGHBOURS` most similar
  fitted segments (votes weighted by similarity; the outlier topic votes too). This stands
  in for BERTopic's ``transform`` (UMAP's transform, then HDBSCAN's approximate
  prediction), which places a new point by its nearest fitted points too, but needs the
  search index our UMAP does without (it is fitted on a shared neighbour graph,
  :mod:`stance.topics._umap`). Up to :data:`EXACT_MAX_POINTS` fitted segments each
  segment is compared with every one of them; above, the neighbours come from a seeded
  pynndescent index over the fitted segments (UMAP's own search; every-pair search against
  a 100,000 sample would cost minutes per 100,000 segments on two cores). Scored on fitted
  segments, a segment never votes for itself.
"""

from __future__ import annotations

import numpy as np

#: Fitted segments on which both ways are scored against the fit's own topics.
AGREEMENT_ROWS = 5_000
#: Segments compared with the centroids per matrix product.
CHUNK = 65_536
#: Fitted segments that vote on a segment's topic under ``neighbors``.
NEIGHBOURS = 15
#: Segments compared with every fitted segment per matrix product (``neighbors``).
VOTE_CHUNK = 512
#: Most fitted segments searched exactly (as :mod:`stance.topics._neighbors` does).
EXACT_MAX_POINTS = 20_000
#: Neighbours of each fitted segment in the index's graph (pynndescent's default).
INDEX_NEIGHBOURS = 30


class NearestTopic:
    """Assigns segments to the topic with the most similar centroid, outliers by a threshold."""

    def __init__(self, vectors: np.ndarray, topics: np.ndarray) -> None:
        self.ids = np.array(sorted(t for t in set(topics.tolist()) if t != -1), dtype=int)
        centroids = np.vstack([vectors[topics == t].mean(axis=0) for t in self.ids])
        self.centroids = _unit(centroids).astype(np.float32)
        outlier_share = float((topics == -1).mean())
        best = self._best(vectors)[1]
        # the similarity below which as large a share of the fitted segments lies as the
        # fit left outside every topic
        self.threshold = float(np.quantile(best, outlier_share)) if outlier_share else -np.inf

    def _best(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.empty(len(vectors), dtype=np.int64)
        similarity = np.empty(len(vectors), dtype=np.float32)
        for start in range(0, len(vectors), CHUNK):
            scores = _unit(vectors[start:start + CHUNK]) @ self.centroids.T
            index[start:start + CHUNK] = scores.argmax(axis=1)
            similarity[start:start + CHUNK] = scores.max(axis=1)
        return index, similarity

    def assign(self, vectors: np.ndarray) -> np.ndarray:
        """The topic of each row of ``vectors`` (-1 below the outlier threshold)."""
        index, similarity = self._best(vectors)
        return np.where(similarity < self.threshold, -1, self.ids[index])


class NeighbourVote:
    """Assigns segments the topic most of their nearest fitted segments have.

    Args:
        vectors: the fitted segments' vectors.
        topics: their topics from the fit.
        seed: seeds the search index.
        exact: compare with every fitted segment (True) or search an index (False); by
            default exact up to :data:`EXACT_MAX_POINTS` fitted segments.
    """

    def __init__(self, vectors: np.ndarray, topics: np.ndarray, *, seed: int,
                 exact: bool | None = None) -> None:
        self.points = _unit(vectors).astype(np.float32, copy=False)
        self.ids, self.codes = np.unique(topics, return_inverse=True)
        self.index = None
        if not (len(self.points) <= EXACT_MAX_POINTS if exact is None else exact):
            from pynndescent import NNDescent

            # one thread with a random_state: the same index, so the same votes, every run
            self.index = NNDescent(self.points, metric="cosine", n_neighbors=INDEX_NEIGHBOURS,
                                   random_state=seed, n_jobs=1, low_memory=True)
            self.index.prepare()

    def assign(self, vectors: np.ndarray, own_rows: np.ndarray | None = None) -> np.ndarray:
        """The topic of each row of ``vectors``; ``own_rows``: its row among the fitted, if any."""
        k = min(NEIGHBOURS, len(self.points) - (own_rows is not None))
        topics = np.empty(len(vectors), dtype=int)
        for start in range(0, len(vectors), VOTE_CHUNK):
            block = _unit(vectors[start:start + VOTE_CHUNK]).astype(np.float32)
            own = None if own_rows is None else own_rows[start:start + VOTE_CHUNK]
            near, similarity = self._nearest(block, k, own)
            votes = np.zeros((len(block), len(self.ids)))
            np.add.at(votes, (np.arange(len(block))[:, None], self.codes[near]), similarity)
            topics[start:start + VOTE_CHUNK] = self.ids[votes.argmax(axis=1)]
        return topics

    def _nearest(self, block: np.ndarray, k: int,
                 own: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` fitted segments nearest each row and their cosine similarities."""
        if self.index is None:
            scores = block @ self.points.T
            if own is not None:  # a fitted segment does not vote for itself
                scores[np.arange(len(scores)), own] = -np.inf
            near = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            return near, np.take_along_axis(scores, near, axis=1)
        near, distance = self.index.query(block, k=k + (own is not None))
        if own is not None:  # drop the segment itself, or the farthest if the search missed it
            keep = near != own[:, None]
            keep[keep.all(axis=1), -1] = False
            near = near[keep].reshape(len(block), k)
            distance = distance[keep].reshape(len(block), k)
        return near, 1.0 - distance


def assigners(fit_vectors: np.ndarray, fit_topics: np.ndarray, *, seed: int) -> dict:
    """Both ways, ready to assign: ``{"nearest": NearestTopic, "neighbors": NeighbourVote}``."""
    return {"nearest": NearestTopic(fit_vectors, fit_topics),
            "neighbors": NeighbourVote(fit_vectors, fit_topics, seed=seed)}


def assign_rows(assigner: NearestTopic | NeighbourVote, vectors: np.ndarray,
                rows: np.ndarray) -> np.ndarray:
    """Topics of ``vectors[rows]``, taken :data:`CHUNK` rows at a time, never copied whole."""
    topics = np.empty(len(rows), dtype=int)
    for start in range(0, len(rows), CHUNK):
        topics[start:start + CHUNK] = assigner.assign(vectors[rows[start:start + CHUNK]])
    return topics


def assignment_agreement(ways: dict, fit_vectors: np.ndarray, fit_topics: np.ndarray, *,
                         seed: int) -> dict:
    """Each way's agreement with the fit on up to :data:`AGREEMENT_ROWS` fitted segments.

    Args:
        ways: the :func:`assigners` of this fit.
        fit_vectors: the fitted segments' vectors.
        fit_topics: their topics from the fit.
        seed: draws the segments scored.

    Returns ``{"segments", "nearest", "neighbors"}``: for each way, the share of the
    segments it gives the fit's own topic (outliers included) and the adjusted Rand index.
    """
    from sklearn.metrics import adjusted_rand_score

    rows = np.arange(len(fit_topics))
    if len(rows) > AGREEMENT_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, AGREEMENT_ROWS, replace=False))
    got = {"nearest": ways["nearest"].assign(fit_vectors[rows]),
           "neighbors": ways["neighbors"].assign(fit_vectors[rows], rows)}
    result: dict = {"segments": int(len(rows))}
    for method, topics in got.items():
        result[method] = {"same_topic": float((topics == fit_topics[rows]).mean()),
                          "ari": float(adjusted_rand_score(fit_topics[rows], topics))}
    return result


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)

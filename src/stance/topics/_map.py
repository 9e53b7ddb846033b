"""The 2-D layout of the segments for the topic map."""

from __future__ import annotations

import numpy as np

from stance.data import Embeddings
from stance.topics._umap import seeded_umap

#: The map lays out at most this many segments (a seeded sample); the others get NaN.
MAP_POINTS = 20_000


def map_coordinates(embeddings: Embeddings, *, seed: int) -> np.ndarray:
    """Project segment embeddings to 2-D with UMAP for the topic map; rows follow seg_ids.

    Above :data:`MAP_POINTS` segments a seeded sample is laid out and the other rows are
    NaN: the picture needs no more points, and UMAP's time grows with them.
    """
    n = len(embeddings)
    if n > MAP_POINTS:
        rows = np.sort(np.random.default_rng(seed).choice(n, MAP_POINTS, replace=False))
        coords = np.full((n, 2), np.nan)
        coords[rows] = _layout(embeddings.vectors[rows], seed)
        return coords
    return _layout(embeddings.vectors, seed)


def _layout(vectors: np.ndarray, seed: int) -> np.ndarray:
    n = len(vectors)
    if n < 4:  # UMAP needs a neighbourhood graph; lay tiny corpora out on a line
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    # 200 epochs, UMAP's own choice above 10,000 points, at every size: this is a picture
    reducer = seeded_umap(seed, seed, n_neighbors=min(15, n - 1), n_components=2, min_dist=0.1,
                          metric="cosine", init="spectral" if n >= 100 else "random",
                          n_epochs=200)
    return reducer.fit_transform(vectors)

"""The 2-D layout of the segments for the topic map."""

from __future__ import annotations

import numpy as np

from stance.data import Embeddings
from stance.topics._umap import seeded_umap


def map_coordinates(embeddings: Embeddings, *, seed: int) -> np.ndarray:
    """Project segment embeddings to 2-D with UMAP for the topic map; rows follow seg_ids."""
    n = len(embeddings)
    if n < 4:  # UMAP needs a neighbourhood graph; lay tiny corpora out on a line
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    # 200 epochs, UMAP's own choice above 10,000 points, at every size: this is a picture
    reducer = seeded_umap(seed, seed, n_neighbors=min(15, n - 1), n_components=2, min_dist=0.1,
                          metric="cosine", init="spectral" if n >= 100 else "random",
                          n_epochs=200)
    return reducer.fit_transform(embeddings.vectors)

"""Embedding texts and segments through the on-disk cache: only unseen texts are encoded.

Texts the cache lacks are encoded in order of length in chunks of :data:`CHUNK`, each
stored as it is done (a killed run keeps its progress), in this process or, given a Dask
client, on its workers (:mod:`stance.embed._distributed`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from stance.data import Embeddings, Segments
from stance.embed._cache import CacheLocation, EmbeddingCache, cache_folder, text_keys
from stance.embed._distributed import encode_on_cluster
from stance.embed._encoder import Embedder
from stance.progress import track

#: Texts are encoded and cached in chunks this size, so a killed run keeps its progress.
CHUNK = 1024


def embed_texts(texts: Sequence[str], embedder: Embedder, cache_dir: CacheLocation, *,
                client=None, partition_size: int = 16_384) -> np.ndarray:
    """Embed texts, encoding only those the cache has not seen; rows follow ``texts``.

    ``cache_dir`` is a folder or an fsspec URL. With a Dask ``client`` the workers encode
    them (:mod:`stance.embed._distributed`), ``partition_size`` texts a task, into the
    same cache.
    """
    cache = EmbeddingCache(cache_folder(cache_dir, embedder.cache_key()))
    if not len(texts):
        return np.empty((0, cache.dimension() or 0), np.float32)
    # first-appearance order: without repeated texts the rows are already the texts' own
    codes, unique_keys = pd.factorize(text_keys(texts))
    first_row = np.empty(len(unique_keys), np.int64)
    first_row[codes[::-1]] = np.arange(len(codes))[::-1]
    # filled in place from the cache and the encoder: one array of vectors in memory
    vectors = np.empty((len(unique_keys), cache.dimension() or embedder.dimension), np.float32)
    missing = np.flatnonzero(~cache.fill(unique_keys, vectors))
    # Encode in order of length: the model pads each batch to its longest text, and
    # sentence-transformers sorts only within one call, so unsorted chunks pay for padding.
    lengths = np.fromiter((len(texts[first_row[i]]) for i in missing), np.int64, len(missing))
    missing = missing[np.argsort(lengths, kind="stable")]
    if client is not None and len(missing):
        embedder.prepare()  # a static model is distilled here once, not by every worker
        encode_on_cluster(client, [texts[first_row[i]] for i in missing], embedder.cfg,
                          cache.folder, chunk=CHUNK, partition_size=partition_size)
        embedder.texts_encoded += len(missing)
        cache.fill(unique_keys[missing], vectors, at=missing)
        missing = missing[:0]
    chunks = [missing[i:i + CHUNK] for i in range(0, len(missing), CHUNK)]
    for chunk in track(chunks, "embedding", total=len(chunks), work=len(missing)):
        encoded = embedder.encode([texts[first_row[i]] for i in chunk])
        cache.add(unique_keys[chunk], encoded)
        vectors[chunk] = encoded
    return vectors if len(unique_keys) == len(codes) else vectors[codes]


class CachedEncoder:
    """An embedder's ``encode`` through the disk cache, memoised for this process.

    The topic stage encodes seed themes and every topic's candidate words on each fit;
    caching them means a re-run (or a stability refit) never loads the model for them.
    """

    def __init__(self, embedder: Embedder, cache_dir: CacheLocation) -> None:
        self.embedder = embedder
        self.cache_dir = cache_dir
        self.model_id = embedder.model_id
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (rows in order), encoding only texts never seen before."""
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            self._seen.update(zip(new, embed_texts(new, self.embedder, self.cache_dir),
                                  strict=True))
        if not texts:
            return np.empty((0, self.embedder.dimension), np.float32)
        return np.vstack([self._seen[t] for t in texts])



def embed_segments(segments: Segments, embedder: Embedder, cache_dir: CacheLocation, *,
                   client=None, partition_size: int = 16_384) -> Embeddings:
    """Embed every segment's text (cached by text hash under ``cache_dir``).

    With a Dask ``client`` the texts not cached are encoded on its workers.
    """
    table = segments.table
    vectors = embed_texts(table["text"].tolist(), embedder, cache_dir, client=client,
                          partition_size=partition_size)
    return Embeddings(vectors, tuple(table["seg_id"]), embedder.model_id, embedder.cfg.normalize)

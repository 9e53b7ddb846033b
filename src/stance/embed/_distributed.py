"""Embedding on Dask workers: each task encodes one partition of texts into one cache shard.

The driver sends the texts the cache lacks, sorted by length as in this process, in
partitions of whole :data:`stance.embed._texts.CHUNK` chunks, so every forward pass sees
the same batch as an in-process run would. Each worker process loads the model once
(:func:`worker_embedder`, kept for the worker's life) and writes its vectors to the shared
cache folder; the driver then reads every vector from the cache, so no vector travels
through the scheduler.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache

import numpy as np

from stance.config import EmbeddingConfig
from stance.embed._cache import CacheLocation, EmbeddingCache, text_keys
from stance.embed._encoder import load_embedder
from stance.progress import track


def encode_on_cluster(client, texts: Sequence[str], cfg: EmbeddingConfig,
                      folder: CacheLocation, *, chunk: int, partition_size: int) -> None:
    """Encode ``texts`` (in this order) on the cluster's workers into the cache at ``folder``."""
    from distributed import as_completed

    per_task = max(1, partition_size // chunk) * chunk
    parts = [list(texts[i:i + per_task]) for i in range(0, len(texts), per_task)]
    settings = cfg.model_dump_json()
    futures = client.map(embed_partition, parts, settings=settings, folder=str(folder),
                         chunk=chunk, pure=False)
    for future in track(as_completed(futures), "embedding on the cluster", total=len(parts),
                        work=len(texts)):
        future.result()  # a worker's error stops the run here, with its message


def embed_partition(texts: list[str], *, settings: str, folder: str, chunk: int) -> int:
    """On a worker: encode ``texts`` chunk by chunk and store them as one cache shard."""
    embedder = worker_embedder(settings)
    vectors = np.vstack([embedder.encode(texts[i:i + chunk])
                         for i in range(0, len(texts), chunk)])
    EmbeddingCache(folder).add(text_keys(texts), vectors)
    return len(texts)


@cache
def worker_embedder(settings: str):
    """The embedder of ``settings``, loaded once per worker process and kept."""
    return load_embedder(EmbeddingConfig(**json.loads(settings)))

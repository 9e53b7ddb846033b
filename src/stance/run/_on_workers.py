"""The stages after embedding that a run with a Dask cluster hands to one of its workers.

The topic fit (UMAP, HDBSCAN, c-TF-IDF and the assignment of the segments a sampled fit did
not see), the topic map's layout and the distinctive terms' vocabulary are the memory of a
large run. With ``compute.cluster`` set they run on a worker: it reads the segments from the
run folder (written before embedding) and their vectors from the embedding cache, once, so
neither travels through the scheduler, and sends back only each stage's result, the topic
model saved in the run folder. The stability refits go to the cluster as tasks of their own.
The functions are the in-process ones, so a run on a cluster gives the same outputs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from stance.analysis import distinctive_terms
from stance.config import TopicsConfig
from stance.data import Embeddings, Segments, TopicResult
from stance.run._outputs import TOPIC_MODEL, read_segments
from stance.run._topic_store import store_topic_model


class OnWorkers:
    """One run's segments and vectors, loaded on a worker on first use, and stages run there.

    Args:
        client: the run's ``distributed.Client``.
        run_dir: the run folder, which every worker sees, holding the segments.
        embedding_settings: the embedder's config as JSON (``EmbeddingConfig.model_dump_json``),
            None when the run embeds nothing.
        cache_dir: the embedding cache the vectors are read from.
    """

    def __init__(self, client, run_dir: Path, embedding_settings: str | None,
                 cache_dir: Path) -> None:
        self.client, self.run_dir = client, run_dir
        self._settings, self._cache_dir = embedding_settings, cache_dir
        self._segments = self._embeddings = None

    def topics(self, cfg: TopicsConfig, *, seed: int, dates: pd.Series) -> TopicResult:
        """:func:`stance.topics.fit_topics` on a worker; its model saved in the run folder."""
        return self.client.submit(
            _fit_topics, self._worker_segments(), self._worker_embeddings(), cfg, seed=seed,
            dates=dates, settings=self._settings, cache_dir=self._cache_dir,
            model_dir=self.run_dir / TOPIC_MODEL, pure=False).result()

    def map_coordinates(self, *, seed: int) -> np.ndarray:
        """:func:`stance.topics.map_coordinates` on a worker."""
        from stance.topics import map_coordinates

        return self.client.submit(map_coordinates, self._worker_embeddings(), seed=seed,
                                  pure=False).result()

    def distinctive_terms(self, **kwargs) -> pd.DataFrame:
        """:func:`stance.analysis.distinctive_terms` of the run's segments, on a worker."""
        return self.client.submit(distinctive_terms, self._worker_segments(), **kwargs,
                                  pure=False).result()

    def _worker_segments(self):
        if self._segments is None:
            self._segments = self.client.submit(read_segments, self.run_dir, pure=False)
        return self._segments

    def _worker_embeddings(self):
        if self._embeddings is None:
            self._embeddings = self.client.submit(
                _cached_embeddings, self._worker_segments(), settings=self._settings,
                cache_dir=self._cache_dir, pure=False)
        return self._embeddings


def _cached_embeddings(segments: Segments, *, settings: str, cache_dir: Path) -> Embeddings:
    """On a worker: the segments' vectors, from the cache the embedding stage filled."""
    from stance.embed import embed_segments, worker_embedder

    return embed_segments(segments, worker_embedder(settings), cache_dir)


def _fit_topics(segments: Segments, embeddings: Embeddings, cfg: TopicsConfig, *, seed: int,
                dates: pd.Series, settings: str, cache_dir: Path,
                model_dir: Path) -> TopicResult:
    """On a worker: fit the topics, the refits as tasks of their own; save the model."""
    from distributed import get_client

    from stance.embed import CachedEncoder, worker_embedder
    from stance.topics import fit_topics

    embedder = worker_embedder(settings)
    result = fit_topics(segments, embeddings, cfg, seed=seed, dates=dates,
                        encoder=CachedEncoder(embedder, cache_dir),
                        refit_executor=_TaskExecutor(get_client()))
    return dataclasses.replace(
        result, model=store_topic_model(result.model, model_dir, embedder.info.path))


class _TaskExecutor:
    """Submits jobs from a running task as tasks of their own (an ``Executor``'s ``submit``)."""

    def __init__(self, client) -> None:
        self.client = client

    def submit(self, function, /, *args, **kwargs) -> _Task:
        # the job (a refit binds the fitted texts and vectors) travels as data, from this
        # worker to the one that runs it, not in the task graph through the scheduler
        job = self.client.scatter(function, hash=False)
        return _Task(self.client.submit(_call, job, *args, pure=False, **kwargs))


def _call(function, /, *args, **kwargs):
    return function(*args, **kwargs)


class _Task:
    """A submitted job; waiting for it leaves the worker's thread to the other tasks.

    Without that, a task waiting on a worker of one thread for a job queued on that worker
    would wait forever.
    """

    def __init__(self, future) -> None:
        self.future = future

    def result(self):
        from distributed import rejoin, secede

        secede()
        try:
            return self.future.result()
        finally:
            rejoin()

    def cancel(self) -> bool:
        self.future.cancel()
        return True

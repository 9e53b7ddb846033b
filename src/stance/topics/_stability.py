"""Stability refits: the topic model fitted again with other seeds, beside the main fit.

A refit is a seeded, single-threaded UMAP and HDBSCAN, independent of the main fit, so on a
machine with a spare core some refits run in a worker process started with
:class:`concurrent.futures.ProcessPoolExecutor` (``spawn``: a fresh interpreter, so no
thread pool of this process is copied into it) while this process fits the model, and the
rest run here afterwards. When this process has work after its fit (assigning the segments
a sampled fit did not see) every refit goes to the worker, one after another beside that
work: a refit here would run after it instead, and add its UMAP and HDBSCAN to this
process's memory. A worker starts by importing bertopic, UMAP and HDBSCAN and compiling
UMAP's kernels, seconds a small fit does not repay, so refits of a corpus under
:data:`PARALLEL_MIN_SEGMENTS` segments all run here. Given an executor (a Dask cluster's,
when the fit itself runs on a worker, whose process may not start children) every refit
that can goes to it. Either way each refit gives the same assignments: the job is seeded
and single-threaded.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor

import numpy as np

#: Smallest corpus whose refits run partly in a worker process. A worker's start costs a
#: few seconds of CPU; at 10,000 20 Newsgroups paragraphs one refit takes about as long,
#: at 1,000 a fraction of it.
PARALLEL_MIN_SEGMENTS = 5_000


class Refits:
    """A refit for each of ``seeds``: in a worker from now where it pays, the rest here.

    Use as a context manager; :meth:`results` gives each refit's topic per segment, in the
    order of ``seeds``. Leaving the block stops a worker whose refits are no longer wanted.

    Args:
        here: a refit in this process, given a seed.
        away: the same refit for a worker (picklable: a module function with its arguments
            bound), or None when it cannot run in one.
        seeds: one refit each.
        n_segments: the corpus size, which decides whether a worker pays.
        busy_after: this process has work after its fit: every refit goes to the worker.
        executor: where ``away`` refits go instead of a worker process of this one (every
            one of them, at any corpus size); it is not shut down here.
    """

    def __init__(self, here: Callable[..., np.ndarray], away: Callable[..., np.ndarray] | None,
                 seeds: Sequence[int], *, n_segments: int, busy_after: bool = False,
                 executor: Executor | None = None) -> None:
        self._job, self._seeds = here, list(seeds)
        self._pool = None
        self._away: dict[int, Future] = {}
        if away is None:
            return
        if executor is not None:
            self._away = {s: executor.submit(away, seed=s) for s in self._seeds}
            return
        share = len(self._seeds) if busy_after else len(self._seeds) // 2
        n_away = share if _worth_a_worker(n_segments) else 0
        if n_away:
            self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            self._away = {s: self._pool.submit(away, seed=s) for s in self._seeds[-n_away:]}

    def results(self) -> list[np.ndarray]:
        """Each refit's topic per segment, in the order of the seeds (runs the rest here)."""
        here = {s: self._job(seed=s) for s in self._seeds if s not in self._away}
        there = {s: future.result() for s, future in self._away.items()}
        return [np.asarray({**here, **there}[s], dtype=int) for s in self._seeds]

    def __enter__(self) -> Refits:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=exc_info[0] is None, cancel_futures=True)
        else:  # an executor given: drop the refits no longer wanted
            for future in self._away.values():
                future.cancel()


class FixedEncoder:
    """An encoder that knows only the texts it was given vectors for (picklable).

    Args:
        model_id: the real encoder's model id.
        texts: the texts it can encode.
        vectors: their vectors, in order.
    """

    def __init__(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.model_id = model_id
        self.vectors = dict(zip(texts, vectors, strict=True))
        self.dimension = vectors.shape[1] if len(texts) else 0

    @classmethod
    def of(cls, encoder, texts: Sequence[str]) -> FixedEncoder:
        """``encoder``'s vectors of ``texts``, encoded now."""
        vectors = encoder.encode(list(texts)) if texts else np.empty((0, 0), np.float32)
        return cls(encoder.model_id, texts, vectors)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The stored vectors of ``texts``; a text it was not given is a bug."""
        unknown = [t for t in texts if t not in self.vectors]
        if unknown:
            raise KeyError(f"no vector for {unknown[0][:60]!r}: a refit may encode only the "
                           "seed themes given to it")
        if not texts:
            return np.empty((0, self.dimension), np.float32)
        return np.vstack([self.vectors[t] for t in texts])


def _worth_a_worker(n_segments: int) -> bool:
    """Whether refits go to a worker: a large corpus and a core to spare."""
    return n_segments >= PARALLEL_MIN_SEGMENTS and _cores() > 1


def _cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1

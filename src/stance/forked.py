"""Run independent, seeded jobs in forked worker processes while this process works on.

The topic stage's stability refits are UMAP + HDBSCAN fits that do not depend on the
model fit: seeded UMAP is single-threaded, so on a machine with a second core the refits
can run there while this process fits the model. Workers are *forked*, so they start in
milliseconds with this process's memory (segments, vectors, compiled numba kernels)
instead of importing and compiling everything again, and only their small results
(topic assignments) travel back.

Forking is safe only where every thread pool a worker uses survives a fork:

- numba's GNU OpenMP layer does not (a forked worker entering a parallel region aborts),
  so :func:`prefer_forkable_numba` selects numba's ``workqueue`` layer before numba
  starts one, unless ``NUMBA_THREADING_LAYER`` chose another;
- torch's OpenMP pool and ONNX Runtime's thread pool do not either: jobs must not encode.
  :class:`stance.embed.Embedder` raises :class:`NotPrepared` in a worker, and the parent
  encodes whatever the jobs need (the seed themes) before forking;
- a finalizer run in a worker can wait for such a pool's threads, so workers never
  garbage-collect what they inherit (``gc.freeze`` around the fork).

Each worker holds a core: while workers run, each keeps its BLAS and OpenMP pools to one
thread and this process to the cores left (threadpoolctl). OpenBLAS threads otherwise
compete for the workers' cores: beside the refits at 10,000 segments the model's fit took
12 s instead of 8.7 s.

Elsewhere (not Linux, one core, numba already on OpenMP) the jobs run here, one after the
other, with the same results: each job is seeded and single-threaded.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from threadpoolctl import threadpool_limits

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

#: numba threading layers whose thread pool survives a fork (numba's docs, "Threading
#: layers": tbb and workqueue are fork-safe; GNU OpenMP is not).
_FORKABLE_LAYERS = ("workqueue", "tbb")


class NotPrepared(LookupError):
    """A job needed something that was not made ready before the workers were forked."""


#: True in a forked worker process (set before its jobs run).
_in_worker = False


def in_worker() -> bool:
    """Whether this code runs in a worker forked by :class:`ForkedJobs`."""
    return _in_worker


def prefer_forkable_numba() -> None:
    """Select numba's fork-safe ``workqueue`` threading layer if numba has not chosen one.

    A no-op when ``NUMBA_THREADING_LAYER`` is set or numba's pool is already running.
    """
    import numba

    if numba.config.THREADING_LAYER == "default" and _numba_layer() is None:
        numba.config.THREADING_LAYER = "workqueue"


def spare_cores() -> int:
    """Worker processes that may be forked beside this one: cores - 1, or 0 where unsafe."""
    if sys.platform != "linux":  # macOS system frameworks are not fork-safe; no fork on Windows
        return 0
    import numba

    prefer_forkable_numba()
    layer = _numba_layer() or numba.config.THREADING_LAYER
    if layer not in _FORKABLE_LAYERS:
        return 0
    return len(os.sched_getaffinity(0)) - 1


def _numba_layer() -> str | None:
    """The threading layer numba's pool runs on, or None before its first parallel call."""
    import numba

    try:
        return numba.threading_layer()
    except ValueError:
        return None


class ForkedJobs(Generic[T, R]):
    """``function(item)`` for each item: some in forked workers from now, the rest here later.

    Args:
        function: a seeded, deterministic job; it must not call torch (see the module doc).
        items: one job each.
        busy_here: jobs' worth of work this process does before :meth:`results` (the
            model fit beside the refits); the workers take that many more jobs.
    """

    def __init__(self, function: Callable[[T], R], items: Sequence[T], *,
                 busy_here: int = 0) -> None:
        self.function, self.items = function, list(items)
        processes = 1 + min(spare_cores(), len(self.items))
        # Jobs are shared as evenly as possible, counting this process's other work, and
        # dealt round-robin, so that jobs of unequal cost listed in order spread out.
        total = len(self.items) + busy_here
        here = min(len(self.items), max(0, total // processes - busy_here))
        self._here = list(range(len(self.items)))[::processes][:here]
        rest = [i for i in range(len(self.items)) if i not in self._here]
        self._workers: list[tuple[list[int], Any, Any]] = []
        self._limits = None
        if processes > 1:
            # Workers never garbage-collect what they inherit: a finalizer run in a fork can
            # hang (ONNX Runtime's session destructor waits for its thread pool, whose
            # threads a fork does not copy). Frozen objects also keep their pages shared.
            gc.freeze()
            try:
                self._fork(rest, processes - 1)
            finally:
                gc.unfreeze()
        if self._workers:  # until close(), this process's pools keep off the workers' cores
            cores = len(os.sched_getaffinity(0))
            self._limits = threadpool_limits(max(1, cores - len(self._workers)))
        #: Jobs handed to forked workers (recorded in the run manifest).
        self.forked = sum(len(share) for share, _, _ in self._workers)

    def _fork(self, jobs: list[int], n_workers: int) -> None:
        context = multiprocessing.get_context("fork")
        for w in range(n_workers):
            share = jobs[w::n_workers]
            if share:
                receive, send = context.Pipe(duplex=False)
                # the function and items reach the worker in the memory it inherits
                worker = context.Process(target=_run_share, args=(self.function, self.items,
                                                                 share, send))
                worker.start()
                send.close()
                self._workers.append((share, worker, receive))

    def running(self) -> bool:
        """Whether a forked worker is still working on its jobs."""
        return any(worker.is_alive() and not receive.poll()
                   for _, worker, receive in self._workers)

    def results(self) -> list[R]:
        """Every job's result, in item order (runs this process's share first)."""
        try:
            out: dict[int, R] = {i: self.function(self.items[i]) for i in self._here}
            for share, _, receive in self._workers:
                try:
                    ok, value = receive.recv()
                except EOFError:
                    ok, value = False, "the worker process ended without an answer"
                if ok:
                    out.update(zip(share, value, strict=True))
                    continue
                if not isinstance(value, NotPrepared | str):
                    raise value
                log.warning("a forked worker could not run jobs %s (%s); running them here",
                            share, value)
                out.update((i, self.function(self.items[i])) for i in share)
        finally:
            self.close()
        return [out[i] for i in range(len(self.items))]

    def close(self) -> None:
        """Stop any worker still running (results() calls it; so should a failed caller)."""
        for _, worker, receive in self._workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
            receive.close()
        self._workers = []
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None


def _run_share(function: Callable, items: Sequence, share: list[int], send) -> None:
    """Worker: run ``share``'s jobs and send back ``(True, results)`` or ``(False, error)``."""
    global _in_worker
    _in_worker = True
    threadpool_limits(1)  # one core each
    try:
        send.send((True, [function(items[i]) for i in share]))
    except Exception as exc:  # sent to the parent, which re-raises it or runs the jobs itself
        try:
            send.send((False, exc))
        except Exception:  # the error itself cannot be pickled
            send.send((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    finally:
        send.close()

"""Run independent, seeded jobs in forked worker processes while this process works on.

:class:`ForkedJobs` shares a list of jobs among workers and this process;
:class:`ForkedChain` runs two dependent steps in one worker and answers each in turn.

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
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
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
    # Before numba is imported its thread pool cannot be running: forking is safe, and
    # importing numba here would cost 0.15 s before the first fork (the corpus worker).
    if "numba" in sys.modules:
        prefer_forkable_numba()
        layer = _numba_layer() or sys.modules["numba"].config.THREADING_LAYER
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
    """``function(item)`` for each item: in forked workers from now, and here in :meth:`results`.

    Jobs are taken in list order by whichever process is free: workers from the moment
    they are forked, this process once it asks for the results. So a worker takes every
    job while this process is busy elsewhere (the model fit beside the refits), and jobs
    of unequal cost even out (list the costly ones first).

    With ``idle=True`` workers run only on time no other process wants (Linux SCHED_IDLE)
    and this process keeps its threads: they fill a core other work leaves free without
    slowing that work. A worker starved while :meth:`results` waits (see
    :meth:`_Worker.starved`) is stopped, and its jobs run here.

    Args:
        function: a seeded, deterministic job; it must not call torch (see the module doc).
        items: one job each.
        idle: run the workers on idle time only.
    """

    def __init__(self, function: Callable[[T], R], items: Sequence[T], *,
                 idle: bool = False) -> None:
        self.function, self.items, self._idle = function, list(items), idle
        n_workers = min(spare_cores(), len(self.items))
        self._next = multiprocessing.get_context("fork").Value("i", 0) if n_workers else None
        self._workers = _fork(n_workers, _run_jobs, function, self.items, self._next, idle)
        self._limits = None if idle else _keep_off_workers_cores(len(self._workers))
        #: Jobs forked workers ran (known once :meth:`results` returns; in the run manifest).
        self.forked = 0

    def results(self) -> list[R]:
        """Every job's result, in item order."""
        n = len(self.items)
        try:
            out: dict[int, R] = {}
            while (i := _take(self._next, n)) is not None:
                out[i] = self.function(self.items[i])
            for worker in self._workers:
                if self._idle and worker.starved("its jobs"):
                    continue
                done, error = worker.answer(default=([], "the worker process ended "
                                                         "without an answer"))
                out.update(done)
                self.forked += len(done)
                if error is not None:
                    _raise_unless_runnable_here(error, "a job")
            for i in range(n):  # taken by a worker that could not finish them
                if i not in out:
                    out[i] = self.function(self.items[i])
        finally:
            self.close()
        return [out[i] for i in range(n)]

    def close(self) -> None:
        """Stop any worker still running (results() calls it; so should a failed caller)."""
        for worker in self._workers:
            worker.stop()
        self._workers = []
        _restore(self._limits)
        self._limits = None


class ForkedChain(Generic[T, R]):
    """``first()``, then ``then(<its result>)``: in one forked worker from now, answered in turn.

    The first step holds a core as :class:`ForkedJobs`' workers do. The second runs only on
    time no other process wants (Linux SCHED_IDLE), and this process gets its threads back.
    Without a spare core both steps run here when asked for.

    Example:
        >>> chain = ForkedChain(load_corpus, tabulate)  # doctest: +SKIP
        >>> import_libraries()  # while the worker loads the corpus  # doctest: +SKIP
        >>> corpus = chain.first()  # doctest: +SKIP
        >>> fit(corpus)  # while the worker runs tabulate(corpus)  # doctest: +SKIP
        >>> table = chain.then()  # doctest: +SKIP
    """

    def __init__(self, first: Callable[[], T], then: Callable[[T], R]) -> None:
        self._first, self._then = first, then
        workers = _fork(min(1, spare_cores()), _run_chain, first, then)
        self._worker = workers[0] if workers else None
        self._limits = _keep_off_workers_cores(len(workers))
        self._first_result: tuple[T] | None = None

    def first(self) -> T:
        """The first step's result (waits for it)."""
        if self._first_result is None:
            self._first_result = (self._answer(self._first),)
            _restore(self._limits)
            self._limits = None
        return self._first_result[0]

    def then(self) -> R:
        """The second step's result: waits while the worker gets CPU time, else runs it here.

        A step run on idle time only gets next to none while other processes hold every
        core; then waiting could last as long as they do.
        """
        value = self.first()
        try:
            if self._worker is not None and self._worker.starved("its step"):
                self.close()
            return self._answer(lambda: self._then(value))
        finally:
            self.close()

    def _answer(self, run_here: Callable[[], Any]) -> Any:
        if self._worker is None:
            return run_here()
        ok, value = self._worker.answer(default=(False, "the worker process ended without "
                                                        "an answer"))
        if ok:
            return value
        self.close()  # the worker stopped at this step
        _raise_unless_runnable_here(value, "a step")
        return run_here()

    def close(self) -> None:
        """Stop the worker if it is still running."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        _restore(self._limits)
        self._limits = None


class _Worker:
    """One forked process and the pipe it answers on."""

    def __init__(self, context, target: Callable, args: tuple) -> None:
        self._receive, send = context.Pipe(duplex=False)
        # the target and its arguments reach the worker in the memory it inherits
        self._process = context.Process(target=target, args=(*args, send))
        self._process.start()
        send.close()

    def answer(self, *, default: Any) -> Any:
        """Its next answer (waits for it), or ``default`` if it ended without one."""
        try:
            return self._receive.recv()
        except EOFError:
            return default

    def starved(self, work: str) -> bool:
        """Wait for its answer; True if it starved first (then it is stopped, logged).

        ``work`` names what runs here instead (:data:`_STARVED_SHARE` says when). On
        idle time only a worker gets about 0.3% of a core while other processes hold every
        core (SCHED_IDLE's weight is 3 against 1024): enough to count a tick now and then,
        far too little to finish.
        """
        needed = _STALLED_SECONDS * os.sysconf("SC_CLK_TCK") * _STARVED_SHARE
        used = _cpu_ticks(self._process.pid)
        while not self._receive.poll(_STALLED_SECONDS):
            now = _cpu_ticks(self._process.pid)
            if now is None or used is None or not self._process.is_alive():
                return False  # answer() reports how it ended
            if now - used < needed:
                log.info("a forked worker got almost no CPU time for %s s; running %s here",
                         _STALLED_SECONDS, work)
                self.stop()
                return True
            used = now
        return False

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


def _raise_unless_runnable_here(error: Exception | str, what: str) -> None:
    """Re-raise a worker's error, unless the work can run here instead (then log it).

    NotPrepared (the job needed what was not made ready before the fork) and a worker
    that ended without an answer (a string) can: the caller runs the work itself.
    """
    if not isinstance(error, NotPrepared | str):
        raise error
    log.warning("a forked worker could not run %s (%s); running it here", what, error)


#: A worker on idle time only that gets under this share of a core for
#: :data:`_STALLED_SECONDS` while this process waits for it is taken as starved.
_STARVED_SHARE = 0.1
_STALLED_SECONDS = 2.0


def _cpu_ticks(pid: int) -> int | None:
    """User + system CPU time of a process, in clock ticks (Linux /proc), or None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (command) "
    return int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (imports); it resumes afterwards.

    Imports create tens of thousands of long-lived objects (modules, functions, numba's
    types) and little garbage, yet each new batch of them sets off a full collection that
    walks all the others: about 0.3 s of a run's imports, on the path every stage waits
    for. Afterwards every object goes to the oldest generation (``gc.freeze``, then
    ``gc.unfreeze``: no object is visited) rather than leave the next young-generation
    collection to walk all that the imports made; their garbage (about 10,000 objects) waits
    for the next full collection. Objects someone else froze stay frozen (then this step is
    skipped). Enter it after forking workers, which would inherit the paused collector.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        try:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
        finally:
            if was_enabled:
                gc.enable()


def _fork(n_workers: int, target: Callable, *args: Any) -> list[_Worker]:
    if n_workers <= 0:
        return []
    context = multiprocessing.get_context("fork")
    # Workers never garbage-collect what they inherit: a finalizer run in a fork can hang
    # (ONNX Runtime's session destructor waits for its thread pool, whose threads a fork
    # does not copy). Frozen objects also keep their pages shared.
    gc.freeze()
    try:
        return [_Worker(context, target, args) for _ in range(n_workers)]
    finally:
        gc.unfreeze()


def _keep_off_workers_cores(n_workers: int):
    """Until restored, this process's thread pools keep to the cores the workers leave."""
    if not n_workers:
        return None
    return threadpool_limits(max(1, len(os.sched_getaffinity(0)) - n_workers))


def _restore(limits) -> None:
    if limits is not None:
        limits.restore_original_limits()


def _take(counter, n: int) -> int | None:
    """The next job no process has taken, or None (every job runs here without workers)."""
    if counter is None:
        return None
    with counter.get_lock():
        i = counter.value
        if i >= n:
            return None
        counter.value = i + 1
        return i


def _become_worker() -> None:
    global _in_worker
    _in_worker = True
    threadpool_limits(1)  # one core each


def _run_jobs(function: Callable, items: Sequence, counter, idle: bool, send) -> None:
    """Worker: take jobs until none is left; send ``(done, None)`` or ``(done, error)``."""
    _become_worker()
    if idle:
        _run_only_when_idle()
    done: list[tuple[int, Any]] = []
    try:
        while (i := _take(counter, len(items))) is not None:
            done.append((i, function(items[i])))
        send.send((done, None))
    except Exception as exc:  # sent to the parent, which re-raises it or runs the job itself
        _send_error(send, lambda error: (done, error), exc)
    finally:
        send.close()


def _run_chain(first: Callable, then: Callable, send) -> None:
    """Worker: send ``(True, first())``, then, on idle time only, ``(True, then(that))``."""
    _become_worker()
    sending = None
    try:
        value = first()
        # A pipe holds 64 KiB: sending blocks until the parent reads, which it may do only
        # once its own work is done. A thread sends while the second step runs.
        sending = threading.Thread(target=send.send, args=((True, value),))
        sending.start()
        _run_only_when_idle()
        second = then(value)
        sending.join()
        send.send((True, second))
    except Exception as exc:  # sent to the parent, which re-raises it or runs the step itself
        if sending is not None:
            sending.join()
        _send_error(send, lambda error: (False, error), exc)
    finally:
        send.close()


def _run_only_when_idle() -> None:
    """Give this process the CPU only when no other process wants it (Linux SCHED_IDLE).

    nice 10 was not enough: at 10,000 segments its 10% share slowed the stability
    refits, which the run waits for, by 0.6 s.
    """
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux
        os.nice(19)


def _send_error(send, message: Callable[[Any], tuple], exc: Exception) -> None:
    try:
        send.send(message(exc))
    except Exception:  # the error itself cannot be pickled
        send.send(message(RuntimeError(f"{type(exc).__name__}: {exc}")))

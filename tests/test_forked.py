"""Jobs in forked workers: same results as here, errors surfaced, failed workers covered."""

import logging
import os

import numpy as np
import pytest

from stance import forked
from stance.errors import StanceError
from stance.forked import ForkedChain, ForkedJobs, NotPrepared, in_worker, spare_cores

needs_spare_core = pytest.mark.skipif(spare_cores() == 0, reason="no core to fork a worker on")


def square_and_pid(x):
    return x * x, os.getpid()


def test_results_come_back_in_item_order_whoever_ran_them():
    jobs = ForkedJobs(square_and_pid, [3, 1, 4, 1, 5])
    results = jobs.results()
    assert [r[0] for r in results] == [9, 1, 16, 1, 25]


def wait_until_answered(jobs, seconds=30):
    """Until every worker has sent its answer or ended (this process stays busy)."""
    import time

    def answered(worker):
        return not worker._process.is_alive() or worker._receive.poll()

    deadline = time.perf_counter() + seconds
    while not all(map(answered, jobs._workers)) and time.perf_counter() < deadline:
        time.sleep(0.01)


@needs_spare_core
def test_a_worker_takes_every_job_while_this_process_is_busy():
    jobs = ForkedJobs(square_and_pid, [1, 2, 3])
    wait_until_answered(jobs)  # busy elsewhere until the worker is done
    pids = {pid for _, pid in jobs.results()}
    assert os.getpid() not in pids and len(pids) == 1
    assert jobs.forked == 3


def sleep_first_then_pid(x):
    import time

    if x == 0:
        time.sleep(1.0)
    return os.getpid()


@needs_spare_core
def test_jobs_go_to_whichever_process_is_free(monkeypatch):
    # a static share would give one process the slow job and some quick ones; here the
    # process that took the slow job (whichever it was) takes no other
    monkeypatch.setattr(forked, "spare_cores", lambda: 1)
    pids = ForkedJobs(sleep_first_then_pid, [0, 1, 2, 3, 4, 5]).results()
    assert pids[0] not in pids[1:]
    assert len(set(pids)) == 2


class _Finalised:
    """In a reference cycle (so only the garbage collector frees it); notes where it was."""

    def __init__(self, log):
        self.log, self.cycle = log, self

    def __del__(self):
        self.log.write_text(str(os.getpid()))


def _collect_garbage(_):
    import gc

    gc.collect()
    return os.getpid()


@needs_spare_core
def test_workers_never_finalise_what_they_inherit(tmp_path):
    # e.g. ONNX Runtime's session destructor hangs in a fork, waiting for its thread pool
    log = tmp_path / "finalised_in"
    _Finalised(log)  # garbage, not yet collected
    jobs = ForkedJobs(_collect_garbage, [0])
    wait_until_answered(jobs)
    worker_pid, = jobs.results()
    assert worker_pid != os.getpid()
    assert not log.exists() or log.read_text() != str(worker_pid)


def test_without_spare_cores_everything_runs_here(monkeypatch):
    monkeypatch.setattr(forked, "spare_cores", lambda: 0)
    pids = {pid for _, pid in ForkedJobs(square_and_pid, [1, 2, 3]).results()}
    assert pids == {os.getpid()}


def fails_with_value_error(x):
    raise ValueError(f"bad item {x}")


def test_a_job_error_is_raised_here():
    with pytest.raises(ValueError, match="bad item 7"):
        ForkedJobs(fails_with_value_error, [7]).results()


def needs_preparation(x):
    if in_worker():
        raise NotPrepared("not made ready before the fork")
    return x + 1


def crashes_in_worker(x):
    if in_worker():
        os._exit(3)
    return x + 1


@needs_spare_core
@pytest.mark.parametrize("job", [needs_preparation, crashes_in_worker])
def test_jobs_a_worker_could_not_run_are_run_here(job, caplog):
    with caplog.at_level(logging.WARNING, logger="stance.forked"):
        jobs = ForkedJobs(job, [1, 2])
        wait_until_answered(jobs)  # the worker took a job, and could not run it
        assert jobs.results() == [2, 3]
    assert "running it here" in caplog.text


@needs_spare_core
def test_close_stops_a_worker_whose_results_are_not_wanted():
    import time

    jobs = ForkedJobs(time.sleep, [60])
    started = time.perf_counter()
    jobs.close()
    assert time.perf_counter() - started < 10


def test_numba_uses_a_fork_safe_thread_pool_once_stance_has_fitted_umap():
    import numba

    from stance.topics import _umap

    _umap(1, 1, n_neighbors=5, n_components=2).fit(
        np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32))
    if os.environ.get("NUMBA_THREADING_LAYER"):
        pytest.skip("the user chose numba's threading layer")
    assert numba.threading_layer() in ("workqueue", "tbb")


def test_a_worker_uses_only_vectors_encoded_before_the_fork(monkeypatch, tmp_path):
    from stance.config import EmbeddingConfig
    from stance.embed import CachedEncoder, load_embedder

    embedder = load_embedder(EmbeddingConfig())
    encoder = CachedEncoder(embedder, tmp_path)
    primed = encoder.encode(["a text encoded before the fork"])
    shards = sorted(tmp_path.rglob("*.npy"))
    monkeypatch.setattr(forked, "_in_worker", True)
    np.testing.assert_array_equal(encoder.encode(["a text encoded before the fork"]), primed)
    with pytest.raises(NotPrepared, match="may not encode 1 texts"):
        encoder.encode(["a text the worker would have to encode"])
    with pytest.raises(NotPrepared, match="may not load the embedding model"):
        _ = load_embedder(EmbeddingConfig()).model
    assert sorted(tmp_path.rglob("*.npy")) == shards  # nothing written to the disk cache


def blas_threads(_=None):
    from threadpoolctl import threadpool_info

    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@needs_spare_core
def test_workers_and_this_process_keep_their_thread_pools_to_their_own_cores():
    before = blas_threads()
    assert before  # numpy's BLAS is loaded
    jobs = ForkedJobs(blas_threads, [0])
    during = blas_threads()
    (in_worker,) = jobs.results()
    assert in_worker == {1}  # a worker holds one core
    assert during == {max(1, len(os.sched_getaffinity(0)) - 1)}  # this process the rest
    assert blas_threads() == before  # restored once the workers are done


def pid_and_policy(_=None):
    return os.getpid(), os.sched_getscheduler(0)


@needs_spare_core
def test_a_chain_runs_both_steps_in_one_worker_the_second_only_on_idle_time():
    chain = ForkedChain(pid_and_policy, pid_and_policy)
    first_pid, first_policy = chain.first()
    second_pid, second_policy = chain.then()
    assert first_pid == second_pid != os.getpid()
    assert first_policy == os.sched_getscheduler(0) != os.SCHED_IDLE
    assert second_policy == os.SCHED_IDLE


def the_number(_=None):
    return 41


@needs_spare_core
def test_a_chain_passes_the_first_result_on_and_gives_back_this_process_threads():
    before = blas_threads()
    chain = ForkedChain(lambda: (the_number(), blas_threads()), lambda first: first[0] + 1)
    during = blas_threads()
    value, in_worker = chain.first()
    assert value == 41 and in_worker == {1}
    assert during == {max(1, len(os.sched_getaffinity(0)) - 1)}
    assert blas_threads() == before  # the second step does not hold a core
    assert chain.then() == 42


def test_a_chain_without_spare_cores_runs_its_steps_here_when_asked(monkeypatch):
    monkeypatch.setattr(forked, "spare_cores", lambda: 0)
    chain = ForkedChain(pid_and_policy, lambda first: (first, pid_and_policy()))
    assert chain.first()[0] == os.getpid()
    assert chain.then()[1][0] == os.getpid()


def bad_corpus():
    raise StanceError("corpus.csv: no column 'text'", "rename a column to text")


def test_a_chain_raises_a_step_error_here_with_its_problems():
    chain = ForkedChain(bad_corpus, the_number)
    with pytest.raises(StanceError) as raised:
        chain.first()
    assert raised.value.problems == ("corpus.csv: no column 'text'", "rename a column to text")
    chain.close()


@needs_spare_core
@pytest.mark.parametrize("step", ["first", "then"])
@pytest.mark.parametrize("job", [needs_preparation, crashes_in_worker])
def test_a_chain_step_a_worker_could_not_run_is_run_here(step, job, caplog):
    chain = (ForkedChain(lambda: job(1), the_number) if step == "first"
             else ForkedChain(lambda: 1, job))
    with caplog.at_level(logging.WARNING, logger="stance.forked"):
        assert chain.then() == (41 if step == "first" else 2)
    assert "running it here" in caplog.text


@needs_spare_core
def test_a_chain_goes_on_to_its_second_step_before_a_large_first_result_is_read(tmp_path):
    import time

    started = tmp_path / "second step started"
    chain = ForkedChain(lambda: bytes(1 << 20), lambda first: started.touch() or len(first))
    deadline = time.perf_counter() + 30  # a pipe holds 64 KiB: a plain send would block
    while not started.exists() and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert started.exists()
    assert len(chain.first()) == 1 << 20 and chain.then() == 1 << 20


def sleeps_in_worker(first):
    import time

    if in_worker():
        time.sleep(60)  # a step that gets no CPU time, as on idle time under full load
    return first + 1


def trickles_in_worker(first):
    import time

    while in_worker():  # a step given a sliver of a core, as on idle time under full load
        started = time.perf_counter()
        while time.perf_counter() - started < 0.002:
            pass
        time.sleep(0.1)
    return first + 1


@needs_spare_core
@pytest.mark.parametrize("step", [sleeps_in_worker, trickles_in_worker])
def test_a_chain_runs_its_second_step_here_when_the_worker_is_starved(step, caplog):
    import time

    chain = ForkedChain(the_number, step)
    started = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="stance.forked"):
        assert chain.then() == 42
    assert time.perf_counter() - started < 30
    assert "got almost no CPU time" in caplog.text


def spins_for_three_seconds(_):
    import time

    started = time.perf_counter()
    while time.perf_counter() - started < 3:  # longer than a stall, using CPU all along
        pass
    return os.getpid()


@needs_spare_core
def test_a_chain_waits_for_a_second_step_that_keeps_working():
    chain = ForkedChain(the_number, spins_for_three_seconds)
    assert chain.then() != os.getpid()


@needs_spare_core
def test_idle_workers_run_only_on_idle_time_and_leave_this_process_its_threads():
    before = blas_threads()
    jobs = ForkedJobs(lambda _: (os.getpid(), os.sched_getscheduler(0)), [0, 1], idle=True)
    during = blas_threads()
    wait_until_answered(jobs)  # busy elsewhere until the worker is done
    assert {policy for pid, policy in jobs.results() if pid != os.getpid()} == {os.SCHED_IDLE}
    assert jobs.forked == 2
    assert during == before  # an idle worker holds no core


def takes_then_sleeps_in_worker(taken):
    import time

    if in_worker():
        taken.touch()
        time.sleep(60)  # a job that gets no CPU time, as on idle time under full load
    return os.getpid()


@needs_spare_core
def test_an_idle_worker_that_gets_no_cpu_time_has_its_jobs_run_here(tmp_path, caplog):
    import time

    taken = tmp_path / "taken"
    jobs = ForkedJobs(takes_then_sleeps_in_worker, [taken], idle=True)
    deadline = time.perf_counter() + 30
    while not taken.exists() and time.perf_counter() < deadline:  # the worker holds the job
        time.sleep(0.01)
    started = time.perf_counter()
    with caplog.at_level(logging.INFO, logger="stance.forked"):
        assert jobs.results() == [os.getpid()]
    assert time.perf_counter() - started < 30
    assert "got almost no CPU time" in caplog.text and jobs.forked == 0


@needs_spare_core
def test_an_idle_worker_that_keeps_working_is_waited_for():
    jobs = ForkedJobs(spins_for_three_seconds, [0], idle=True)
    wait_until_answered(jobs, seconds=0.5)  # let the worker take the job
    assert jobs.results() != [os.getpid()] and jobs.forked == 1


def test_imports_run_without_the_garbage_collector_which_resumes_after_them():
    import gc

    from stance.forked import collector_paused

    collections = []
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        made_inside = [[] for _ in range(3)]  # tracked, as an import's objects are
        gc.callbacks.append(lambda phase, info: collections.append(info["generation"]))
    try:
        assert gc.isenabled() and gc.get_freeze_count() == 0
        assert collections == []  # moving them visited nothing (no gc.collect)
    finally:
        gc.callbacks.pop()
    # they went straight to the oldest generation: no young collection walks them
    oldest = {id(obj) for obj in gc.get_objects(generation=2)}
    assert all(id(obj) in oldest for obj in made_inside)


def test_the_paused_collector_resumes_after_an_error_and_respects_its_callers_state():
    import gc

    from stance.forked import collector_paused

    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("an import failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # a caller's disabled collector stays disabled
    finally:
        gc.enable()
    gc.freeze()  # as a pre-fork server does: what it froze stays frozen
    try:
        count = gc.get_freeze_count()
        with collector_paused():
            pass
        assert gc.get_freeze_count() == count
    finally:
        gc.unfreeze()

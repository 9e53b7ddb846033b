"""Open the configured Dask cluster for the length of a run, and describe it for the manifest.

``none`` opens nothing (the stages run in this process). ``local`` starts a LocalCluster of
worker processes, one per core unless told, with one thread each: the work parallelises
across processes, and a worker's library calls stay single-threaded. A scheduler address
connects to a running cluster (`dask scheduler`, `dask worker`); a jobqueue mapping submits
batch jobs through dask-jobqueue and waits for its workers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from stance.config import ComputeConfig, JobqueueConfig
from stance.errors import StanceError

#: How long a run waits for a cluster's first worker before it gives up, in seconds.
WORKER_TIMEOUT = 600


@contextmanager
def open_cluster(cfg: ComputeConfig) -> Iterator[object | None]:
    """A ``distributed.Client`` for the block (None for ``cluster: none``), closed after it.

    Raises:
        StanceError: the scheduler cannot be reached, or no worker joins in time.
    """
    if not cfg.distributed:
        yield None
        return
    from distributed import Client, LocalCluster

    cluster = None
    environment = dict(os.environ)
    try:
        if cfg.cluster == "local":
            workers = (os.cpu_count() or 1) if cfg.workers == "auto" else cfg.workers
            # a free port for the scheduler's HTTP server: with None it still takes 8787,
            # and a second cluster on the machine (a notebook's, a test's) warns
            cluster = LocalCluster(n_workers=workers, threads_per_worker=cfg.threads_per_worker,
                                   processes=True, dashboard_address=":0")
            _restore(environment)
            client = Client(cluster)
        elif isinstance(cfg.cluster, JobqueueConfig):
            cluster = _jobqueue_cluster(cfg.cluster)
            cluster.scale(jobs=cfg.cluster.jobs)
            client = Client(cluster)
        else:
            client = Client(cfg.cluster, timeout="30s")
    except OSError as problem:
        raise StanceError(f"compute.cluster: cannot reach {cfg.cluster} ({problem}); start "
                          "the scheduler and workers first, or set compute.cluster: local") \
            from None
    try:
        try:
            client.wait_for_workers(1, timeout=WORKER_TIMEOUT)
        except TimeoutError:
            raise StanceError(f"compute.cluster: no worker joined {cfg.cluster} within "
                              f"{WORKER_TIMEOUT} s; start `dask worker <address>` on a "
                              "machine that sees the output folder") from None
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
            _restore(environment)  # a worker restarted during the run wrote them again


def _restore(environment: dict[str, str]) -> None:
    """Put this process's environment variables back as they were before the cluster.

    A LocalCluster's nannies write their workers' variables (``OMP_NUM_THREADS=1``,
    ``PYTHONHASHSEED``, ...; distributed's ``nanny.pre-spawn-environ``) into this process's
    environment before spawning each worker. Left there, they would be recorded as this
    process's numeric environment and change the stage keys of every later run in it.
    """
    os.environ.clear()
    os.environ.update(environment)


def _jobqueue_cluster(cfg: JobqueueConfig):
    try:
        import dask_jobqueue
    except ImportError:
        raise StanceError("compute.cluster: a jobqueue cluster needs dask-jobqueue; run "
                          "`make install`") from None
    kind = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster",
            "lsf": "LSFCluster", "htcondor": "HTCondorCluster"}[cfg.system]
    settings = {"cores": cfg.cores, "memory": cfg.memory, "processes": cfg.processes,
                "queue": cfg.queue, "account": cfg.account, "walltime": cfg.walltime,
                "job_extra_directives": cfg.job_extra_directives, "python": cfg.python}
    return getattr(dask_jobqueue, kind)(**{k: v for k, v in settings.items()
                                           if v not in (None, [])})


def cluster_facts(client) -> dict:
    """The cluster a run used, for manifest.json: scheduler, workers, threads, versions.

    ``worker_peak_rss_mb`` is each worker process's peak resident memory so far (MB, in
    the order of the workers' addresses; empty where the platform does not tell).
    """
    if client is None:
        return {"cluster": "none"}
    info = client.scheduler_info()
    workers = info.get("workers", {})
    from importlib import metadata

    peaks = client.run(peak_rss_mb)
    return {"cluster": info.get("address"), "workers": len(workers),
            "threads": sum(w.get("nthreads", 0) for w in workers.values()),
            "worker_peak_rss_mb": [peaks[a] for a in sorted(peaks) if peaks[a] is not None],
            "dask": metadata.version("dask"), "distributed": metadata.version("distributed")}


def peak_rss_mb() -> float | None:
    """This process's peak resident memory so far in MB (``ru_maxrss``), or None where unknown.

    On Linux a process started directly by another (not through a shell) also counts that
    process's memory at the moment it started this one: a run opens its cluster before it
    reads the corpus, so its workers count little of the driver's.
    """
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)

"""Where embedding and actor stance run: in this process, or on a Dask cluster."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from stance.config._base import Section


class JobqueueConfig(Section):
    """A cluster of batch jobs (dask-jobqueue): each job is one or more Dask workers."""

    system: Literal["slurm", "pbs", "sge", "lsf", "htcondor"] = Field(
        description="the HPC scheduler the jobs are submitted to")
    cores: int = Field(ge=1, description="cores per job")
    memory: str = Field(description="memory per job, e.g. '16GB'")
    jobs: int = Field(1, ge=1, description="jobs to start")
    processes: int | None = Field(None, ge=1, description="worker processes per job "
                                  "(default: dask-jobqueue's, about the square root of cores)")
    queue: str | None = Field(None, description="queue or partition to submit to")
    account: str | None = Field(None, description="account or project charged")
    walltime: str | None = Field(None, description="e.g. '02:00:00'")
    job_extra_directives: list[str] = Field(
        default_factory=list, description="more scheduler lines, e.g. ['--gres=gpu:0']")
    python: str | None = Field(None, description="the Python the jobs run (default: this "
                               "one); it must have stance installed")


class ComputeConfig(Section):
    """Where embedding and actor stance run: here, a Dask LocalCluster, a scheduler, HPC jobs."""

    cluster: str | JobqueueConfig = Field(
        "none", description="none: in this process; local: a Dask LocalCluster with one "
        "worker process per core; a scheduler address (tcp://host:8786) of a cluster started "
        "with `dask scheduler` and `dask worker`; or a mapping of dask-jobqueue settings "
        "(system, cores, memory, jobs, ...). Workers must see output_dir (a shared "
        "filesystem)")
    workers: int | Literal["auto"] = Field(
        "auto", description="local: worker processes (auto = one per core)")
    threads_per_worker: int = Field(1, ge=1, description="local: threads per worker process")
    partition_size: int = Field(
        16_384, ge=1024, description="texts a worker embeds per task, each task writing "
        "one cache shard; and mentions the stance model reads per slice (a task on a "
        "cluster, at most 2,048), which does not change its predictions")

    @field_validator("cluster")
    @classmethod
    def _known_cluster(cls, value):
        if isinstance(value, str) and value not in ("none", "local") \
                and not value.startswith(("tcp://", "tls://", "inproc://")):
            raise ValueError(f"'{value}' is not none, local or a scheduler address "
                             "(tcp://host:8786)")
        return value

    @property
    def distributed(self) -> bool:
        """Whether the work runs on a Dask cluster."""
        return self.cluster != "none"

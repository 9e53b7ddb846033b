"""Dask clusters the per-segment stages run on: local processes, a scheduler, HPC jobs.

Example:
    >>> with open_cluster(ComputeConfig(cluster="local")) as client:  # doctest: +SKIP
    ...     client.submit(sum, [1, 2]).result()
    3
"""

from stance.compute._cluster import cluster_facts, open_cluster, peak_rss_mb

__all__ = ["cluster_facts", "open_cluster", "peak_rss_mb"]

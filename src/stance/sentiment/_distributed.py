"""Actor stance predicted on Dask workers, each loading the stance model once.

The driver orders the mentions by the length of their context, as
:meth:`stance.sentiment._model.StanceModel.predict_proba` does in one process, and sends
partitions of whole batches: every worker's forward passes see the batches a single process
would.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from stance.progress import track
from stance.sentiment._model import BATCH, StanceModel, load_stance_model


def predict_on_cluster(client, spec: str, cache_dir: Path, texts: Sequence[str],
                       spans: Sequence[tuple[int, int]], *, classes: int,
                       partition_size: int) -> np.ndarray:
    """Class probabilities of each mention, as ``predict_proba`` gives them, from the workers."""
    from distributed import as_completed

    order = np.argsort([len(t) for t in texts], kind="stable")
    per_task = max(1, partition_size // BATCH) * BATCH
    slices = [order[i:i + per_task] for i in range(0, len(order), per_task)]
    futures = {client.submit(predict_partition, [texts[i] for i in rows],
                             [tuple(spans[i]) for i in rows], spec=spec,
                             cache_dir=str(cache_dir), pure=False): rows for rows in slices}
    proba = np.empty((len(texts), classes), np.float32)
    for future in track(as_completed(futures), "actor stance on the cluster",
                        total=len(futures), work=len(texts)):
        proba[futures[future]] = future.result()
    return proba


def predict_partition(texts: list[str], spans: list[tuple[int, int]], *, spec: str,
                      cache_dir: str) -> np.ndarray:
    """On a worker: the probabilities of one partition of mentions."""
    return worker_stance_model(spec, cache_dir).predict_proba(texts, spans)


@cache
def worker_stance_model(spec: str, cache_dir: str) -> StanceModel:
    """The stance model ``spec`` names, loaded once per worker process and kept."""
    return load_stance_model(spec, cache_dir=Path(cache_dir))

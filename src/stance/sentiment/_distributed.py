"""Actor stance predicted on Dask workers, each loading the stance model once.

The driver cuts the mentions into the slices :func:`prediction_slices` gives (whole batches
in the order of their contexts' lengths), so every worker's forward passes see the batches a
single process would. A slice's contexts are cut from the segments when it is sent, and a
few slices at a time are in flight, the longest contexts first: the driver never holds
every context at once, and no worker is left with a long slice at the end.
"""

from __future__ import annotations

from functools import cache
from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd

from stance.progress import track
from stance.sentiment._contexts import contexts, prediction_slices
from stance.sentiment._model import StanceModel, load_stance_model

#: Slices in flight per worker thread: one predicting, one waiting beside it.
_IN_FLIGHT_PER_THREAD = 2
#: Most mentions a task reads: the model is slow per mention, so tasks are kept short beside
#: the stage and the last ones leave no worker idle for long.
TASK_MENTIONS = 2_048


def predict_on_cluster(client, spec: str, cache_dir: Path, spans: pd.DataFrame,
                       texts: pd.Series, *, classes: int, partition_size: int) -> np.ndarray:
    """Class probabilities of each mention, as ``predict_proba`` gives them, from the workers.

    Args:
        client: a ``distributed.Client``.
        spec: ``actor_stance.model``, which each worker loads.
        cache_dir: where a fine-tuned model lies (a folder the workers see).
        spans: the mentions (:data:`~stance.sentiment._contexts.SPAN_COLUMNS`).
        texts: segment text by seg_id.
        classes: the model's number of classes.
        partition_size: mentions per task (at most :data:`TASK_MENTIONS`), rounded down to
            whole batches.
    """
    from distributed import as_completed

    # longest contexts first: the slices that finish last are the quickest
    slices = prediction_slices(spans, min(partition_size, TASK_MENTIONS))[::-1]
    waiting = iter(slices)
    sent: dict = {}

    def send(rows: np.ndarray) -> None:
        future = client.submit(predict_partition, *contexts(spans.iloc[rows], texts),
                               spec=spec, cache_dir=str(cache_dir), pure=False)
        sent[future] = rows
        running.add(future)

    running = as_completed()
    threads = sum(client.nthreads().values()) or 1
    for rows in islice(waiting, threads * _IN_FLIGHT_PER_THREAD):
        send(rows)
    proba = np.empty((len(spans), classes), np.float32)
    for future in track(running, "actor stance on the cluster",
                        total=len(slices), work=len(spans)):
        proba[sent.pop(future)] = future.result()
        rows = next(waiting, None)
        if rows is not None:
            send(rows)
    return proba


def predict_partition(texts: list[str], spans: list[tuple[int, int]], *, spec: str,
                      cache_dir: str) -> np.ndarray:
    """On a worker: the probabilities of one partition of mentions."""
    return worker_stance_model(spec, cache_dir).predict_proba(texts, spans)


@cache
def worker_stance_model(spec: str, cache_dir: str) -> StanceModel:
    """The stance model ``spec`` names, loaded once per worker process and kept."""
    return load_stance_model(spec, cache_dir=Path(cache_dir))

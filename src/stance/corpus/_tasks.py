"""A function over a list of items, in this process or on a Dask cluster's workers, in order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd

from stance.progress import track

T = TypeVar("T")
R = TypeVar("R", pd.DataFrame, pd.Series)
#: Documents one task cleans, signs or segments: few enough that a block's Python strings
#: stay small, many enough that a million documents make tens of tasks, not thousands.
BLOCK_DOCUMENTS = 20_000


def in_blocks(rows: R) -> list[R]:
    """``rows`` (a table or column) cut into consecutive blocks of :data:`BLOCK_DOCUMENTS`."""
    return [rows.iloc[i:i + BLOCK_DOCUMENTS] for i in range(0, len(rows), BLOCK_DOCUMENTS)]


def map_in_order(client, function: Callable[..., T], items: Sequence[Any], what: str, *,
                 work: int | None = None, **kwargs: Any) -> list[T]:
    """``[function(item, **kwargs) for item in items]``, on the workers of ``client`` if given.

    On a cluster the items run side by side and the results come back in the items' order;
    a worker's error (a :class:`~stance.errors.StanceError` included) is raised here.
    ``work`` (the documents in all blocks) decides whether a progress bar is worth showing.
    """
    if client is None:
        return [function(item, **kwargs)
                for item in track(items, what, total=len(items), work=work)]
    from distributed import as_completed

    futures = client.map(function, list(items), pure=False, **kwargs)
    for future in track(as_completed(futures), what, total=len(futures), work=work):
        future.result()  # the first error stops the run, with its message
    return client.gather(futures)

"""Which segments a topic model is fitted on: all of them, or a stratified seeded sample.

UMAP and HDBSCAN grow faster than linearly with the segments, so above a limit the model
is fitted on a sample that keeps each outlet's share of each month (proportional
allocation, largest remainders) and every other segment is assigned afterwards
(:mod:`stance.topics._assign`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stance.data import Segments

#: ``topics.fit_sample: auto`` fits on every segment up to this many, a sample of this
#: many above: a topic holding 0.1% of the corpus still has 100 segments in the fit, and
#: the fit (UMAP and HDBSCAN) stays within minutes on two cores.
AUTO_FIT_SAMPLE = 100_000


def fit_sample_limit(setting: int | str | None) -> int | None:
    """The configured ``fit_sample`` as a number of segments (None: every segment)."""
    return AUTO_FIT_SAMPLE if setting == "auto" else setting


def stratified_rows(segments: Segments, dates: pd.Series | None, limit: int | None, *,
                    seed: int) -> np.ndarray:
    """Sorted row numbers of ``segments`` to fit on: all rows, or ``limit`` drawn by stratum.

    Args:
        segments: the segments.
        dates: each document's date (doc_id index); strata are outlet x month, or outlet
            alone without dates.
        limit: the most rows to keep; None keeps every row.
        seed: the draw's seed; one seed gives one sample.
    """
    n = len(segments)
    if limit is None or n <= limit:
        return np.arange(n)
    table = segments.table
    stratum = table["outlet"].astype(str)
    if dates is not None:
        month = pd.to_datetime(table["doc_id"].map(dates), errors="coerce").dt.strftime("%Y-%m")
        stratum = stratum + "\x1f" + month.fillna("")
    codes, names = pd.factorize(stratum, sort=True)
    sizes = np.bincount(codes, minlength=len(names))
    exact = sizes * (limit / n)
    quota = np.floor(exact).astype(np.int64)
    # largest remainders get the rows rounding left over; ties go to the earlier stratum
    order = np.lexsort((np.arange(len(names)), -(exact - quota)))
    quota[order[:limit - int(quota.sum())]] += 1
    shuffled = np.random.default_rng(seed).permutation(n)
    shuffled = shuffled[np.argsort(codes[shuffled], kind="stable")]
    rank = pd.Series(codes[shuffled]).groupby(codes[shuffled]).cumcount().to_numpy()
    return np.sort(shuffled[rank < quota[codes[shuffled]]])

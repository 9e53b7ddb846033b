"""Shares of classes per group (an outlet, an actor in an outlet), from counts per document.

Intervals resample documents whole, so a table of counts per document is all they need:
predictions made in parts (on Dask workers) are counted part by part and tabulated here
without their rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from stance.analysis._prevalence import name_seed, share_intervals
from stance.config import AnalysisConfig


def document_counts(rows: pd.DataFrame, label: str, classes: Sequence[str], *,
                    by: Sequence[str]) -> pd.DataFrame:
    """How many of a document's ``rows`` have each class of ``label``, per group ``by``.

    Returns:
        Columns ``by``, doc_id, then one count column per class; one row per group and
        document with a row in ``classes``.
    """
    keys = [*by, "doc_id"]
    counts = (rows[rows[label].isin(list(classes))].groupby([*keys, label], sort=True)
              .size().unstack(label, fill_value=0))
    counts = counts.reindex(columns=list(classes), fill_value=0).reset_index()
    counts.columns.name = None
    return counts.astype(dict.fromkeys(classes, np.int64))


def sum_counts(parts: Sequence[pd.DataFrame], classes: Sequence[str], *,
               by: Sequence[str]) -> pd.DataFrame:
    """Counts per document of several parts added up (a document may span parts)."""
    joined = pd.concat(parts, ignore_index=True)
    return (joined.groupby([*by, "doc_id"], sort=True)[list(classes)].sum().reset_index())


def class_shares(counts: pd.DataFrame, classes: Sequence[str], cfg: AnalysisConfig, *,
                 by: Sequence[str], seed: int, unit: str) -> pd.DataFrame:
    """One row per group: ``unit`` rows, documents, then each class's share with bounds.

    ``counts`` is :func:`document_counts`' table. Bounds resample the group's documents
    (seeded by the run's seed and the group's names, so adding a group leaves the others'
    bounds); they are NaN for a group of one document.

    Returns:
        Columns ``by``, ``unit``, documents (one column when ``unit`` is documents), then
        share_<class>, low_<class>, high_<class> for each class.
    """
    sizes = [unit, "documents"] if unit != "documents" else [unit]
    columns = [*by, *sizes,
               *(f"{kind}_{c}" for c in classes for kind in ("share", "low", "high"))]
    rows = []
    for key, part in counts.groupby(list(by), sort=True):
        matrix = part.sort_values("doc_id")[list(classes)].to_numpy(np.float64)
        share, low, high = share_intervals(matrix, cfg,
                                           seed=[seed, *(name_seed(k) for k in key)])
        bounds = [v for k in range(len(classes)) for v in (share[k], low[k], high[k])]
        rows.append((*key, *(int(matrix.sum()), len(matrix))[:len(sizes)], *bounds))
    return pd.DataFrame(rows, columns=columns)

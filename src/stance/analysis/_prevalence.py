"""Outlet and time comparison of topics: prevalence with intervals over documents."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from stance.config import AnalysisConfig
from stance.data import Corpus, Segments

#: Resamples drawn per chunk, so memory stays ~chunk x documents whatever n_bootstrap is.
_BOOTSTRAP_CHUNK = 100
PERIOD_NAMES = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def topic_prevalence(
    assignments: pd.DataFrame, segments: Segments, cfg: AnalysisConfig, *, seed: int
) -> pd.DataFrame:
    """Share of each outlet's segments in each topic, with intervals over its documents.

    Documents, not segments, are resampled (with replacement, within each
    outlet): segments of one article are not independent, so resampling them
    would give intervals that are too narrow. Where the outlet has no segment in
    a topic (or only segments in it), resampling cannot move the share, and the
    interval is the exact binomial one over its documents instead
    (:func:`_exact_where_degenerate`).

    Args:
        assignments: seg_id and topic per segment (outliers are topic -1).
        segments: the segments, for their document and outlet.
        cfg: bootstrap size and confidence level.
        seed: seeds the resampling.

    Returns:
        One row per outlet and topic: outlet, topic, share, low, high,
        n_segments (in that topic), n_documents (of the outlet). ``low`` and
        ``high`` are NaN for an outlet with a single document.
    """
    table = segments.table[["seg_id", "doc_id", "outlet"]].merge(
        assignments[["seg_id", "topic"]], on="seg_id", how="inner", validate="one_to_one")
    topics = np.sort(table["topic"].unique())
    rows = []
    for outlet, group in table.groupby("outlet", sort=True):
        counts = pd.crosstab(group["doc_id"], group["topic"]).reindex(columns=topics, fill_value=0)
        matrix = counts.to_numpy(dtype=np.float64)  # documents x topics
        share, low, high = share_intervals(matrix, cfg, seed=[seed, name_seed(outlet)])
        for k, topic in enumerate(topics):
            rows.append((outlet, int(topic), share[k], low[k], high[k],
                         int(matrix[:, k].sum()), matrix.shape[0]))
    return pd.DataFrame(rows, columns=["outlet", "topic", "share", "low", "high",
                                       "n_segments", "n_documents"])


def share_intervals(matrix: np.ndarray, cfg: AnalysisConfig,
                    seed: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each column's share of ``matrix`` (documents x categories), with bootstrap bounds.

    Documents are resampled whole; an interval is NaN for one document (resampling it only
    ever draws it again) and exact where no resample can move the share.
    """
    share = matrix.sum(0) / matrix.sum()
    if matrix.shape[0] < 2:
        nan = np.full(matrix.shape[1], np.nan)
        return share, nan, nan.copy()
    alpha = (1 - cfg.confidence) / 2
    boot = _bootstrap_shares(matrix, cfg.n_bootstrap, np.random.default_rng(list(seed)))
    low, high = _exact_where_degenerate(*np.quantile(boot, [alpha, 1 - alpha], axis=0),
                                        matrix, alpha)
    return share, low, high


def name_seed(name: object) -> int:
    """A generator seed from a name: adding or removing one outlet leaves the others' intervals."""
    return zlib.crc32(str(name).encode())


def _exact_where_degenerate(low: np.ndarray, high: np.ndarray, matrix: np.ndarray,
                            alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Clopper-Pearson bounds, documents as trials, where no resample can move the share.

    When no segment of the outlet is in a topic (or every one is), every resample gives the
    same share, and the percentile interval [0, 0] (or [1, 1]) would claim certainty from
    a handful of documents. The interval is then the exact binomial one for 0 (or n) of
    the outlet's n documents: [0, 1 - alpha^(1/n)] (or [alpha^(1/n), 1]), alpha per tail;
    at 95% about 3/n wide, the rule of three.
    """
    counts, n_docs = matrix.sum(0), matrix.shape[0]
    bound = alpha ** (1 / n_docs)
    return (np.where(counts == matrix.sum(), bound, low),
            np.where(counts == 0, 1 - bound, high))


def _bootstrap_shares(matrix: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    n_docs = matrix.shape[0]
    out = []
    for start in range(0, n_bootstrap, _BOOTSTRAP_CHUNK):
        size = min(_BOOTSTRAP_CHUNK, n_bootstrap - start)
        # How often each document is drawn in each resample: a multinomial over documents.
        weights = rng.multinomial(n_docs, np.full(n_docs, 1 / n_docs), size=size)
        totals = weights @ matrix
        out.append(totals / totals.sum(1, keepdims=True))
    return np.vstack(out)


def topics_over_time(
    assignments: pd.DataFrame, segments: Segments, corpus: Corpus, cfg: AnalysisConfig
) -> pd.DataFrame:
    """Share of segments in each topic per period, over all outlets.

    Returns:
        period (start timestamp), topic, share, n_segments: every topic in every period from
        the first dated segment's to the last's. A topic absent from a period with segments
        has share 0 there; a period with no dated segment at all has n_segments 0 and share
        NaN (no data, which a line drawn across it would hide). ``attrs["period"]`` names the
        period ("month"). Empty when no document has a date.
    """
    dates = corpus.documents[["doc_id", "date"]].dropna(subset=["date"])
    table = segments.table[["seg_id", "doc_id"]].merge(dates, on="doc_id").merge(
        assignments[["seg_id", "topic"]], on="seg_id")
    if table.empty:
        return pd.DataFrame(columns=["period", "topic", "share", "n_segments"])
    freq = choose_period(table["date"]) if cfg.time_freq == "auto" else cfg.time_freq
    periods = table["date"].dt.to_period(freq)
    table["period"] = periods.dt.start_time
    every = pd.period_range(periods.min(), periods.max(), freq=freq).start_time
    counts = (table.groupby(["period", "topic"]).size().unstack(fill_value=0)
              .reindex(every, fill_value=0).rename_axis("period").stack())
    counts = counts.rename("n_segments").reset_index()
    totals = counts.groupby("period")["n_segments"].transform("sum")
    counts["share"] = (counts["n_segments"] / totals).where(totals > 0)
    out = counts[["period", "topic", "share", "n_segments"]]
    out.attrs["period"] = PERIOD_NAMES.get(freq, freq)
    return out


def choose_period(dates: pd.Series) -> str:
    """The finest of day/week/month/quarter/year giving at most 40 periods over the span."""
    span_days = max(1, (dates.max() - dates.min()).days)
    for freq, days in (("D", 1), ("W", 7), ("M", 30.4), ("Q", 91.3)):
        if span_days / days <= 40:
            return freq
    return "Y"

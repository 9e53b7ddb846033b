"""How each outlet portrays each actor: shares of negative, neutral and positive mentions.

Intervals resample an outlet's documents, not its mentions: the mentions of one article
share its author and angle, so resampling them alone would give intervals too narrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from stance.analysis._prevalence import (
    PERIOD_NAMES,
    choose_period,
    name_seed,
    share_intervals,
)
from stance.config import AnalysisConfig
from stance.data import STANCE_CLASSES

SHARE_COLUMNS = tuple(f"{kind}_{c}" for c in STANCE_CLASSES for kind in ("share", "low", "high"))


def tabulate_actor_stance(mentions: pd.DataFrame, cfg: AnalysisConfig, *,
                          seed: int) -> pd.DataFrame:
    """One row per actor and outlet: mentions, documents, each class's share with bounds, net.

    ``net`` is the positive share minus the negative one. Bounds are NaN for an outlet
    with one document about the actor.
    """
    rows = [_shares(part, cfg, seed, actor, outlet)
            for (actor, outlet), part in mentions.groupby(["actor", "outlet"], sort=True)]
    return pd.DataFrame(rows, columns=["actor", "outlet", "mentions", "documents",
                                       *SHARE_COLUMNS, "net"])


def actor_stance_over_time(mentions: pd.DataFrame, cfg: AnalysisConfig, *,
                           seed: int) -> pd.DataFrame:
    """The same shares per actor, outlet and period (``attrs["period"]`` names it).

    Mentions of undated documents are left out; empty when none is dated.
    """
    dated = mentions.dropna(subset=["date"])
    columns = ["actor", "outlet", "period", "mentions", "documents", *SHARE_COLUMNS, "net"]
    if dated.empty:
        return pd.DataFrame(columns=columns)
    dates = pd.to_datetime(dated["date"])
    freq = choose_period(dates) if cfg.time_freq == "auto" else cfg.time_freq
    dated = dated.assign(period=dates.dt.to_period(freq).dt.start_time)
    rows = []
    for (actor, outlet, period), part in dated.groupby(["actor", "outlet", "period"],
                                                        sort=True):
        row = _shares(part, cfg, seed, actor, outlet, period)
        rows.append((*row[:2], period, *row[2:]))
    out = pd.DataFrame(rows, columns=columns)
    out.attrs["period"] = PERIOD_NAMES.get(freq, freq)
    return out


def _shares(part: pd.DataFrame, cfg: AnalysisConfig, seed: int, *key) -> tuple:
    counts = pd.crosstab(part["doc_id"], part["stance"]).reindex(columns=list(STANCE_CLASSES),
                                                                 fill_value=0)
    share, low, high = share_intervals(counts.to_numpy(np.float64), cfg,
                                       seed=[seed, *(name_seed(k) for k in key)])
    bounds = [v for k in range(len(STANCE_CLASSES)) for v in (share[k], low[k], high[k])]
    return (*key[:2], len(part), len(counts), *bounds, share[2] - share[0])

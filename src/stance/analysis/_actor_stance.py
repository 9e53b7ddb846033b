"""How each outlet portrays each actor: shares of negative, neutral and positive mentions.

Intervals resample an outlet's documents, not its mentions: the mentions of one article
share its author and angle, so resampling them alone would give intervals too narrow.
"""

from __future__ import annotations

import pandas as pd

from stance.analysis._class_shares import class_shares, document_counts
from stance.analysis._prevalence import PERIOD_NAMES, choose_period
from stance.config import AnalysisConfig
from stance.data import STANCE_CLASSES

SHARE_COLUMNS = tuple(f"{kind}_{c}" for c in STANCE_CLASSES for kind in ("share", "low", "high"))


def tabulate_actor_stance(mentions: pd.DataFrame, cfg: AnalysisConfig, *,
                          seed: int) -> pd.DataFrame:
    """One row per actor and outlet: mentions, documents, each class's share with bounds, net.

    ``net`` is the positive share minus the negative one. Bounds are NaN for an outlet
    with one document about the actor.
    """
    return _with_net(_shares(mentions, ["actor", "outlet"], cfg, seed))


def actor_stance_over_time(mentions: pd.DataFrame, cfg: AnalysisConfig, *,
                           seed: int) -> pd.DataFrame:
    """The same shares per actor, outlet and period (``attrs["period"]`` names it).

    Mentions of undated documents are left out; empty when none is dated.
    """
    dated = mentions.dropna(subset=["date"])
    if dated.empty:
        return pd.DataFrame(columns=["actor", "outlet", "period", "mentions", "documents",
                                     *SHARE_COLUMNS, "net"])
    dates = pd.to_datetime(dated["date"])
    freq = choose_period(dates) if cfg.time_freq == "auto" else cfg.time_freq
    dated = dated.assign(period=dates.dt.to_period(freq).dt.start_time)
    out = _with_net(_shares(dated, ["actor", "outlet", "period"], cfg, seed))
    out.attrs["period"] = PERIOD_NAMES.get(freq, freq)
    return out


def _shares(mentions: pd.DataFrame, by: list[str], cfg: AnalysisConfig,
            seed: int) -> pd.DataFrame:
    counts = document_counts(mentions, "stance", STANCE_CLASSES, by=by)
    return class_shares(counts, STANCE_CLASSES, cfg, by=by, seed=seed, unit="mentions")


def _with_net(shares: pd.DataFrame) -> pd.DataFrame:
    return shares.assign(net=shares["share_positive"] - shares["share_negative"])

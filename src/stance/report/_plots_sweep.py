"""Sweep figures: each ``plot_*`` takes a sweep's summary table and returns a Figure."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real
from typing import TYPE_CHECKING

import pandas as pd

from stance.report._plots import _new_figure, _pin_empty_labels, verbatim

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_metrics_against(summary: pd.DataFrame, parameter: str,
                         metrics: Mapping[str, str]) -> Figure:
    """One panel per metric: every point's value against ``parameter``, and their mean.

    Points sharing a value of ``parameter`` differ in the other swept settings; the
    line through the means shows the trend, the spread of dots what the others add.

    Args:
        summary: one row per point (:func:`stance.run._sweep.summary_table`).
        parameter: the swept setting on the x axis (a column of ``summary``).
        metrics: summary column -> panel title.
    """
    from matplotlib.ticker import MaxNLocator

    x, ticks = _positions(summary[parameter])
    n_cols = min(3, len(metrics))
    n_rows = -(-len(metrics) // n_cols)
    fig = _new_figure(3.0 * n_cols, 2.4 * n_rows)
    for i, (column, title) in enumerate(metrics.items()):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        y = summary[column].astype(float)
        ax.scatter(x, y, s=16, alpha=0.6, color="#4C72B0", zorder=2)
        means = y.groupby(x).mean().dropna()
        ax.plot(means.index, means.to_numpy(), color="#C44E52", marker="_", markersize=12,
                linewidth=1, zorder=3)
        if ticks is None and (x == x.round()).all():  # seeds, sizes: no 42.5 on the axis
            ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        elif ticks is not None:
            ax.set_xticks(range(len(ticks)), ticks, rotation=20, ha="right")
            ax.set_xlim(-0.5, len(ticks) - 0.5)
        if (y.dropna() == y.dropna().round()).all():  # counts: no 4.25 topics on the axis
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(verbatim(parameter), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    return _pin_empty_labels(fig)


def _positions(values: pd.Series) -> tuple[pd.Series, list[str] | None]:
    """Numbers stay on a numeric axis; anything else goes to evenly spaced categories."""
    if all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        return values.astype(float), None
    ticks = [str(v) for v in dict.fromkeys(values)]
    return (values.map(lambda v: ticks.index(str(v))).astype(float),
            [verbatim(tick) for tick in ticks])

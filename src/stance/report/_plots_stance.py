"""Actor stance figures: each ``plot_*`` takes the stance tables and returns a Figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stance.report._plots import _new_figure, _pin_empty_labels, _title, shown_note, verbatim

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Colours of the stance classes, fixed so figures compare across runs.
STANCE_COLOURS = {"negative": "#C44E52", "neutral": "#BBBBBB", "positive": "#55A868"}
#: Outlets shown per actor: those with the most mentions.
MAX_OUTLETS = 25


def plot_actor_stance(by_outlet: pd.DataFrame, *, level: str,
                      max_outlets: int = MAX_OUTLETS) -> Figure:
    """Per actor, each outlet's mentions from negative (left) to positive (right).

    Negative shares extend left of zero and positive ones right, neutral split evenly
    around the two; whiskers are the intervals (of coverage ``level``) of the negative and
    positive shares.
    Outlets are ordered by net stance (positive minus negative share).
    """
    actors = list(dict.fromkeys(by_outlet["actor"]))
    heights = [min(max_outlets, (by_outlet["actor"] == a).sum()) for a in actors]
    fig = _new_figure(7, sum(0.28 * h + 0.9 for h in heights) + 0.6)
    grid = fig.add_gridspec(len(actors), 1, height_ratios=[h + 2 for h in heights])
    for i, actor in enumerate(actors):
        rows = by_outlet[by_outlet["actor"] == actor]
        shown = rows.nlargest(max_outlets, ["mentions", "documents"]).sort_values("net")
        ax = fig.add_subplot(grid[i])
        y = np.arange(len(shown))
        neg, neu, pos = (shown[f"share_{c}"].to_numpy() for c in STANCE_COLOURS)
        for cls, width, left in (("negative", -neg, -neu / 2), ("neutral", neu, -neu / 2),
                                 ("positive", pos, neu / 2)):
            ax.barh(y, width, left=left, color=STANCE_COLOURS[cls],
                    label=cls if i == 0 else None)
        for cls, sign, edge in (("negative", -1, -neu / 2), ("positive", 1, neu / 2)):
            share = shown[f"share_{cls}"].to_numpy()
            low, high = shown[f"low_{cls}"].to_numpy(), shown[f"high_{cls}"].to_numpy()
            below, above = share - low, high - share  # of the share; the bar's end mirrors
            extent = [below, above] if sign > 0 else [above, below]  # them when it points left
            ax.errorbar(edge + sign * share, y, xerr=extent, fmt="none", ecolor="black",
                        elinewidth=0.7, capsize=2)
        ax.set_yticks(y, [f"{verbatim(o)} (n={m})" for o, m in
                          zip(shown["outlet"], shown["mentions"], strict=True)], fontsize=7)
        ax.axvline(0, color="black", lw=0.6)
        ax.set_xlim(-1.05, 1.05)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["1", "0.5", "0", "0.5", "1"], fontsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        _title(ax, verbatim(actor) + shown_note(len(shown), len(rows),
                                                "{} outlets with most mentions"), fontsize=9)
    fig.axes[-1].set_xlabel("share of mentions: negative to the left, positive to the right")
    fig.legend(loc="outside lower center", ncols=3, fontsize=7, frameon=False)
    fig.suptitle(f"How each outlet portrays each actor (whiskers: {level} intervals over "
                 "documents)", fontsize=10)
    return _pin_empty_labels(fig)


def plot_actor_stance_over_time(over_time: pd.DataFrame, by_outlet: pd.DataFrame, *,
                                level: str, max_outlets: int = 5) -> Figure:
    """Per actor, the share of negative mentions per period for its largest outlets.

    Bands are the intervals over documents (of coverage ``level``); a period without
    mentions breaks a line.
    """
    actors = list(dict.fromkeys(over_time["actor"]))
    fig = _new_figure(7, 2.6 * len(actors) + 0.6)
    for i, actor in enumerate(actors):
        ax = fig.add_subplot(len(actors), 1, i + 1)
        rows = over_time[over_time["actor"] == actor]
        totals = by_outlet[by_outlet["actor"] == actor].set_index("outlet")["mentions"]
        largest = totals.sort_values(ascending=False, kind="stable").index[:max_outlets]
        periods = pd.to_datetime(pd.Series(sorted(rows["period"].unique())))
        for k, outlet in enumerate(largest):
            line = (rows[rows["outlet"] == outlet].assign(period=lambda t: pd.to_datetime(
                t["period"])).set_index("period").reindex(periods))
            ax.plot(periods, line["share_negative"], marker="o", color=f"C{k}",
                    label=verbatim(outlet))
            ax.fill_between(periods, line["low_negative"], line["high_negative"],
                            color=f"C{k}", alpha=0.15, lw=0)
        ax.set_ylim(0, 1)
        ax.set_ylabel(f"negative share per {over_time.attrs.get('period', 'period')}",
                      fontsize=7)
        _title(ax, verbatim(actor) + shown_note(len(largest), len(totals),
                                                "{} outlets with most mentions"), fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    fig.suptitle(f"Negative mentions over time (bands: {level} intervals over documents)",
                 fontsize=10)
    return _pin_empty_labels(fig)

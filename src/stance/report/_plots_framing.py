"""Framing figures: each ``plot_*`` takes result tables and returns a matplotlib Figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stance.report._plots import _new_figure, _pin_empty_labels, _title, shown_note, verbatim

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from matplotlib.figure import Figure

#: Colours of the descriptor classes in the actor-naming chart, fixed so figures compare.
DESCRIPTOR_COLOURS = {"delegitimising": "#C44E52", "official": "#4C72B0",
                      "neutral": "#8C8C8C", "bare": "#DDDDDD"}


def plot_confusion_matrix(matrix: list[list[int]], labels: list[str], title: str) -> Figure:
    """Counts of true (rows) against predicted (columns) labels."""
    values = np.asarray(matrix)
    fig = _new_figure(1.1 * len(labels) + 2.5, 0.9 * len(labels) + 1.8)
    ax = fig.add_subplot()
    ax.imshow(values, cmap="Blues", interpolation="none")  # sharp cells, as the heatmap
    names = [verbatim(label) for label in labels]
    ax.set_xticks(range(len(labels)), names, rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), names, fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        colour = "white" if value > 0.6 * max(1, values.max()) else "black"
        ax.text(j, i, str(value), ha="center", va="center", fontsize=8, color=colour)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    _title(ax, title, fontsize=9)
    return _pin_empty_labels(fig)


def plot_framing_by_outlet(predictions: pd.DataFrame, label_column: str = "predicted", *,
                           classes: Sequence[str] | None = None,
                           unit: str = "segments") -> Figure:
    """Share of each outlet's ``unit`` per framing label (stacked horizontal bars).

    ``classes`` orders the labels as the report's tables do (default: sorted).
    """
    shares = pd.crosstab(predictions["outlet"], predictions[label_column], normalize="index")
    if classes is not None:
        shares = shares.reindex(columns=[c for c in classes if c in shares.columns])
    fig = _new_figure(7, max(2.2, 0.4 * len(shares) + 1.4))
    ax = fig.add_subplot()
    left = np.zeros(len(shares))
    for i, label in enumerate(shares.columns):
        ax.barh(shares.index.map(verbatim), shares[label], left=left, color=f"C{i % 10}",
                label=verbatim(label))
        left += shares[label].to_numpy()
    ax.set_xlim(0, 1)
    ax.set_xlabel(f"share of {unit} ({label_column.replace('_', ' ')} label)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    _title(ax, "Framing per outlet (out-of-fold predictions, outlets held out)")
    ax.spines[["top", "right"]].set_visible(False)
    return _pin_empty_labels(fig)


def plot_framing_shares(by_outlet: pd.DataFrame, classes: Sequence[str], *, unit: str,
                        level: str, max_outlets: int = 25) -> Figure:
    """Each outlet's share of ``unit`` per framing label over the corpus, one panel per label.

    ``by_outlet`` is the outlet shares table (outlet, ``unit``, documents, share_/low_/high_
    per class); whiskers are the intervals over documents, of coverage ``level``. The outlets
    with most units are shown, in the same order in every panel.
    """
    shown = by_outlet.nlargest(max_outlets, list(dict.fromkeys([unit, "documents"])))
    shown = shown.sort_values(f"share_{classes[0]}")
    columns = min(3, len(classes))
    rows = -(-len(classes) // columns)
    fig = _new_figure(7, rows * (0.22 * len(shown) + 1.1) + 0.5)
    y = np.arange(len(shown))
    for k, label in enumerate(classes):
        ax = fig.add_subplot(rows, columns, k + 1)
        share = shown[f"share_{label}"].to_numpy()
        extent = np.vstack([share - shown[f"low_{label}"].to_numpy(),
                            shown[f"high_{label}"].to_numpy() - share])
        ax.errorbar(share, y, xerr=np.nan_to_num(extent), fmt="o", color=f"C{k % 10}",
                    ecolor="black", elinewidth=0.7, capsize=2, markersize=4)
        names = [f"{verbatim(o)} (n={n})" for o, n in
                 zip(shown["outlet"], shown[unit], strict=True)]
        ax.set_yticks(y, names if k % columns == 0 else [""] * len(y), fontsize=7)
        ax.set_xlim(-0.02, 1.02)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
        _title(ax, verbatim(label), fontsize=9)
    fig.supxlabel(f"share of the outlet's {unit} (whiskers: {level} intervals over documents)",
                  fontsize=8)
    fig.suptitle("Framing across the corpus (final model, every unit)"
                 + shown_note(len(shown), len(by_outlet), "{} outlets with most units"),
                 fontsize=10)
    return _pin_empty_labels(fig)


def plot_ranked_terms(table: pd.DataFrame, panel: str, term: str, value: str, *,
                      title: str, n_terms: int = 10, max_panels: int = 9,
                      threshold: Mapping[str, float] | None = None,
                      shown: str = "first {} panels") -> Figure:
    """A grid of bar charts, one per ``panel`` value, of its top ``term`` rows by ``value``.

    Serves both the top features per class and the distinctive terms per outlet.
    ``threshold`` draws a dashed line at each panel's value (the z past chance). Past
    ``max_panels`` values, the title says how many are drawn in ``shown``'s words
    (" (first 9 outlets by name of 20)").
    """
    names = list(dict.fromkeys(table[panel]))
    panels = names[:max_panels]
    n_cols = min(3, max(1, len(panels)))
    n_rows = max(1, -(-len(panels) // n_cols))
    fig = _new_figure(3.3 * n_cols, 2.4 * n_rows + 0.4)
    for i, name in enumerate(panels):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        top = table[table[panel] == name].nlargest(n_terms, value).iloc[::-1]
        ax.barh(top[term].map(verbatim), top[value], color=f"C{i % 10}")
        if threshold is not None and name in threshold:
            ax.axvline(threshold[name], color="0.3", linestyle="--", linewidth=0.8)
        _title(ax, verbatim(name), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title + shown_note(len(panels), len(names), shown), fontsize=10)
    return _pin_empty_labels(fig)


def plot_actor_naming(naming: pd.DataFrame) -> Figure:
    """Per actor, each outlet's mentions split by descriptor class (stacked bars of shares)."""
    actors = list(dict.fromkeys(naming["actor"]))
    classes = [c for c in DESCRIPTOR_COLOURS if c in naming.columns]
    fig = _new_figure(3.4 * min(2, len(actors)) + 1.5,
                      (0.3 * naming["outlet"].nunique() + 1.2) * -(-len(actors) // 2))
    for i, actor in enumerate(actors):
        rows = naming[naming["actor"] == actor].set_index("outlet")
        counts = rows[classes].astype(float)
        shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0).fillna(0)
        ax = fig.add_subplot(-(-len(actors) // 2), min(2, len(actors)), i + 1)
        left = np.zeros(len(shares))
        for cls in classes:
            ax.barh(shares.index.map(verbatim), shares[cls], left=left,
                    color=DESCRIPTOR_COLOURS[cls], label=cls if i == 0 else None)
            left += shares[cls].to_numpy()
        for y, total in enumerate(counts.sum(axis=1)):
            ax.text(1.01, y, f"n={int(total)}", va="center", fontsize=6)
        ax.set_xlim(0, 1)
        _title(ax, verbatim(actor), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.legend(loc="outside lower center", ncols=len(classes), fontsize=7, frameon=False)
    fig.suptitle("How outlets name the actors (share of mentions by descriptor)", fontsize=10)
    return _pin_empty_labels(fig)


def plot_reliability(curve: dict[str, list[float]], brier: float | None) -> Figure:
    """Reliability diagram: observed accuracy against predicted confidence."""
    fig = _new_figure(4.2, 4)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", color="#999999", lw=0.8, label="perfect calibration")
    ax.plot(curve["mean_predicted"], curve["fraction_correct"], marker="o", label="classifier")
    ax.set_xlabel("predicted confidence (top class)")
    ax.set_ylabel("observed accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    title = "Reliability (outlets held out)"
    _title(ax, title + (f"; Brier {brier:.3f}" if brier is not None else ""), fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return _pin_empty_labels(fig)

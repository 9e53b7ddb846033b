"""Figures: each ``plot_*`` takes result data and returns a matplotlib Figure; no file I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new_figure(width: float, height: float) -> Figure:
    # The object-oriented API, not pyplot: no global figure state, safe in threads and servers.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def plot_segments_per_outlet(summary: pd.DataFrame) -> Figure:
    """Horizontal bars of segments per outlet, from :func:`stance.summary.summarise_outlets`."""
    rows = summary[summary["outlet"] != "all outlets"].sort_values("segments")
    fig = _new_figure(6.5, max(2.0, 0.35 * len(rows) + 1))
    ax = fig.add_subplot()
    ax.barh(rows["outlet"].astype(str), rows["segments"], color="#4C72B0")
    for y, value in enumerate(rows["segments"]):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel("segments")
    ax.set_title("Segments per outlet")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _topic_names(labels: dict[int, str], width: int = 38) -> dict[int, str]:
    return {k: (v if len(v) <= width else v[: width - 1] + "…") for k, v in labels.items()}


def plot_topic_sizes(topics: pd.DataFrame) -> Figure:
    """Segments per topic from a topics table (topic, label, size); outliers (-1) in grey."""
    rows = topics.sort_values("size")
    fig = _new_figure(7, max(2.0, 0.32 * len(rows) + 1))
    ax = fig.add_subplot()
    names = _topic_names(dict(zip(rows["topic"], rows["label"], strict=True)))
    colors = ["#999999" if t == -1 else "#4C72B0" for t in rows["topic"]]
    ax.barh([f"{t}: {names[t]}" for t in rows["topic"]], rows["size"], color=colors)
    ax.set_xlabel("segments")
    ax.set_title("Topic sizes")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_topic_terms(terms: pd.DataFrame, labels: dict[int, str], *, n_terms: int = 8,
                     max_topics: int = 12) -> Figure:
    """A grid of bar charts: each topic's top terms by c-TF-IDF weight.

    Args:
        terms: long table with columns topic, term, weight (outliers excluded).
        labels: topic id -> readable label.
        n_terms: terms shown per topic.
        max_topics: topics shown (the largest first, as ordered in ``labels``).
    """
    shown = [t for t in labels if t != -1][:max_topics]
    n_cols = min(3, max(1, len(shown)))
    n_rows = max(1, -(-len(shown) // n_cols))
    fig = _new_figure(3.2 * n_cols, 2.3 * n_rows)
    names = _topic_names(labels, 30)
    for i, topic in enumerate(shown):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        top = terms[terms["topic"] == topic].nlargest(n_terms, "weight").iloc[::-1]
        ax.barh(top["term"], top["weight"], color=f"C{i % 10}")
        ax.set_title(f"{topic}: {names[topic]}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_topic_map(coords, topics, labels: dict[int, str]) -> Figure:
    """Segments in 2-D (UMAP), coloured by topic; outliers in light grey."""
    import numpy as np

    topics = np.asarray(topics)
    fig = _new_figure(7, 5.5)
    ax = fig.add_subplot()
    names = _topic_names(labels, 30)
    outlier = topics == -1
    ax.scatter(coords[outlier, 0], coords[outlier, 1], s=6, c="#cccccc", label="outliers",
               rasterized=True)
    for i, topic in enumerate(t for t in labels if t != -1):
        hit = topics == topic
        ax.scatter(coords[hit, 0], coords[hit, 1], s=10, color=f"C{i % 10}", rasterized=True,
                   label=f"{topic}: {names[topic]}")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title("Segments by topic (2-D UMAP of the embeddings)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return fig


def plot_prevalence_heatmap(prevalence: pd.DataFrame, labels: dict[int, str]) -> Figure:
    """Outlet x topic heatmap of topic share, annotated with share and 95% interval."""
    import numpy as np

    topics = [t for t in labels if t in set(prevalence["topic"])]
    share = prevalence.pivot(index="outlet", columns="topic", values="share")[topics]
    low = prevalence.pivot(index="outlet", columns="topic", values="low")[topics]
    high = prevalence.pivot(index="outlet", columns="topic", values="high")[topics]
    fig = _new_figure(max(5, 1.1 * len(topics) + 2.5), max(2.5, 0.5 * len(share) + 1.5))
    ax = fig.add_subplot()
    image = ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, aspect="auto")
    names = _topic_names(labels, 22)
    ax.set_xticks(range(len(topics)), [f"{t}: {names[t]}" for t in topics], rotation=35,
                  ha="right", fontsize=7)
    ax.set_yticks(range(len(share)), share.index, fontsize=8)
    values = share.to_numpy()
    for (i, j), value in np.ndenumerate(values):
        colour = "white" if value > 0.6 * np.nanmax(values) else "black"
        interval = ("1 document" if np.isnan(low.iat[i, j])
                    else f"[{low.iat[i, j]:.2f}, {high.iat[i, j]:.2f}]")
        ax.text(j, i, f"{value:.2f}\n{interval}", ha="center", va="center", fontsize=6,
                color=colour)
    fig.colorbar(image, ax=ax, label="share of the outlet's segments")
    ax.set_title("Topic prevalence per outlet (95% bootstrap interval over documents)")
    return fig


def plot_topics_over_time(over_time: pd.DataFrame, labels: dict[int, str]) -> Figure:
    """Share of segments per topic in each period (lines with markers)."""
    fig = _new_figure(7, 3.8)
    ax = fig.add_subplot()
    names = _topic_names(labels, 30)
    for i, topic in enumerate(t for t in labels if t in set(over_time["topic"])):
        rows = over_time[over_time["topic"] == topic].sort_values("period")
        ax.plot(rows["period"], rows["share"], marker="o", color=f"C{i % 10}",
                label=f"{topic}: {names[topic]}")
    ax.set_ylabel("share of segments")
    ax.set_title("Topics over time")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return fig

"""Figures: each ``plot_*`` takes result data and returns a matplotlib Figure; no file I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Topics drawn in the size chart, the heatmap and the map legend (the largest first); the
#: CSVs in the run folder hold them all. Hundreds of topics make a figure no one can read and
#: a PNG of tens of thousands of pixels that takes seconds to render.
MAX_TOPICS_SHOWN = 25
#: Outlets drawn in the heatmap (most segments first); topic_prevalence.csv has every outlet.
MAX_OUTLETS_SHOWN = 40
#: The heatmap writes share and interval into each cell only up to this many cells and
#: topics: wider, the figure is shrunk to the page until its numbers cannot be read.
MAX_ANNOTATED_CELLS = 150
MAX_ANNOTATED_TOPICS = 10
#: Marker shapes of the topic map: topics past the tenth reuse the ten colours, in another
#: shape.
_MAP_MARKERS = ("o", "s", "^")


def verbatim(value: object) -> str:
    r"""Text from data as matplotlib draws it verbatim: a ``$`` never opens mathtext.

    matplotlib reads text between two unescaped dollar signs as math (``$ x $`` is drawn as
    an italic x, ``$\foo$`` fails to draw at all); every outlet, label, actor, term and topic
    label goes through here before it reaches a figure.

    Example:
        >>> verbatim("$ x $")
        '\\$ x \\$'
    """
    return str(value).replace("$", r"\$")


def _new_figure(width: float, height: float) -> Figure:
    # The object-oriented API, not pyplot: no global figure state, safe in threads and servers.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _title(ax, text: str, **kwargs) -> None:
    """Set ``ax``'s title at the top edge (y=1.0), where matplotlib would place it anyway.

    Left to itself, matplotlib measures the axes' top tick labels and y offset text ("1e6")
    on every layout pass and draw, to lift the title above them; these figures have none
    (their y axes hold categories or shares).
    """
    ax.set_title(text, y=1.0, **kwargs)


def _pin_empty_labels(fig: Figure) -> Figure:
    """Pin each axis label that has no text to its spine; return ``fig``.

    matplotlib places an axis label past the tick labels of the axis and of its siblings
    on every layout pass and draw, measuring them all, even when the label is empty. A
    pinned empty label still draws nothing. With :func:`_title` the files are byte for byte
    the same, and the grids of small panels take a quarter to a third less time.
    """
    for ax in fig.axes:
        if not ax.xaxis.label.get_text():
            ax.xaxis.set_label_coords(0.5, 0)
        if not ax.yaxis.label.get_text():
            ax.yaxis.set_label_coords(0, 0.5)
    return fig


def plot_segments_per_outlet(summary: pd.DataFrame) -> Figure:
    """Horizontal bars of segments per outlet, from :func:`stance.corpus.summarise_outlets`.

    Shows the :data:`MAX_OUTLETS_SHOWN` outlets with most segments.
    """
    outlets = summary[summary["outlet"] != "all outlets"]
    rows = outlets.nlargest(MAX_OUTLETS_SHOWN, "segments").sort_values("segments")
    fig = _new_figure(6.5, max(2.0, 0.35 * len(rows) + 1))
    ax = fig.add_subplot()
    ax.barh(rows["outlet"].map(verbatim), rows["segments"], color="#4C72B0")
    for y, value in enumerate(rows["segments"]):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel("segments")
    _title(ax, "Segments per outlet" + shown_note(len(rows), len(outlets),
                                                   "{} outlets with most segments"))
    ax.spines[["top", "right"]].set_visible(False)
    return _pin_empty_labels(fig)


def _topic_names(labels: dict[int, str], width: int = 38) -> dict[int, str]:
    return {k: verbatim(v if len(v) <= width else v[: width - 1] + "…")
            for k, v in labels.items()}


def interval_level(confidence: float) -> str:
    """``analysis.confidence`` as the intervals' figures and captions name it: 95%, 97.5%."""
    return f"{confidence * 100:g}%"


def shown_note(shown: int, total: int, what: str) -> str:
    """' (largest 25 topics of 139)' when a figure or table leaves some out, else ''."""
    return f" ({what.format(shown)} of {total})" if shown < total else ""


def plot_topic_sizes(topics: pd.DataFrame) -> Figure:
    """Segments per topic from a topics table (topic, label, size); outliers (-1) in grey.

    Shows the largest :data:`MAX_TOPICS_SHOWN` topics and the outliers.
    """
    real = topics[topics["topic"] != -1]
    shown = real.nlargest(MAX_TOPICS_SHOWN, "size")
    rows = pd.concat([shown, topics[topics["topic"] == -1]]).sort_values("size")
    fig = _new_figure(7, max(2.0, 0.32 * len(rows) + 1))
    ax = fig.add_subplot()
    names = _topic_names(dict(zip(rows["topic"], rows["label"], strict=True)))
    colors = ["#999999" if t == -1 else "#4C72B0" for t in rows["topic"]]
    ax.barh([f"{t}: {names[t]}" for t in rows["topic"]], rows["size"], color=colors)
    ax.set_xlabel("segments")
    _title(ax, "Topic sizes" + shown_note(len(shown), len(real), "largest {} topics"))
    ax.spines[["top", "right"]].set_visible(False)
    return _pin_empty_labels(fig)


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
        ax.barh(top["term"].map(verbatim), top["weight"], color=f"C{i % 10}")
        _title(ax, f"{topic}: {names[topic]}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    real = sum(t != -1 for t in labels)
    fig.suptitle("Top terms per topic" + shown_note(len(shown), real, "largest {} topics"),
                 fontsize=10)
    return _pin_empty_labels(fig)


def plot_topic_map(coords, topics, labels: dict[int, str]) -> Figure:
    """Segments in 2-D (UMAP), coloured by topic; outliers in light grey."""
    import numpy as np

    topics = np.asarray(topics)
    drawn = ~np.isnan(np.asarray(coords, dtype=float)).any(axis=1)
    sample_note = (f"; a sample of {int(drawn.sum()):,} of {len(topics):,} segments"
                   if not drawn.all() else "")
    coords, topics = np.asarray(coords)[drawn], topics[drawn]
    fig = _new_figure(7, 5.5)
    ax = fig.add_subplot()
    names = _topic_names(labels, 30)
    outlier = topics == -1
    ax.scatter(coords[outlier, 0], coords[outlier, 1], s=6, c="#cccccc", label="outliers",
               rasterized=True)
    ordered = [t for t in labels if t != -1]
    for i, topic in enumerate(ordered):
        hit = topics == topic
        ax.scatter(coords[hit, 0], coords[hit, 1], s=10, color=f"C{i % 10}", rasterized=True,
                   marker=_MAP_MARKERS[i // 10 % len(_MAP_MARKERS)],
                   label=f"{topic}: {names[topic]}" if i < MAX_TOPICS_SHOWN else None)
    ax.set_xticks([])
    ax.set_yticks([])
    legend_note = (f" (legend: largest {MAX_TOPICS_SHOWN} of {len(ordered)} topics)"
                   if len(ordered) > MAX_TOPICS_SHOWN else "")
    _title(ax, f"Segments by topic (2-D UMAP of the embeddings{sample_note})" + legend_note)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return _pin_empty_labels(fig)


def plot_prevalence_heatmap(prevalence: pd.DataFrame, labels: dict[int, str], *,
                            level: str) -> Figure:
    """Outlet x topic heatmap of topic share, annotated with share and interval.

    ``level`` names the intervals' coverage (:func:`interval_level`).

    Shows the largest :data:`MAX_TOPICS_SHOWN` topics (and outliers) and the
    :data:`MAX_OUTLETS_SHOWN` outlets with most segments; cells carry their numbers only
    when there are at most :data:`MAX_ANNOTATED_CELLS` of them.
    """
    import numpy as np

    present = [t for t in labels if t in set(prevalence["topic"])]
    real = [t for t in present if t != -1]
    topics = real[:MAX_TOPICS_SHOWN] + [t for t in present if t == -1]
    segments = prevalence.groupby("outlet")["n_segments"].sum()
    outlets = sorted(segments.nlargest(MAX_OUTLETS_SHOWN).index)

    def table(values: str) -> pd.DataFrame:
        return prevalence.pivot(index="outlet", columns="topic", values=values).loc[
            outlets, topics]

    share, low, high = table("share"), table("low"), table("high")
    annotate = share.size <= MAX_ANNOTATED_CELLS and len(topics) <= MAX_ANNOTATED_TOPICS
    no_intervals = bool(low.isna().all().all())
    cell_width, cell_height = (1.1, 0.5) if annotate else (0.4, 0.3)
    fig = _new_figure(max(5, cell_width * len(topics) + 2.5),
                      max(2.5, cell_height * len(share) + 1.5))
    ax = fig.add_subplot()
    # interpolation "none": each cell is one pixel of the SVG's image, drawn as a sharp
    # square at any size, instead of an image resampled to 200 dpi (0.3 s more to write,
    # and to read for the PNG and the report, at 20 outlets x 26 topics)
    image = ax.imshow(share.to_numpy(), cmap="Blues", vmin=0, aspect="auto",
                      interpolation="none")
    names = _topic_names(labels, 22)
    ax.set_xticks(range(len(topics)), [f"{t}: {names[t]}" for t in topics], rotation=35,
                  ha="right", fontsize=7)
    ax.set_yticks(range(len(share)), [verbatim(o) for o in share.index], fontsize=8)
    values = share.to_numpy()
    if annotate:
        for (i, j), value in np.ndenumerate(values):
            colour = "white" if value > 0.6 * np.nanmax(values) else "black"
            interval = ("" if no_intervals else "\n1 document" if np.isnan(low.iat[i, j])
                        else f"\n[{low.iat[i, j]:.2f}, {high.iat[i, j]:.2f}]")
            ax.text(j, i, f"{value:.2f}{interval}", ha="center", va="center", fontsize=6,
                    color=colour)
    fig.colorbar(image, ax=ax, label="share of the outlet's segments")
    left_out = (shown_note(len(topics) - (-1 in topics), len(real), "largest {} topics")
                + shown_note(len(outlets), len(segments), "{} outlets with most segments"))
    _title(ax, "Topic prevalence per outlet" + left_out + (
        " (one document per outlet: no intervals)" if no_intervals
        else f" ({level} interval over documents)" if annotate
        else "; shares and intervals in topic_prevalence.csv"), fontsize=9)
    return _pin_empty_labels(fig)


def plot_topics_over_time(over_time: pd.DataFrame, labels: dict[int, str], *,
                          max_topics: int = 10) -> Figure:
    """Share of segments per topic in each period (lines with markers), largest topics.

    A period with no segment (share NaN) breaks the lines.
    """
    fig = _new_figure(7, 3.8)
    ax = fig.add_subplot()
    names = _topic_names(labels, 30)
    present = [t for t in labels if t in set(over_time["topic"])]
    for i, topic in enumerate(present[:max_topics]):
        rows = over_time[over_time["topic"] == topic].sort_values("period")
        ax.plot(rows["period"], rows["share"], marker="o", color=f"C{i % 10}",
                label=f"{topic}: {names[topic]}")
    ax.set_ylabel(f"share of segments per {over_time.attrs.get('period', 'period')}")
    _title(ax, "Topics over time" + shown_note(min(max_topics, len(present)), len(present),
                                                "largest {} topics"))
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    return _pin_empty_labels(fig)

"""Which figures a run draws, each a function of the run's results that returns a Figure."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd

from stance.report import _plots as plots
from stance.report import _plots_framing as pf
from stance.report import _plots_stance as ps

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from stance.data import RunResult

Draw = Callable[[], "Figure"]


def run_figures(result: RunResult) -> dict[str, Draw]:
    """Figure name -> a function drawing it, for every figure the run's results allow."""
    return {**_corpus_figures(result), **_topic_figures(result), **_framing_figures(result),
            **_stance_figures(result)}


def topic_labels(topics: pd.DataFrame) -> dict[int, str]:
    """Topic id -> label, largest topic first (outliers last)."""
    ordered = topics.assign(is_outlier=topics["topic"] == -1).sort_values(
        ["is_outlier", "size"], ascending=[True, False])
    return dict(zip(ordered["topic"].astype(int), ordered["label"], strict=True))


def _corpus_figures(result: RunResult) -> dict[str, Draw]:
    """Segments per outlet, distinctive terms and actor naming."""
    from stance.analysis import familywise_z
    from stance.corpus import summarise_outlets

    figures: dict[str, Draw] = {
        "segments_per_outlet": lambda: plots.plot_segments_per_outlet(
            summarise_outlets(result.corpus.corpus, result.segments))}
    terms = result.distinctive_terms
    if terms is not None and not terms.empty:
        lines = dict(zip(terms["outlet"], familywise_z(terms["n_tested"]), strict=False))
        figures["distinctive_terms"] = lambda: pf.plot_ranked_terms(
            terms, "outlet", "term", "z", threshold=lines,
            title="Distinctive terms per outlet (weighted log-odds z; dashed: past chance "
                  "among all the outlet's terms)", shown="first {} outlets by name")
    if result.actor_naming is not None and not result.actor_naming.empty:
        figures["actor_naming"] = lambda: pf.plot_actor_naming(result.actor_naming)
    return figures


def _topic_figures(result: RunResult) -> dict[str, Draw]:
    topics = result.topics
    if topics is None:
        return {}
    labels = topic_labels(topics.topics)
    coords = result.topic_map
    figures: dict[str, Draw] = {
        "topic_map": lambda: plots.plot_topic_map(coords[["x", "y"]].to_numpy(),
                                                  coords["topic"].to_numpy(), labels),
        "topic_sizes": lambda: plots.plot_topic_sizes(topics.topics),
    }
    if result.over_time is not None and result.over_time["period"].nunique() > 1:
        figures["topics_over_time"] = lambda: plots.plot_topics_over_time(
            result.over_time, labels)
    figures["prevalence_heatmap"] = lambda: plots.plot_prevalence_heatmap(
        result.prevalence, labels, level=_level(result))
    figures["topic_terms"] = lambda: plots.plot_topic_terms(
        topics.terms[topics.terms["topic"] != -1], labels)
    return figures


def _framing_figures(result: RunResult) -> dict[str, Draw]:
    framing = result.framing
    if framing is None:
        return {}
    grouped = framing.metrics["grouped"]
    classes = framing.metrics["classes"]
    figures: dict[str, Draw] = {
        "framing_confusion": lambda: pf.plot_confusion_matrix(
            grouped["confusion"], classes, "Outlets held out"),
        "framing_by_outlet": lambda: pf.plot_framing_by_outlet(
            framing.predictions, classes=classes,
            unit="documents" if framing.metrics["level"] == "document" else "segments"),
    }
    if framing.by_outlet is not None and not framing.by_outlet.empty:
        figures["framing_corpus"] = lambda: pf.plot_framing_shares(
            framing.by_outlet, classes, unit=f"{framing.metrics['level']}s",
            level=_level(result))
    if grouped.get("reliability", {}).get("mean_predicted"):
        figures["framing_reliability"] = lambda: pf.plot_reliability(
            grouped["reliability"], grouped.get("brier"))
    if not framing.top_features.empty:
        figures["framing_top_features"] = lambda: pf.plot_ranked_terms(
            framing.top_features, "class", "feature", "coefficient",
            title="Top features per class", shown="first {} classes")
    return figures


def _stance_figures(result: RunResult) -> dict[str, Draw]:
    stance = result.actor_stance
    if stance is None or stance.by_outlet.empty:
        return {}
    figures: dict[str, Draw] = {
        "actor_stance": lambda: ps.plot_actor_stance(stance.by_outlet, level=_level(result))}
    over_time = stance.over_time
    if not over_time.empty and over_time.groupby(["actor", "outlet"])["period"].nunique().max() > 1:
        figures["actor_stance_over_time"] = lambda: ps.plot_actor_stance_over_time(
            over_time, stance.by_outlet, level=_level(result))
    return figures


def _level(result: RunResult) -> str:
    """The coverage of the run's intervals over documents, as figures name it."""
    return plots.interval_level(result.config.analysis.confidence)

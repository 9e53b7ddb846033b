"""The report's topics section: what each outlet talks about, and how far to trust it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from stance.report import _markup as m
from stance.report._plots import interval_level

if TYPE_CHECKING:
    from stance.data import RunResult

#: Topics listed in the report's table; topics.csv has them all.
MAX_TOPICS_IN_TABLE = 25
#: A topic holding more than this share of the segments is flagged: the clustering has
#: merged most of the corpus, so "what each outlet talks about" is mostly one topic.
DOMINANT_SHARE = 0.5
#: More than this share of segments cut by the embedding model is flagged.
CUT_SHARE = 0.1
#: Stability ARI below this is flagged. A rule of thumb, not a test: at 0.5 the fits with
#: other seeds agree with this one on only half of what perfect agreement beyond chance
#: would give, so another seed could tell a different story.
LOW_STABILITY = 0.5

_FIGURES = {
    "topic_sizes": "Segments per topic; outliers (topic -1) in grey.",
    "topic_terms": "Top terms per topic, by weight of the configured representation.",
    "topic_map": "Segments in two dimensions (UMAP of the embeddings, for display only), "
                 "coloured by topic.",
    "prevalence_heatmap": "Share of each outlet's segments per topic; the {level} intervals over "
                          "the outlet's documents (see Methods) are in topic_prevalence.csv, "
                          "and in the cells of a small table.",
    "topics_over_time": "Share of segments per topic in each period, all outlets.",
}


def topics_section(run: RunResult) -> str | None:
    """Topics table, quality metrics and figures; None when topics did not run."""
    if run.topics is None:
        return None
    topics = run.topics.topics
    real = topics[topics["topic"] != -1]
    outliers = int(topics.loc[topics["topic"] == -1, "size"].sum())
    themes = sorted(t for t in real["seed_theme"].fillna("") if t)
    out = m.heading("Topics")
    out += m.paragraph(m.text(
        f"{len(real)} topics over {len(run.segments):,} segments; {outliers:,} segments "
        f"({outliers / max(1, len(run.segments)):.0%}) are outliers (topic -1). "
        + (f"Seed themes matched by a topic: {', '.join(sorted(set(themes)))}. "
           if themes else "No topic matches a seed theme. " if run.config.topics.seed_themes
           else "")
        + "topics.csv lists every topic with its terms and weights; segment_topics.parquet "
          "gives each segment's topic."))
    out += _sample_note(run.metrics.get("fit_sample"))
    out += _dominant_topic_note(real, len(run.segments))
    out += _truncation_note(run.manifest.get("embedding") or {})
    shown = real.sort_values("size", ascending=False).head(MAX_TOPICS_IN_TABLE)
    table = pd.DataFrame({
        "topic": shown["topic"], "label": shown["label"],
        "seed theme": [_theme_cell(row) for row in shown.itertuples()],
        "segments": shown["size"],
        "top terms": shown["terms"].map(_term_names)})
    shown_all = len(shown) == len(real)
    out += m.table(table, align=["right", "left", "left", "right", "left"], size="8pt",
                   caption=("Topics, largest first" if shown_all else
                            f"The largest {len(shown)} of {len(real)} topics (topics.csv has "
                            "them all)")
                   + ": label, matched seed theme (with the theme's words among the topic's "
                     "terms, and the centroid's cosine similarity to the theme), size and top "
                     "terms.")
    out += _quality(run)
    out += _stability_note(run.metrics.get("stability") or {}, run.manifest.get("seeds") or {})
    for name, caption in _FIGURES.items():
        if name in run.figures:
            if name == "prevalence_heatmap" and _one_document_per_outlet(run):
                caption = ("Share of each outlet's segments per topic. Each outlet has one "
                           "document, so there are no intervals.")
            out += m.image(str(run.figures[name].relative_to(run.run_dir)),
                           caption.replace("{level}", run_level(run)))
    return out


def _theme_cell(topic) -> str:
    """'military supply (weapons, arsenal; 0.51)', or '' for a topic no theme matched."""
    theme = getattr(topic, "seed_theme", "")
    if not isinstance(theme, str) or not theme:
        return ""
    words = getattr(topic, "seed_words", "")  # absent from runs of older versions
    words = words.replace("; ", ", ") + "; " if isinstance(words, str) and words else ""
    return f"{theme} ({words}{topic.seed_similarity:.2f})"


def _one_document_per_outlet(run: RunResult) -> bool:
    return run.prevalence is not None and bool((run.prevalence["n_documents"] == 1).all())


def cut_segments(cut: dict, unit: str = "segments") -> str:
    """'about 1941 of 2225 segments (87%)' from a manifest's ``segments_cut``."""
    return (f"{'about ' if cut['sampled'] else ''}{cut['truncated']} of {cut['texts']} "
            f"{unit} ({cut['truncated'] / max(1, cut['texts']):.0%})")


def many_cut(cut: dict) -> bool:
    """Whether the model cut more than :data:`CUT_SHARE` of the texts (False when uncounted)."""
    return cut.get("truncated") is not None and cut["truncated"] > CUT_SHARE * cut["texts"]


def _truncation_note(embedding: dict) -> str:
    """A warning paragraph when the model cut more than :data:`CUT_SHARE` of the segments."""
    cut = embedding.get("segments_cut") or {}
    if not many_cut(cut):
        return ""
    count = cut_segments(cut)
    return m.warning("Many segments are longer than the embedding model reads.", m.text(
        f"{count[0].upper()}{count[1:]} have more than {cut['max_tokens']} tokens; "
        "their topics come from their beginnings only. Shorter segments "
        "(segmentation.unit: paragraph, sentence or window) let the model read all of the "
        "text."))


def _sample_note(sample: dict | None) -> str:
    """How a model fitted on a sample assigned the other segments, and how well that agrees."""
    if not sample:
        return ""
    agreement = sample["agreement"]
    ways = {"nearest": "the most similar topic centroid",
            "neighbors": "the topic held by most of each one's 15 most similar fitted segments"}
    scores = "; ".join(f"{name} {agreement[name]['same_topic']:.1%} (ARI "
                       f"{agreement[name]['ari']:.3f})" for name in ways)
    return m.paragraph(m.text(
        f"The model was fitted on a sample of {sample['segments']:,} of {sample['of']:,} "
        f"segments, drawn with the run's seed so that each outlet keeps its share of each "
        f"month (topics.fit_sample); the other segments were given {ways[sample['assign']]} "
        f"(topics.assign: {sample['assign']}). Topic sizes, prevalence and every table count "
        f"all segments; the terms, quality and stability come from the sample. Assigning "
        f"{agreement['segments']:,} fitted segments again gives the fit's own topic: "
        f"{scores}."))


def _dominant_topic_note(real: pd.DataFrame, n_segments: int) -> str:
    """A warning paragraph when one topic holds most of the segments, else ''."""
    if real.empty or n_segments == 0:
        return ""
    largest = real.loc[real["size"].idxmax()]
    share = int(largest["size"]) / n_segments
    if share <= DOMINANT_SHARE:
        return ""
    return m.warning("One topic holds most of the corpus.", m.text(
        f"topic {largest['topic']} ({largest['label']}) has {share:.0%} of the segments. "
        "HDBSCAN has merged what may be several themes; try a smaller "
        "topics.hdbscan.min_cluster_size or min_samples, or cluster_selection_method: leaf, "
        "and compare the runs in a sweep."))


def _stability_note(stability: dict, seeds: dict) -> str:
    """A warning paragraph when either stability ARI is below :data:`LOW_STABILITY`."""
    overall, in_topics = stability.get("ari_mean"), stability.get("ari_topics_mean")
    if all(v is None or v >= LOW_STABILITY for v in (overall, in_topics)):
        return ""
    used = [seeds.get("seed"), *seeds.get("stability_seeds", [])]
    named = f" (seeds {', '.join(str(s) for s in used[:-1])} and {used[-1]})" if all(
        s is not None for s in used) and len(used) > 1 else ""

    def value(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    return m.warning("The topics change with the seed.", m.text(
        f"The {stability.get('runs', len(used))} fits{named} agree pair by pair at mean ARI "
        f"{value(overall)} over all segments and {value(in_topics)} over the segments in a "
        f"topic in both (below {LOW_STABILITY} is flagged). Read these topics as one of "
        "several partitions the data allow: run a sweep over seed and report what holds "
        "across seeds; more segments or a larger topics.hdbscan.min_cluster_size usually "
        "steady them."))


def _quality(run: RunResult) -> str:
    """The topic quality metrics of metrics.json, with what each one means."""
    metrics = run.metrics
    if not metrics:
        return ""
    stability = metrics.get("stability") or {}
    rows = [
        ("NPMI coherence (mean of topics' top-10 terms)", metrics.get("npmi_mean"),
         "-1 to 1; co-occurrence of a topic's terms in the run's own segments"),
        ("NPMI coherence, topics weighted by segments", metrics.get("npmi_weighted"),
         "the same, so a topic of a few segments (its terms found together there alone, "
         "near 1) cannot carry it"),
        ("topic diversity (top-10 c-TF-IDF terms)", metrics.get("diversity_10"),
         "share of unique terms across topics; 1 = no overlap"),
        ("topic diversity (top-25 c-TF-IDF terms)", metrics.get("diversity_25"), ""),
        ("outlier share", metrics.get("outlier_share"), "segments in no topic"),
        (f"stability (ARI, {stability.get('runs', 0)} fits)", stability.get("ari_mean"),
         "adjusted Rand index of the assignments of fits with other seeds, mean over "
         "pairs; 1 = identical"),
        ("stability, segments in a topic in both fits (ARI)", stability.get("ari_topics_mean"),
         "the same without the outliers, so agreeing on them does not count"),
    ]
    frame = pd.DataFrame([(n, "n/a" if v is None else f"{v:.3f}", d) for n, v, d in rows],
                         columns=["metric", "value", "meaning"])
    return m.table(frame, align=["left", "right", "left"], size="8pt",
                   caption="Topic quality (metrics.json).")


def _term_names(terms: str) -> str:
    """'a (0.12); b (0.08)' -> 'a, b' for the report table."""
    names = [t.rsplit(" (", 1)[0] for t in str(terms).split("; ") if t]
    return ", ".join(names[:8])


def run_level(run: RunResult) -> str:
    """The coverage of the run's intervals over documents, as the report names it."""
    return interval_level(run.config.analysis.confidence)

"""The report's actor stance section: how each outlet portrays each actor, how far to trust it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from stance.data import STANCE_CLASSES
from stance.report import _markup as m
from stance.report._topics import run_level

if TYPE_CHECKING:
    from stance.data import ActorStance, RunResult

#: Actor and outlet rows in the report's table; actor_stance_outlets.csv has them all.
MAX_ROWS = 30

_FIGURES = {
    "actor_stance": "Each outlet's mentions of each actor from negative (left) to positive "
                    "(right), neutral split around zero; whiskers: {level} intervals of the "
                    "negative and positive shares, resampling the outlet's documents.",
    "actor_stance_over_time": "Share of negative mentions per period for each actor's "
                              "outlets with most mentions (bands: {level} intervals over "
                              "documents).",
}


def actor_stance_section(run: RunResult) -> str | None:
    """The stance toward each actor per outlet, the model's scores and its caveats."""
    stance = run.actor_stance
    if stance is None:
        return None
    model = stance.evaluation["model"]
    out = m.heading("How each outlet portrays each actor")
    out += m.paragraph(m.text(_overview(stance)))
    single = stance.by_outlet[stance.by_outlet["documents"] < 2]
    if len(single):
        out += m.warning("Few documents.", m.text(
            f"{len(single)} of {len(stance.by_outlet)} actor and outlet pairs rest on one "
            "document: their shares describe that article, not the outlet, and no interval "
            "can be drawn for them."))
    out += m.warning("Trained on US policy news.", m.text(
        f"The model learned from {model['training_data']}: sentences about US politicians, "
        "written in English by US outlets. Stance there is mostly carried by evaluative words "
        "and by what the actor is said to do. Here it may transfer less well where stance is "
        "carried by attribution (a state agency relaying an official's words reads as "
        "neutral, whatever the outlet's stance), by titles (\"self-proclaimed\"), by "
        "translation or by irony. Read outlet differences beside the agreement with "
        "hand labels below, and label a sample of your own mentions (actor_stance.labels) "
        "before trusting a small difference."))
    out += m.table(_card_table(model), align=["left", "right", "left", "right"],
                   caption="The model card's scores (macro-F1 with 95% bootstrap intervals "
                           "over sentences) on the NewsMTSC test sets, beside the published "
                           "best (Hamborg & Donnay 2021, GRU-TSC on RoBERTa).")
    if "labels" in stance.evaluation:
        out += _labels_part(stance)
    for name, caption in _FIGURES.items():
        if name in run.figures:
            out += m.image(str(run.figures[name].relative_to(run.run_dir)),
                           caption.replace("{level}", run_level(run)))
    out += _outlet_table(stance.by_outlet, run_level(run))
    return out


def actor_stance_methods(run: RunResult) -> list[str]:
    """Method bullets for the actor stance stage."""
    stance = run.actor_stance
    if stance is None:
        return []
    cfg, evaluation = run.config.actor_stance, stance.evaluation
    model = evaluation["model"]
    read = ("its sentence (cut to " f"{cfg.window_words} words each side of the mention when "
            "longer than twice that)" if cfg.unit == "sentence"
            else f"{cfg.window_words} words each side of the mention")
    layers = ("every layer" if model["tuned_layers"] == "all"
              else f"its top {model['tuned_layers']} layer(s)")
    text = (f"Actor stance: for each mention of {', '.join(run.config.stance_actors)}, the "
            f"model {model['name']} ({model['base_model']} with {layers} and a classifier "
            f"tuned on {model['training_data']}) reads {read} and classifies the stance "
            "toward that mention from the mean of all token vectors beside the mean of the "
            "mention's own; shares per outlet with intervals resampling documents.")
    distinct = evaluation.get("distinct_contexts", len(stance.mentions))
    if distinct < len(stance.mentions):
        text += (f" A context repeated word for word (wire copy, quotes) is read once: "
                 f"{distinct:,} distinct contexts for {len(stance.mentions):,} mentions.")
    if "adaptation" in evaluation:
        text += (f" Tuned further on {evaluation['labels']['mentions']} labelled mentions "
                 f"for {evaluation['adaptation']['epochs']} epochs.")
    unused = evaluation.get("aliases_without_mentions") or {}
    if unused:
        text += " Aliases matching no mention: " + "; ".join(
            f"{actor}: {', '.join(aliases)}" for actor, aliases in unused.items()) + "."
    return [m.text(text)]


def _overview(stance: ActorStance) -> str:
    mentions = stance.mentions
    counts = mentions["actor"].value_counts().sort_index()
    found = ", ".join(f"{actor} {n}" for actor, n in counts.items())
    return (f"{len(mentions)} mentions in {mentions['doc_id'].nunique()} documents from "
            f"{mentions['outlet'].nunique()} outlets ({found}). Each mention's sentence is "
            "classified as negative, neutral or positive toward that actor; an outlet's share "
            "is of its mentions, with intervals that resample its documents (an article's "
            "mentions are not independent).")


def _card_table(model: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for split in ("rw-test", "mt-test"):
        scores = model["scores"].get(split)
        if scores is None:
            continue
        published = model.get("published", {}).get(split, {})
        rows.append((split, scores["macro_f1"],
                     f"[{scores['macro_f1_low']:.3f}, {scores['macro_f1_high']:.3f}]",
                     published.get("GRU-TSC")))
    return pd.DataFrame(rows, columns=["NewsMTSC set", "macro-F1", "95% interval",
                                       "published best"])


def _labels_part(stance: ActorStance) -> str:
    labels = stance.evaluation["labels"]
    classes = labels["classes"]
    out = m.paragraph(m.text(
        f"Agreement with {labels['mentions']} hand-labelled mentions in {labels['documents']} "
        f"documents: macro-F1 {labels['macro_f1']:.3f} [{labels['macro_f1_low']:.3f}, "
        f"{labels['macro_f1_high']:.3f}] (documents resampled), accuracy "
        f"{labels['accuracy']:.3f}, Cohen's kappa {labels['kappa']:.3f}. Labels: "
        + ", ".join(f"{c} {n}" for c, n in labels["label_counts"].items()) + "."))
    confusion = pd.DataFrame(labels["confusion"], columns=[f"predicted {c}" for c in classes])
    confusion.insert(0, "label", classes)
    out += m.table(confusion, caption="Hand labels (rows) against the model's stance "
                                      "(columns); actor_stance_labels.csv lists each with "
                                      "its rationale.")
    adaptation = stance.evaluation.get("adaptation")
    if adaptation:
        gap = adaptation["gap"]
        out += m.paragraph(m.text(
            f"Tuned on the labels with each of {adaptation['outlets_held_out']} outlets held "
            f"out in turn: macro-F1 {_interval(adaptation['adapted'])} against "
            f"{_interval(adaptation['unadapted'])} without tuning on the same mentions "
            f"(paired difference [{gap[0]:+.3f}, {gap[1]:+.3f}]). The corpus is predicted by "
            "the model tuned on every label."))
    return out


def _outlet_table(by_outlet: pd.DataFrame, level: str) -> str:
    shown, cut = by_outlet, ""
    if len(by_outlet) > MAX_ROWS:
        shown = by_outlet.nlargest(MAX_ROWS, "mentions", keep="first").sort_index()
        cut = (f" The {MAX_ROWS} of {len(by_outlet)} actor and outlet pairs with most "
               "mentions; actor_stance_outlets.csv has them all.")
    table = shown[["actor", "outlet", "mentions", "documents"]].copy()
    for cls in STANCE_CLASSES:
        table[cls] = [_share(row, cls) for row in shown.to_dict("records")]
    table["net"] = shown["net"].to_numpy()
    return m.table(table, align=["left", "left", "right", "right", "right", "right", "right",
                                 "right"], size="7.5pt",
                   caption=f"Share of each outlet's mentions of each actor by stance, with "
                           f"{level} intervals over its documents (– for one document); net is "
                           "positive minus negative." + cut)


def _share(row: dict[str, Any], cls: str) -> str:
    share, low, high = row[f"share_{cls}"], row[f"low_{cls}"], row[f"high_{cls}"]
    if pd.isna(low):
        return f"{share:.2f}"
    return f"{share:.2f} [{low:.2f}, {high:.2f}]"


def _interval(scores: dict[str, Any]) -> str:
    return f"{scores['macro_f1']:.3f} [{scores['macro_f1_low']:.3f}, {scores['macro_f1_high']:.3f}]"

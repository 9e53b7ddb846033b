"""The report's framing section: how each outlet frames the story, and how far to trust it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from stance.report import _markup as m
from stance.report._topics import cut_segments, many_cut, run_level

if TYPE_CHECKING:
    from stance.data import RunResult

#: Rows per outlet in the report's distinctive-terms and actor tables; the CSVs have them all.
TERMS_PER_OUTLET = 6
MAX_ACTOR_ROWS = 30
#: Outlets in the report's table of framing across the corpus; framing_outlets.csv has all.
MAX_OUTLET_ROWS = 30

_FIGURES = {
    "framing_confusion": "Confusion matrix of out-of-fold predictions with whole outlets held "
                         "out (rows: true label, columns: predicted).",
    "framing_by_outlet": "Share of each outlet's units per predicted framing label (each "
                         "outlet predicted by a model that never saw it).",
    "framing_corpus": "Framing across the corpus: the final model's label for every unit, "
                      "labelled or not, as shares of each outlet's units with {level} "
                      "intervals over "
                      "its documents (framing_outlets.csv). The model was trained on the "
                      "labelled units, so their labels here mostly repeat the training "
                      "labels; its score with outlets held out says how far to trust the "
                      "labels of the others.",
    "framing_reliability": "Reliability of the predicted probabilities, outlets held out.",
    "framing_top_features": "Features with the largest coefficients per class (model fitted "
                            "on all units).",
    "distinctive_terms": "Each outlet's most distinctive terms against all others: weighted "
                         "log-odds with an informative Dirichlet prior (z-scores; dashed "
                         "line: the z past chance among all the outlet's terms).",
    "actor_naming": "How each outlet names the actors: share of mentions by descriptor class.",
}


def framing_section(run: RunResult) -> str | None:
    """Classifier scores and baselines; the outlets' distinctive terms and actor naming.

    Distinctive terms and actor naming need no labels: without a classifier they stand alone.
    """
    if not _framing_stage_ran(run):
        return None
    out = m.heading("Framing")
    if run.framing is not None:
        out += _classifier_part(run)
    else:
        out += m.paragraph(m.text(
            f"No framing classifier ran ({run.config.framing_skipped_because}). Below is how "
            "the outlets' wording differs, measured without labels."))
    for name, caption in _FIGURES.items():
        if name in run.figures:
            out += m.image(str(run.figures[name].relative_to(run.run_dir)),
                           caption.replace("{level}", run_level(run)))
    out += _distinctive_table(run.distinctive_terms)
    out += _actor_table(run.actor_naming)
    return out


def _framing_stage_ran(run: RunResult) -> bool:
    """A classifier, distinctive terms or actor naming: anything this section reports."""
    return not (run.framing is None and run.actor_naming is None
                and run.distinctive_terms is None)


def _classifier_part(run: RunResult) -> str:
    """Warnings, scores beside the baselines, per class and per held-out outlet."""
    metrics = run.framing.metrics
    out = ""
    if metrics.get("small_n"):
        out += _warning(metrics["small_n"], metrics)
    if metrics.get("outlet_label"):
        out += m.warning("The label is the outlet's.", m.text(metrics["outlet_label"]))
    cut = metrics.get("units_cut") or {}
    if many_cut(cut):
        out += m.warning("The embedding model reads only the start of many units.", m.text(
            f"{_units_cut(metrics).strip()} The embeddings feature sees only that much of "
            "each; units of paragraphs (framing.level: segment) let it read all of the "
            "text."))
    out += m.paragraph(m.text(_overview(metrics, run)))
    out += m.table(_score_table(metrics), align=["left", "left", "right", "right"],
                   caption="Macro-F1 with 95% bootstrap intervals (documents resampled under "
                           "the random split, whole outlets under outlets held out) and "
                           "accuracy, for the classifier and each baseline.")
    out += m.paragraph(m.text(_baseline_sentence(metrics) + _leakage_sentence(metrics)))
    grouped = metrics.get("grouped", {})
    if grouped.get("per_class"):
        out += m.table(_per_class_table(grouped["per_class"]),
                       caption="Per class, outlets held out (framing_metrics.json).")
    if grouped.get("per_outlet"):
        out += m.table(pd.DataFrame(grouped["per_outlet"]),
                       caption="Score on each held-out outlet (or group of outlets joined by "
                               "near-duplicate documents), macro-F1 over the classes it has. "
                               "Where it has one (n_classes 1) the F1 is 2R/(1+R) of its recall "
                               "R: how often its label was found, not how well labels were told "
                               "apart.")
    out += _corpus_table(run.framing.by_outlet, metrics, run_level(run))
    return out


def _corpus_table(by_outlet: pd.DataFrame | None, metrics: dict[str, Any], level: str) -> str:
    """Each outlet's shares of the framing labels over the whole corpus, with intervals."""
    if by_outlet is None or by_outlet.empty:
        return ""
    unit = f"{metrics.get('level', 'segment')}s"
    sizes = list(dict.fromkeys([unit, "documents"]))
    shown = by_outlet.nlargest(MAX_OUTLET_ROWS, sizes).sort_values("outlet")
    table = shown[["outlet", *sizes]].copy()
    for label in metrics["classes"]:
        table[label] = [_share(*v) for v in zip(shown[f"share_{label}"], shown[f"low_{label}"],
                                                 shown[f"high_{label}"], strict=True)]
    cut = (f" The {MAX_OUTLET_ROWS} of {len(by_outlet)} outlets with most {unit}; "
           "framing_outlets.csv has them all." if len(by_outlet) > MAX_OUTLET_ROWS else "")
    return m.table(table, size="8pt", caption=(
        f"The final model's labels for all {int(by_outlet[unit].sum())} {unit} of the "
        "corpus, labelled or not (it was trained on the labelled ones): each outlet's share "
        f"per label with its {level} interval over documents (none for an outlet of one "
        "document); framing_corpus.parquet has every unit's label." + cut))


def _share(share: float, low: float, high: float) -> str:
    if pd.isna(low):
        return f"{share:.3f}"
    return f"{share:.3f} [{low:.3f}, {high:.3f}]"


def framing_methods(run: RunResult) -> list[str]:
    """Method bullets for the framing stage, written from the resolved config."""
    if not _framing_stage_ran(run):
        return []
    cfg = run.config.framing
    items = []
    if run.framing is not None:
        cv = run.framing.metrics.get("cv", {})
        items.append(m.text(
            f"Framing classifier: {cfg.classifier} on {', '.join(cfg.features)} after masking "
            f"outlet names, bylines and datelines; evaluated by {cv.get('grouped', cfg.cv)} "
            f"(outlets held out, near-duplicate documents kept in one fold) and by a random "
            f"split of documents, each with its near-copies "
            f"({cv.get('random', 'stratified k-fold')}); "
            f"{cfg.n_bootstrap} bootstrap resamples for intervals; "
            + _calibration_method(run.framing.metrics, cfg.calibrate)
            + _copies_left_out(run.framing.metrics)
            + _how_embedded(run.framing.metrics)))
        if run.framing.by_outlet is not None:
            unit = f"{run.framing.metrics.get('level', cfg.level)}s"
            items.append(m.text(
                f"Framing across the corpus: the final model, fitted on every labelled unit, "
                f"labels every one of the corpus's {unit}, labelled or not; each outlet's "
                f"share of {unit} per label with a {run.config.analysis.confidence:.0%} "
                f"percentile interval from {run.config.analysis.n_bootstrap} resamples of its "
                "documents."))
        if cfg.rationales is not None:
            learned = run.framing.learned_cues
            items.append(m.text(
                f"Learned cues: a lexicon learned, inside each training part, from the words "
                f"annotators marked (column {cfg.rationales}); a word's rate is marked / "
                "(present + 2) over the training texts containing it, training texts are "
                "scored by the other inner folds' lexicons (a document's segments in one "
                "fold) and no held-out text's marks are "
                f"read. Learned from all units: {0 if learned is None else len(learned)} "
                "words (framing_learned_cues.csv)."))
    if run.actor_naming is not None:
        actors = run.config.actors
        items.append(m.text(
            f"Actor naming: {len(actors)} actors ({', '.join(actors)}) with their "
            "aliases; each mention's descriptor (a title before the name, an apposition set "
            "off by commas after it, or 'regime' or 'junta' right after it) is classified with "
            "the framing-cue lexicon, and a mention with none is bare."))
    if run.distinctive_terms is not None:
        items.append(m.text(
            "Distinctive terms: weighted log-odds with an informative Dirichlet prior "
            f"(Monroe, Colaresi and Quinn 2008), prior scale {cfg.distinctive_prior}."))
    return items


def _copies_left_out(metrics: dict[str, Any]) -> str:
    """' A unit whose text a held-out unit shares is left out of training: ...' or ''."""
    left_out = {split: sum(row["units"] for row in
                           metrics.get(split, {}).get("copies_left_out_of_training", []))
                for split in ("grouped", "random")}
    if not any(left_out.values()):
        return ""
    return (" A training unit with the text of a held-out unit (case and spacing aside, "
            "outlet names, datelines, bylines and credits masked) was left out of that fold's "
            f"training: {left_out['grouped']} times over the outlets-held-out folds and "
            f"{left_out['random']} over the random folds (a unit counts once per fold). "
            "Calibration's and the learned cues' inner folds keep such copies apart too; the "
            "saved model is trained on every unit.")


def _how_embedded(metrics: dict[str, Any]) -> str:
    """How the embeddings feature saw each unit: its segments' mean, or its first tokens."""
    if metrics.get("embedded", "").startswith("mean"):
        return (" The embeddings feature represents each document by the mean of its "
                "segments' cached vectors, so it reads the whole text.")
    return _units_cut(metrics)


def _units_cut(metrics: dict[str, Any]) -> str:
    """' The embeddings feature reads each unit's first 256 tokens; ...' or ''."""
    cut = metrics.get("units_cut") or {}
    if cut.get("truncated") is None:
        return ""
    unit = "documents" if metrics.get("level") == "document" else "units"
    return (f" The embeddings feature reads each unit's first {cut['max_tokens']} tokens; "
            f"{cut_segments(cut, unit)} are longer.")


def _calibration_method(metrics: dict[str, Any], asked: bool) -> str:
    """What calibration was done: asked for, in how many folds, and for the saved model."""
    if not asked:
        return "no calibration."
    cv = metrics.get("cv", {})
    done = {split: len(metrics.get(split, {}).get("calibrated_folds", []))
            for split in ("grouped", "random")}
    folds = {"grouped": cv.get("n_folds_grouped"), "random": cv.get("n_folds_random")}
    if done == folds:
        return "sigmoid calibration inside each training fold."
    why = "each class needs two training groups; framing_metrics.json gives why"
    if not any(done.values()):
        return (f"sigmoid calibration asked for but possible in none of the {folds['grouped']} "
                f"outlets-held-out and {folds['random']} random training folds ({why}), so "
                "every score, and the saved model, is uncalibrated.")
    saved = ("the saved model is calibrated" if metrics.get("final_model", {}).get("calibrated")
             else "the saved model is not")
    return (f"sigmoid calibration inside {done['grouped']} of {folds['grouped']} "
            f"outlets-held-out and {done['random']} of {folds['random']} random training folds "
            f"({why}; the other folds' scores are uncalibrated); {saved}.")


def _warning(sentence: str, metrics: dict[str, Any]) -> str:
    counts = (f"{metrics.get('n_documents', '?')} documents, {metrics.get('n_outlets', '?')} "
              f"outlets, {metrics.get('n_units', '?')} units")
    # "too few", not "small corpus": thousands of documents from 8 outlets are still too few
    # outlets for outlets held out
    body = m.text(f"{sentence} ({counts}.) The numbers below are reported because the "
                  "pipeline ran, not as evidence.")
    return m.warning("Too few outlets or documents to support a claim.", body)


def _overview(metrics: dict[str, Any], run: RunResult) -> str:
    cfg = run.config.framing
    classes = ", ".join(metrics.get("classes", []))
    text = (f"Label '{metrics.get('label', cfg.label)}' ({classes}) at {metrics.get('level')} "
            f"level: {metrics.get('n_units')} units from {metrics.get('n_documents')} documents "
            f"and {metrics.get('n_outlets')} outlets. Features: {', '.join(cfg.features)}; "
            f"classifier: {cfg.classifier} (C={cfg.C}, balanced class weights). Headline "
            f"evaluation: {metrics.get('cv', {}).get('grouped', cfg.cv)} with whole outlets held "
            "out, so the model cannot score by recognising an outlet.")
    dropped = metrics.get("dropped_classes") or {}
    if dropped:
        text += " Classes dropped for having too few documents to be both trained and tested: " \
            + ", ".join(f"{c} ({n} document{'s' if n != 1 else ''})" for c, n in dropped.items()) \
            + "."
    return text


def _score_table(metrics: dict[str, Any]) -> pd.DataFrame:
    rows = []
    models = [("classifier", metrics)] + [
        (f"baseline: {name}", scores) for name, scores in metrics.get("baselines", {}).items()]
    for name, scores in models:
        for split, split_name in (("grouped", "outlets held out"), ("random", "random split")):
            s = scores.get(split) or {}
            rows.append((name, split_name, _interval(s), _number(s.get("accuracy"))))
    return pd.DataFrame(rows, columns=["model", "evaluation", "macro-F1 [95% CI]", "accuracy"])


def _baseline_sentence(metrics: dict[str, Any]) -> str:
    """How the classifier compares with each baseline, outlets held out; '' if unscored.

    A lead counts only where its paired bootstrap interval (the same outlet groups
    resampled for both) lies above zero.
    """
    model = (metrics.get("grouped") or {}).get("macro_f1")
    baselines = {name: split["grouped"] for name, split in (metrics.get("baselines") or {}).items()
                 if (split.get("grouped") or {}).get("macro_f1") is not None}
    if model is None or not baselines:
        return ""
    clauses, below = [], []
    for name, scores in baselines.items():
        gap = scores.get("gap")
        if gap is None:  # runs of older versions
            clauses.append(f"{name} {scores['macro_f1']:.3f}")
            continue
        clauses.append(f"{name} {scores['macro_f1']:.3f} (lead {gap['macro_f1']:+.3f} "
                       f"[{gap['low']:+.3f}, {gap['high']:+.3f}])")
        if gap["low"] <= 0:
            below.append(name)
    sentence = (f"With outlets held out the classifier scores {model:.3f} against the "
                f"baselines {'; '.join(clauses)}, each lead with its 95% paired bootstrap "
                "interval over outlet groups. ")
    if below:
        sentence += (f"Its lead over {' and '.join(below)} is not above zero: on outlets it "
                     "has not seen, the classifier is not shown to add anything "
                     f"{'that baseline does' if len(below) == 1 else 'those baselines do'} "
                     "not give. ")
    else:
        sentence += "It beats every baseline. "
    if baselines.get("majority", {}).get("macro_f1") == 0:
        sentence += ("The majority baseline scores 0: no held-out outlet's label is the "
                     "majority of the other outlets'. ")
    return sentence


def _leakage_sentence(metrics: dict[str, Any]) -> str:
    gap = metrics.get("leakage_gap")
    if gap is None:
        return "The leakage gap could not be computed."
    interval = metrics.get("leakage_gap_interval")
    paired = (f" [{interval[0]:+.3f}, {interval[1]:+.3f}] (95% paired bootstrap: the same "
              "outlet groups resampled for both splits)" if interval else "")
    return (f"Leakage gap (random split minus outlets held out, macro-F1): {gap:+.3f}{paired}. "
            "A large positive gap means the random split rewards recognising outlets rather "
            "than framing; the held-out-outlet score is the honest one.")


def _per_class_table(per_class: dict[str, Any]) -> pd.DataFrame:
    rows = [(name, s.get("precision"), s.get("recall"), s.get("f1-score"), s.get("support"))
            for name, s in per_class.items() if isinstance(s, dict)
            and name not in {"macro avg", "weighted avg"}]
    return pd.DataFrame(rows, columns=["class", "precision", "recall", "F1", "support"])


def _distinctive_table(terms: pd.DataFrame | None) -> str:
    """The top terms per outlet, and which of them are past chance among all it uses."""
    from stance.analysis import ALPHA, familywise_z

    if terms is None or terms.empty:
        return ""
    terms = terms.assign(line=familywise_z(terms["n_tested"]))
    top = terms.sort_values(["outlet", "z"], ascending=[True, False]).groupby("outlet").head(
        TERMS_PER_OUTLET)
    table = top.groupby("outlet", sort=True).apply(
        lambda g: pd.Series({
            "terms (z)": ", ".join(f"{t} ({z:.1f})"
                                   for t, z in zip(g["term"], g["z"], strict=True)),
            "past chance": f"{int((g['z'] > g['line']).sum())} of {len(g)} "
                           f"(z > {g['line'].iloc[0]:.1f})"}),
        include_groups=False).reset_index()
    apart = sorted(set(terms["outlet"]) - set(terms.loc[terms["z"] > terms["line"], "outlet"]))
    note = ("Each list holds an outlet's top terms by z out of all the terms it uses, so many "
            "pass z = 1.96 by chance alone. \"Past chance\" counts those above the z that "
            f"keeps the chance of any of its terms passing below {ALPHA:.0%} (Bonferroni "
            "over the terms it uses; that z in brackets).")
    if apart:
        its = "its list" if len(apart) == 1 else "their lists"
        note += (f" No term of {_names(apart)} passes it, so nothing in {its} is evidence of "
                 "a difference from the other outlets.")
    return (m.table(table, align=["left", "left", "right"], size="8pt",
                    caption=f"Each outlet's {TERMS_PER_OUTLET} most distinctive terms "
                            "(distinctive_terms.csv has more).")
            + m.paragraph(m.text(note)))


def _names(outlets: list[str], shown: int = 5) -> str:
    """'A, B and C', or the first ``shown`` and how many more."""
    if len(outlets) > shown:
        return f"{', '.join(outlets[:shown])} and {len(outlets) - shown} more outlets"
    return outlets[0] if len(outlets) == 1 else f"{', '.join(outlets[:-1])} and {outlets[-1]}"


def _actor_table(naming: pd.DataFrame | None) -> str:
    if naming is None or naming.empty:
        return ""
    columns = [c for c in ("actor", "outlet", "mentions", "delegitimising", "official",
                           "neutral", "bare", "top_descriptors") if c in naming.columns]
    shown = naming
    cut = ""
    if len(naming) > MAX_ACTOR_ROWS:
        shown = naming.nlargest(MAX_ACTOR_ROWS, "mentions", keep="first").sort_index()
        cut = (f" The {MAX_ACTOR_ROWS} of {len(naming)} actor and outlet pairs with most "
               "mentions; actors.csv has them all.")
    return m.table(shown[columns],
                   align=["left", "left"] + ["right"] * (len(columns) - 3) + ["left"],
                   size="7.5pt", caption="Actor mentions per outlet by descriptor class, "
                                         "with the commonest descriptors (actors.csv)." + cut)


def _interval(scores: dict[str, Any]) -> str:
    value = scores.get("macro_f1")
    if value is None:
        return "n/a"
    low, high = scores.get("macro_f1_low"), scores.get("macro_f1_high")
    return f"{value:.3f}" + (f" [{low:.3f}, {high:.3f}]" if low is not None else "")


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"

"""The framing stage: the classifier and its baselines, evaluated with outlets held out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.config import EmbeddingConfig, FramingConfig
from stance.data import FramingResult, LabelledUnits
from stance.framing._cues import LearnedCues
from stance.framing._features import FingerprintMasker
from stance.framing._folds import (
    CrossPrediction,
    cross_predict,
    fit_model,
    grouped_folds,
    random_folds,
    text_keys,
)
from stance.framing._scores import bootstrap_macro_f1_gap, score_split

#: Below these, scores describe the few outlets and documents at hand, not a population:
#: fewer held-out groups make the grouped score hinge on which outlets happen to be in the
#: corpus; fewer documents per class move per-class scores by 5+ points per document.
MIN_GROUPS = 10
MIN_DOCUMENTS_PER_CLASS = 20



def copy_keys(texts: Sequence[str], outlets: Sequence[str]) -> np.ndarray:
    """Per unit, a code equal for units whose text the model reads alike (:func:`text_keys`).

    Texts compare with the outlets' names, datelines, bylines and credit tags masked, as
    the model reads them: a wire paragraph under two datelines is one text.
    """
    return text_keys(FingerprintMasker(outlet_names=tuple(outlets)).transform(texts))


def evaluate_framing(units: LabelledUnits, cfg: FramingConfig, *, seed: int,
                     outlet_names: Sequence[str], embedding: EmbeddingConfig | None = None,
                     cache_dir: Path | None = None) -> FramingResult:
    """Evaluate the framing classifier and its baselines, then fit it on every unit.

    Grouped cross-validation (outlets held out) is the headline; a random split of
    documents runs beside it, and the majority-class and lexicon-only baselines run
    under both.

    Args:
        units: the labelled units (:func:`stance.framing.labelled_units`).
        cfg: the framing section.
        seed: seeds folds, solvers and the bootstrap.
        outlet_names: every outlet of the corpus, masked from the texts the models read.
        embedding: the embedding section, for the embeddings feature.
        cache_dir: the embedding cache, so folds reuse the embedding stage's vectors.

    ``metrics`` keys: label, classes, level, n_units, n_documents, n_outlets,
    n_groups, documents_per_class, dropped_classes, unlabelled_units, grouped and
    random (scores of :func:`stance.framing._scores.score_split`), baselines
    (majority and lexicon, each grouped and random), leakage_gap (random minus
    grouped macro-F1) and leakage_gap_interval (its 95% paired bootstrap interval,
    outlet groups resampled), small_n (a sentence, or None), final_model (whether the
    saved model is calibrated), cv (the schemes) and, with the embeddings feature,
    units_cut (:func:`stance.embed.count_truncated` of the units).

    Example:
        >>> units = labelled_units(corpus, segments, cfg.framing)  # doctest: +SKIP
        >>> result = evaluate_framing(units, cfg.framing, seed=42,
        ...                           outlet_names=["TSN.ua"])  # doctest: +SKIP
        >>> result.metrics["grouped"]["macro_f1"], result.metrics["leakage_gap"]  # doctest: +SKIP
    """
    from stance.framing import _pipeline as fm

    table, classes = units.table, units.classes
    texts = table["text"].to_numpy(dtype=object)
    y = table["label"].to_numpy(dtype=str)
    groups = table["group"].to_numpy(dtype=object)
    doc_ids = table["doc_id"].to_numpy(dtype=object)
    rationales = (table["rationale"].to_numpy(dtype=object) if "rationale" in table.columns
                  else None)
    outlets = tuple(sorted(str(o) for o in outlet_names))

    def build_model():
        return fm.build_pipeline(cfg, seed=seed, outlet_names=outlets, embedding=embedding,
                                 cache_dir=cache_dir)

    models = {"model": build_model, "majority": fm.build_majority_baseline,
              "lexicon": lambda: fm.build_lexicon_baseline(cfg, seed=seed)}
    grouped_name, grouped = grouped_folds(y, groups, cfg, seed=seed)
    copies = table["dup_group"].to_numpy(dtype=object)
    random_name, by_copies = random_folds(y, copies, cfg, seed=seed)
    # Resample (and calibrate) over what each split holds out: outlet groups, or documents
    # with their near-copies.
    splits = {"grouped": (grouped, groups, "outlet group"),
              "random": (by_copies, copies, "document")}
    same_text = copy_keys(texts, outlets)
    scores: dict[str, dict[str, Any]] = {name: {} for name in models}
    model_predictions: dict[str, CrossPrediction] = {}
    for split, (folds, resample, noun) in splits.items():
        for name, make in models.items():
            prediction = cross_predict(make, texts, y, folds, classes, calibration_groups=resample,
                                       calibrate=cfg.calibrate and name == "model", seed=seed,
                                       group_noun=noun,
                                       rationales=rationales if name == "model" else None,
                                       documents=doc_ids, same_text=same_text)
            scores[name][split] = score_split(
                y, prediction, classes, resample=resample, groups=groups, doc_ids=doc_ids,
                n_bootstrap=cfg.n_bootstrap, seed=seed, detail=name == "model")
            if name == "model":
                model_predictions[split] = prediction
    grouped_prediction = model_predictions["grouped"]
    # The saved model is calibrated only if calibration was scored on held-out outlets:
    # otherwise every score reported describes an uncalibrated model, and so must it.
    scored = bool(grouped_prediction.calibrated_folds)
    model, skipped = fit_model(build_model, texts, y, calibration_groups=groups,
                               calibrate=cfg.calibrate and scored, seed=seed,
                               group_noun="outlet group", rationales=rationales,
                               documents=doc_ids, same_text=same_text)
    if cfg.calibrate and not scored:
        skipped = ("no outlets-held-out fold could be calibrated (see grouped."
                   "calibration_skipped), so calibration was never scored; the saved model "
                   "is uncalibrated, as every model scored")
    documents = table.groupby("label")["doc_id"].nunique().reindex(classes)
    n_groups = len(np.unique(groups))
    metrics = {
        "label": cfg.label, "classes": list(classes), "level": units.level,
        "n_units": len(table), "n_documents": int(table["doc_id"].nunique()),
        "n_outlets": int(table["outlet"].nunique()), "n_groups": n_groups,
        "documents_per_class": {c: int(n) for c, n in documents.items()},
        "dropped_classes": dict(units.dropped_classes), "unlabelled_units": units.n_unlabelled,
        "grouped": scores["model"]["grouped"], "random": scores["model"]["random"],
        "baselines": {name: scores[name] for name in ("majority", "lexicon")},
        "leakage_gap": scores["model"]["random"]["macro_f1"]
        - scores["model"]["grouped"]["macro_f1"],
        # both splits predict every unit once: resample outlet groups, the same for both
        "leakage_gap_interval": list(bootstrap_macro_f1_gap(
            y, model_predictions["random"].predicted, grouped_prediction.predicted, classes,
            groups, cfg.n_bootstrap, seed=seed)),
        "small_n": small_n_warning(n_groups, documents),
        "outlet_label": outlet_label_warning(y, groups, doc_ids,
                                             calibrated=cfg.calibrate and scored),
        "final_model": {"calibrated": cfg.calibrate and skipped is None,
                        "calibration_skipped": skipped},
        "cv": {"grouped": grouped_name, "random": random_name, "n_splits": cfg.n_splits,
               "n_folds_grouped": int(grouped.max() + 1),
               "n_folds_random": int(by_copies.max() + 1)},
    }
    if "embeddings" in cfg.features and embedding is not None:
        # documents as units are often longer than the model reads: say how many it cut
        from stance.embed import count_truncated, load_embedder

        metrics["units_cut"] = count_truncated(list(texts), load_embedder(embedding), seed=seed)
    learned = None
    if rationales is not None:  # what the final model's cues learn from, outlet names masked
        masked = FingerprintMasker(outlet_names=outlets).fit_transform(texts.tolist())
        learned = LearnedCues().fit(masked, rationales=list(rationales)).lexicon()
    return FramingResult(metrics, _predictions(table, grouped, grouped_prediction, classes),
                         fm.top_features(model, cfg.top_n), model, learned)


def _predictions(table: pd.DataFrame, folds: np.ndarray, prediction: CrossPrediction,
                 classes: tuple[str, ...]) -> pd.DataFrame:
    out = table[["unit_id", "doc_id", "outlet", "group"]].assign(
        true=table["label"].to_numpy(), fold=folds, predicted=prediction.predicted)
    for k, name in enumerate(classes):
        out[f"proba_{name}"] = prediction.proba[:, k] if prediction.proba is not None else np.nan
    return out


def outlet_label_warning(y: np.ndarray, groups: np.ndarray, doc_ids: np.ndarray, *,
                         calibrated: bool) -> str | None:
    """A plain sentence when the label is a property of the outlet, or None.

    That is: every outlet group carries one label, and some group has several documents
    (with one document per outlet the test says nothing).
    """
    units = pd.DataFrame({"label": y, "group": groups, "doc": doc_ids}).groupby("group")
    if units["label"].nunique().max() > 1 or units["doc"].nunique().max() < 2:
        return None
    text = ("Every outlet group carries a single label, so the label is a property of the "
            "outlet: the held-out score asks whether an unseen outlet's label can be told from "
            "its text, and the random split mostly measures recognising outlets.")
    if calibrated:
        text += (" Calibration, fitted on held-out outlets, can then learn scores that run "
                 "against the truth (on BABE's outlet leaning it lowered the held-out macro-F1 "
                 "from 0.29 to 0.13); set framing.calibrate: false.")
    return text


def small_n_warning(n_groups: int, documents_per_class: pd.Series) -> str | None:
    """A plain sentence on why the scores cannot support a claim, or None when they might."""
    problems = []
    if n_groups < MIN_GROUPS:
        problems.append(f"only {n_groups} outlet groups are held out in turn (fewer than "
                        f"{MIN_GROUPS}), so the grouped score hinges on which few outlets "
                        "happen to be in the corpus")
    smallest = documents_per_class.idxmin()
    if documents_per_class[smallest] < MIN_DOCUMENTS_PER_CLASS:
        problems.append(f"class '{smallest}' has only {documents_per_class[smallest]} "
                        f"documents (fewer than {MIN_DOCUMENTS_PER_CLASS}), so each document "
                        "moves its precision and recall by 5 points or more")
    if not problems:
        return None
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "; the intervals are too wide to tell models apart."

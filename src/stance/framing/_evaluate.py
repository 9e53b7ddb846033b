"""The framing stage: the classifier and its baselines, evaluated with outlets held out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.config import EmbeddingConfig, FramingConfig, SegmentationConfig
from stance.data import FramingResult, LabelledUnits
from stance.framing import _pipeline as fm
from stance.framing._cues import LearnedCues
from stance.framing._features import FingerprintMasker
from stance.framing._folds import (
    CrossPrediction,
    cross_predict,
    fit_model,
    grouped_folds,
    random_folds,
    split_reader,
    text_keys,
)
from stance.framing._notes import outlet_label_warning, small_n_warning
from stance.framing._scores import score_split
from stance.stats import bootstrap_macro_f1_gap


def copy_keys(texts: Sequence[str], outlets: Sequence[str]) -> np.ndarray:
    """Per unit, a code equal for units whose text the model reads alike (:func:`text_keys`).

    Texts compare with the outlets' names, datelines, bylines and credit tags masked, as
    the model reads them: a wire paragraph under two datelines is one text.
    """
    return text_keys(FingerprintMasker(outlet_names=tuple(outlets)).transform(texts))


def evaluate_framing(units: LabelledUnits, cfg: FramingConfig, *, seed: int,
                     outlet_names: Sequence[str], embedding: EmbeddingConfig | None = None,
                     cache_dir: Path | None = None,
                     segmentation: SegmentationConfig | None = None) -> FramingResult:
    """Evaluate the framing classifier and its baselines, then fit it on every unit.

    Grouped cross-validation (outlets held out) is the headline; a random split of
    documents runs beside it. The majority-class, lexicon-only and plain TF-IDF baselines
    run under both, on the same folds, and the classifier's outlets-held-out lead over each
    gets a paired bootstrap interval (the same outlet groups resampled for both).

    Args:
        units: the labelled units (:func:`stance.framing.labelled_units`).
        cfg: the framing section.
        seed: seeds folds, solvers and the bootstrap.
        outlet_names: every outlet of the corpus, masked from the texts the models read.
        embedding: the embedding section, for the embeddings feature.
        cache_dir: the embedding cache, so folds reuse the embedding stage's vectors.
        segmentation: the segmentation section: documents as units are embedded as the
            mean of their segments' vectors.

    ``metrics`` keys: label, classes, level, n_units, n_documents, n_outlets,
    n_groups, documents_per_class, dropped_classes, unlabelled_units, grouped and
    random (scores of :func:`stance.framing._scores.score_split`), baselines
    (majority, lexicon and tfidf, each grouped, with its ``gap`` to the classifier, and
    random), leakage_gap (random minus grouped macro-F1) and leakage_gap_interval,
    small_n and outlet_label (sentences, or None), final_model (whether the saved model
    is calibrated), cv (the schemes) and, with the embeddings feature, ``embedded`` (how
    units were embedded) and units_cut (:func:`stance.embed.count_truncated`).

    Example:
        >>> units = labelled_units(corpus, segments, cfg.framing)  # doctest: +SKIP
        >>> result = evaluate_framing(units, cfg.framing, seed=42,
        ...                           outlet_names=["TSN.ua"])  # doctest: +SKIP
        >>> result.metrics["grouped"]["macro_f1"], result.metrics["leakage_gap"]  # doctest: +SKIP
    """
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
                                 cache_dir=cache_dir, segmentation=segmentation)

    models = {"model": build_model, "majority": fm.build_majority_baseline,
              "lexicon": lambda: fm.build_lexicon_baseline(cfg, seed=seed),
              "tfidf": lambda: fm.build_tfidf_baseline(seed=seed)}
    # What each model reads of a text needs no training: read every unit once, and let
    # the folds fit the rest.
    read = {name: _read_once(make, texts) for name, make in models.items()}
    # the texts as the model reads them (outlet names, datelines, bylines masked)
    masked = read["model"][1]["text"].tolist()
    grouped_name, grouped = grouped_folds(y, groups, cfg, seed=seed)
    copies = table["dup_group"].to_numpy(dtype=object)
    random_name, by_copies = random_folds(y, copies, cfg, seed=seed)
    # Resample (and calibrate) over what each split holds out: outlet groups, or documents
    # with their near-copies.
    splits = {"grouped": (grouped, groups, "outlet group"),
              "random": (by_copies, copies, "document")}
    same_text = text_keys(masked)
    scores: dict[str, dict[str, Any]] = {name: {} for name in models}
    predictions: dict[tuple[str, str], CrossPrediction] = {}
    for split, (folds, resample, noun) in splits.items():
        for name, (_, X, make_rest) in read.items():
            prediction = cross_predict(make_rest, X, y, folds, classes,
                                       calibration_groups=resample,
                                       calibrate=cfg.calibrate and name == "model", seed=seed,
                                       group_noun=noun,
                                       rationales=rationales if name == "model" else None,
                                       documents=doc_ids, same_text=same_text)
            scores[name][split] = score_split(
                y, prediction, classes, resample=resample, groups=groups, doc_ids=doc_ids,
                n_bootstrap=cfg.n_bootstrap, seed=seed, detail=name == "model")
            predictions[name, split] = prediction

    def gap(first: np.ndarray, second: np.ndarray) -> list[float]:
        # both predict every unit once: resample outlet groups, the same for both
        return list(bootstrap_macro_f1_gap(y, first, second, classes, groups, cfg.n_bootstrap,
                                           seed=seed))

    model_grouped = predictions["model", "grouped"].predicted
    for name in ("majority", "lexicon", "tfidf"):
        low, high = gap(model_grouped, predictions[name, "grouped"].predicted)
        scores[name]["grouped"]["gap"] = {
            "macro_f1": scores["model"]["grouped"]["macro_f1"]
            - scores[name]["grouped"]["macro_f1"], "low": low, "high": high}
    # The saved model is calibrated only if calibration was scored on held-out outlets:
    # otherwise every score reported describes an uncalibrated model, and so must it.
    scored = bool(predictions["model", "grouped"].calibrated_folds)
    reader, X, make_rest = read["model"]
    model, skipped = fit_model(make_rest, X, y, calibration_groups=groups,
                               calibrate=cfg.calibrate and scored, seed=seed,
                               group_noun="outlet group", rationales=rationales,
                               documents=doc_ids, same_text=same_text)
    if reader is not None:  # the saved model reads texts: its reading step goes first
        from sklearn.pipeline import Pipeline

        model = Pipeline([("read", reader), *model.steps])
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
        "baselines": {name: scores[name] for name in ("majority", "lexicon", "tfidf")},
        "leakage_gap": scores["model"]["random"]["macro_f1"]
        - scores["model"]["grouped"]["macro_f1"],
        "leakage_gap_interval": gap(predictions["model", "random"].predicted, model_grouped),
        "small_n": small_n_warning(n_groups, documents),
        "outlet_label": outlet_label_warning(y, table["outlet"].to_numpy(dtype=object),
                                             doc_ids, calibrated=cfg.calibrate and scored),
        "final_model": {"calibrated": cfg.calibrate and skipped is None,
                        "calibration_skipped": skipped},
        "cv": {"grouped": grouped_name, "random": random_name, "n_splits": cfg.n_splits,
               "n_folds_grouped": int(grouped.max() + 1),
               "n_folds_random": int(by_copies.max() + 1)},
    }
    if "embeddings" in cfg.features and embedding is not None:
        metrics.update(_embedding_notes(cfg, embedding, segmentation, texts, seed))
    learned = None
    if rationales is not None:  # what the final model's cues learn from, outlet names masked
        learned = LearnedCues().fit(masked, rationales=list(rationales)).lexicon()
    return FramingResult(metrics, _predictions(table, grouped, predictions["model", "grouped"],
                                               classes),
                         fm.top_features(model, cfg.top_n), model, learned)


def _read_once(make_model: Callable[[], Any], texts: np.ndarray):
    """A model's reading step fitted on every unit, what it read, and a factory of the rest.

    A model without a reading step (:func:`split_reader`) reads the texts themselves.
    """
    reader, _ = split_reader(make_model())
    X = texts if reader is None else reader.fit_transform(texts.tolist())
    return reader, X, lambda: split_reader(make_model())[1]


def _embedding_notes(cfg: FramingConfig, embedding: EmbeddingConfig,
                     segmentation: SegmentationConfig | None, texts: np.ndarray,
                     seed: int) -> dict[str, Any]:
    """How the units were embedded; when each is embedded whole, how many the model cut."""
    from stance.embed import count_truncated, load_embedder

    if cfg.level == "document" and segmentation is not None and cfg.classifier != "setfit":
        return {"embedded": "mean of the document's segment vectors"}
    # units embedded whole are often longer than the model reads: say how many it cut
    return {"embedded": "each unit whole",
            "units_cut": count_truncated(list(texts), load_embedder(embedding), seed=seed)}


def _predictions(table: pd.DataFrame, folds: np.ndarray, prediction: CrossPrediction,
                 classes: tuple[str, ...]) -> pd.DataFrame:
    out = table[["unit_id", "doc_id", "outlet", "group"]].assign(
        true=table["label"].to_numpy(), fold=folds, predicted=prediction.predicted)
    for k, name in enumerate(classes):
        out[f"proba_{name}"] = prediction.proba[:, k] if prediction.proba is not None else np.nan
    return out

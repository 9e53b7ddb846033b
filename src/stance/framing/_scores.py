"""Scores of out-of-fold predictions: macro-F1 with bootstrap intervals, per class and outlet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from stance.framing._folds import CrossPrediction
from stance.stats import bootstrap_macro_f1

RELIABILITY_BINS = 10


def score_split(y: np.ndarray, prediction: CrossPrediction, classes: Sequence[str], *,
                resample: np.ndarray, groups: np.ndarray, doc_ids: np.ndarray,
                n_bootstrap: int, seed: int, detail: bool = True) -> dict[str, Any]:
    """Scores of one model under one split, JSON-ready.

    Args:
        y: true labels per unit.
        prediction: out-of-fold predictions.
        classes: every class, in reporting order.
        resample: the bootstrap's unit per unit (document or group); segments are
            never resampled alone, as segments of one article are not independent.
        groups: merged outlet group per unit, for the per-outlet scores.
        doc_ids: document per unit, for document counts.
        n_bootstrap: resamples for the macro-F1 interval.
        seed: seeds the bootstrap (same seed: same resamples for every model).
        detail: add per-class, confusion, per-outlet and calibration scores.
    """
    from sklearn.metrics import accuracy_score, f1_score

    predicted = prediction.predicted
    low, high = bootstrap_macro_f1(y, predicted, classes, resample, n_bootstrap, seed=seed)
    scores: dict[str, Any] = {
        "macro_f1": float(f1_score(y, predicted, labels=list(classes), average="macro",
                                   zero_division=0)),
        "macro_f1_low": low, "macro_f1_high": high,
        "accuracy": float(accuracy_score(y, predicted)),
    }
    if detail:
        scores.update(_detail(y, prediction, classes, groups, doc_ids))
    return scores


def _detail(y: np.ndarray, prediction: CrossPrediction, classes: Sequence[str],
            groups: np.ndarray, doc_ids: np.ndarray) -> dict[str, Any]:
    from sklearn.metrics import classification_report, confusion_matrix

    predicted = prediction.predicted
    report = classification_report(y, predicted, labels=list(classes), output_dict=True,
                                   zero_division=0)
    per_class = {c: {k: (int(v) if k == "support" else float(v)) for k, v in report[c].items()}
                 for c in classes}
    return {
        "per_class": per_class,
        "confusion": confusion_matrix(y, predicted, labels=list(classes)).tolist(),
        "per_outlet": per_group_scores(y, predicted, groups, doc_ids),
        "brier": brier_score(y, prediction.proba, classes),
        "reliability": reliability(y, predicted, prediction.proba),
        "n_folds": prediction.n_folds,
        "calibrated_folds": list(prediction.calibrated_folds),
        "calibration_skipped": list(prediction.calibration_skipped),
        "folds_missing_classes": list(prediction.folds_missing_classes),
        "copies_left_out_of_training": list(prediction.copies_left_out),
    }


def per_group_scores(y: np.ndarray, predicted: np.ndarray, groups: np.ndarray,
                     doc_ids: np.ndarray) -> list[dict[str, Any]]:
    """Accuracy and macro-F1 (over the classes seen in the group) of each group.

    ``n_classes`` counts those classes: with one, precision is 1 whenever the class is
    predicted at all, so the F1 is 2R / (1 + R) of the recall R and restates it.
    """
    from sklearn.metrics import f1_score

    table = pd.DataFrame({"y": y, "p": predicted, "group": groups, "doc": doc_ids})
    rows = []
    for group, part in table.groupby("group", sort=True):
        rows.append({"group": str(group), "n_documents": int(part["doc"].nunique()),
                     "n_units": len(part), "n_classes": int(part["y"].nunique()),
                     "accuracy": float((part["y"] == part["p"]).mean()),
                     # over the group's own classes: one stray prediction of another
                     # class would otherwise add a class scored 0 to the mean
                     "macro_f1": float(f1_score(part["y"], part["p"], average="macro",
                                                labels=sorted(part["y"].unique()),
                                                zero_division=0))})
    return rows


def brier_score(y: np.ndarray, proba: np.ndarray | None, classes: Sequence[str]) -> float | None:
    """Multi-class Brier score: mean over units of the summed squared probability errors."""
    if proba is None:
        return None
    onehot = (y[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(np.float64)
    return float(((proba - onehot) ** 2).sum(1).mean())


def reliability(y: np.ndarray, predicted: np.ndarray,
                proba: np.ndarray | None) -> dict[str, list[float]]:
    """Reliability curve of the top-class confidence against being right (quantile bins)."""
    from sklearn.calibration import calibration_curve

    if proba is None:
        return {"mean_predicted": [], "fraction_correct": [], "count": []}
    confidence = np.clip(proba.max(1), 0.0, 1.0)
    correct = (predicted == y).astype(int)
    fraction, mean = calibration_curve(correct, confidence, n_bins=RELIABILITY_BINS,
                                       strategy="quantile", pos_label=1)
    # calibration_curve drops empty bins without counts; bin the same way to count.
    edges = np.percentile(confidence, np.linspace(0, 100, RELIABILITY_BINS + 1))
    count = np.bincount(np.searchsorted(edges[1:-1], confidence), minlength=RELIABILITY_BINS)
    return {"mean_predicted": mean.tolist(), "fraction_correct": fraction.tolist(),
            "count": count[count > 0].tolist()}

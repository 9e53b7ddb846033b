"""How far a stance model agrees with labelled mentions, and whether tuning on them helps."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from stance.errors import StanceError
from stance.sentiment._model import StanceModel
from stance.sentiment._train import tune_stance_model
from stance.stats import bootstrap_macro_f1, bootstrap_macro_f1_gap


def agreement(labels: pd.DataFrame, classes: Sequence[str], *, n_bootstrap: int,
              seed: int, predicted: str = "stance") -> dict[str, Any]:
    """Macro-F1 (interval resampling documents), accuracy, Cohen's kappa and the confusion.

    Args:
        labels: matched labels: label (the user's), ``predicted``, doc_id, actor.
        classes: every class, in reporting order.
        n_bootstrap: resamples of documents for the interval.
        seed: seeds the resampling.
        predicted: the column of predicted classes.
    """
    from sklearn.metrics import cohen_kappa_score, confusion_matrix, f1_score

    y, p = labels["label"].to_numpy(), labels[predicted].to_numpy()
    low, high = bootstrap_macro_f1(y, p, classes, labels["doc_id"].to_numpy(), n_bootstrap,
                                   seed=seed)
    per_actor = {str(actor): {"mentions": len(part),
                              "agree": int((part["label"] == part[predicted]).sum())}
                 for actor, part in labels.groupby("actor", sort=True)}
    return {"mentions": len(y), "documents": int(labels["doc_id"].nunique()),
            "macro_f1": float(f1_score(y, p, average="macro")), "macro_f1_low": low,
            "macro_f1_high": high, "accuracy": float((y == p).mean()),
            "kappa": float(cohen_kappa_score(y, p, labels=list(classes))),
            "classes": list(classes),
            "confusion": confusion_matrix(y, p, labels=list(classes)).tolist(),
            "label_counts": {c: int((y == c).sum()) for c in classes},
            "per_actor": per_actor}


def adapt_with_outlets_held_out(model: StanceModel, labels: pd.DataFrame, *, epochs: int,
                                seed: int, n_bootstrap: int) -> tuple[dict[str, Any], np.ndarray]:
    """Tune on the labels of all outlets but one, predict that one's; every outlet in turn.

    Returns:
        The adapted model's scores beside the unadapted one's on the same mentions, with a
        paired interval of the gap (resampling documents), and the held-out predictions.

    Raises:
        StanceError: the labels come from fewer than two outlets.
    """
    outlets = labels["outlet"].to_numpy()
    if len(set(outlets)) < 2:
        raise StanceError("actor_stance.adapt: the labels come from one outlet, so none can "
                          "be held out; label mentions from two or more outlets, or set "
                          "adapt: false")
    held_out = np.empty(len(labels), dtype=object)
    for outlet in sorted(set(outlets)):
        train, test = labels[outlets != outlet], outlets == outlet
        tuned = tune_stance_model(model, train["context"], context_spans(train), train["label"],
                                  epochs=epochs, seed=seed)
        part = labels[test]
        proba = tuned.predict_proba(part["context"].tolist(), context_spans(part))
        held_out[test] = np.asarray(model.classes, dtype=object)[proba.argmax(1)]
    scored = labels.assign(adapted=held_out)
    adapted = agreement(scored, model.classes, n_bootstrap=n_bootstrap, seed=seed,
                        predicted="adapted")
    gap = bootstrap_macro_f1_gap(scored["label"].to_numpy(), held_out,
                                 scored["stance"].to_numpy(), model.classes,
                                 scored["doc_id"].to_numpy(), n_bootstrap, seed=seed)
    unadapted = agreement(scored, model.classes, n_bootstrap=n_bootstrap, seed=seed)
    return {"outlets_held_out": len(set(outlets)), "epochs": epochs,
            "adapted": {k: adapted[k] for k in ("macro_f1", "macro_f1_low", "macro_f1_high",
                                                "accuracy", "kappa")},
            "unadapted": {k: unadapted[k] for k in ("macro_f1", "macro_f1_low",
                                                    "macro_f1_high", "accuracy", "kappa")},
            "gap": list(gap)}, held_out


def context_spans(table: pd.DataFrame) -> list[tuple[int, int]]:
    """The mention's offsets in the context the model reads, per row."""
    return list(zip(table["context_start"].tolist(), table["context_end"].tolist(),
                    strict=True))

"""Honest evaluation of a framing classifier: folds, out-of-fold predictions, scores.

Two splits are always run side by side. The headline holds whole outlets out
(joined with any outlet that shares a near-duplicate document), so a model cannot
score by recognising an outlet's style; the random split keeps only a document's
segments together. The gap between them measures outlet leakage.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from stance.config import FramingConfig
from stance.errors import StanceError
from stance.framing._text_features import TextFeatures

#: Leave one group out up to this many groups; more would make too many (and tiny) folds.
MAX_LEAVE_ONE_OUT_GROUPS = 12
#: Inner folds of sigmoid calibration, at most (fewer when a class spans fewer groups).
CALIBRATION_FOLDS = 3


ModelFactory = Callable[[], BaseEstimator]


@dataclass(frozen=True)
class CrossPrediction:
    """Out-of-fold predictions of one model under one split.

    ``proba`` has one column per class in the evaluation's class order (zeros for a
    class the fold's model never saw), or is None when the model gives no
    probabilities.
    """

    predicted: np.ndarray
    proba: np.ndarray | None
    n_folds: int
    calibrated_folds: tuple[int, ...]
    calibration_skipped: tuple[dict[str, Any], ...]
    folds_missing_classes: tuple[dict[str, Any], ...]
    #: Per fold with any: training units left out because a held-out unit has their text.
    copies_left_out: tuple[dict[str, int], ...] = ()


def merge_groups(groups: Sequence[str], dup_groups: Sequence[str]) -> np.ndarray:
    """Join groups that share a near-duplicate document, so copies fall in one fold.

    Args:
        groups: each document's group (its outlet by default).
        dup_groups: each document's near-duplicate group (from dedup).

    Returns:
        Each document's merged group, named by its groups joined with " + ".

    Example:
        >>> merge_groups(["A", "B", "C"], ["d1", "d1", "d3"]).tolist()
        ['A + B', 'A + B', 'C']
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    group_codes, group_names = pd.factorize(pd.Series(groups, dtype=object))
    dup_codes, dup_names = pd.factorize(pd.Series(dup_groups, dtype=object))
    n_nodes = len(group_names) + len(dup_names)
    # A bipartite graph group -- dup group: its components are the merged groups.
    edges = coo_matrix((np.ones(len(group_codes)), (group_codes, len(group_names) + dup_codes)),
                       shape=(n_nodes, n_nodes))
    _, component = connected_components(edges, directed=False)
    names = pd.Series(group_names.astype(str)).groupby(component[:len(group_names)]).agg(
        lambda s: " + ".join(sorted(s)))
    return names.loc[component[group_codes]].to_numpy(dtype=object)


def grouped_folds(y: np.ndarray, groups: np.ndarray, cfg: FramingConfig, *,
                  seed: int) -> tuple[str, np.ndarray]:
    """Fold of every unit with whole groups held out; returns the scheme's name too."""
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise StanceError(f"framing.group '{cfg.group}': all labelled documents are in one group "
                          f"({groups[0]}); grouped cross-validation needs at least 2 groups")
    scheme = cfg.cv
    if scheme == "auto":
        scheme = ("leave_one_group_out" if n_groups <= MAX_LEAVE_ONE_OUT_GROUPS
                  else "stratified_group_kfold")
    if scheme == "leave_one_group_out":
        splitter = LeaveOneGroupOut()
    elif n_groups < cfg.n_splits:
        raise StanceError(f"framing.n_splits: {cfg.n_splits} folds but only {n_groups} groups; "
                          "lower framing.n_splits or set framing.cv: leave_one_group_out")
    else:
        splitter = StratifiedGroupKFold(cfg.n_splits, shuffle=True, random_state=seed)
    return scheme, _fold_ids(splitter.split(np.zeros(len(y)), y, groups), len(y))


def random_folds(y: np.ndarray, together: np.ndarray, cfg: FramingConfig, *,
                 seed: int) -> tuple[str, np.ndarray]:
    """Fold of every unit in a stratified random split (outlets ignored).

    ``together`` names what must not be split: each unit's near-duplicate group (a
    document and its near-copies), so the split leaks outlets but no text, and the gap
    to the outlet-grouped score is outlet leakage alone. The number of folds is capped by
    the smallest class's groups, so each class can be in every training part.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    per_class = pd.Series(together).groupby(y).nunique()
    n_splits = min(cfg.n_splits, int(per_class.min()))  # >= 2: labelled_units ensures it
    splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    folds = _fold_ids(splitter.split(np.zeros(len(y)), y, together), len(y))
    return "stratified_kfold_by_near_duplicate_group", folds


def _fold_ids(splits, n_units: int) -> np.ndarray:
    folds = np.full(n_units, -1, dtype=np.int64)
    for fold, (_, test) in enumerate(splits):
        folds[test] = fold
    return folds


def cross_predict(make_model: ModelFactory, X: np.ndarray | pd.DataFrame, y: np.ndarray,
                  folds: np.ndarray, classes: Sequence[str], *, calibration_groups: np.ndarray,
                  calibrate: bool, seed: int, group_noun: str = "group",
                  rationales: np.ndarray | None = None,
                  documents: np.ndarray | None = None,
                  same_text: np.ndarray | None = None) -> CrossPrediction:
    """Fit a fresh model per fold on the other folds and predict the held-out units.

    A training unit whose ``same_text`` key a held-out unit shares is left out of that
    fold's training: a paragraph two outlets both carry (a quoted statement, a wire
    paragraph in otherwise different articles) would otherwise be tested on a model that
    saw it.

    Args:
        make_model: returns an unfitted estimator taking ``X``'s rows.
        X: per unit, its text, or a table of what the model reads of it (the output of
            a pipeline's :class:`TextFeatures` step, computed once; see
            :func:`split_reader`).
        y: unit labels.
        folds: the fold each unit is held out in.
        classes: every class, in reporting order.
        calibration_groups: what the split holds out, per unit (merged outlet
            group or document); calibration's inner folds hold these out too, so
            calibration sees the same kind of shift as the test does.
        calibrate: wrap the model in sigmoid calibration fitted inside each
            training part, where every class spans enough groups.
        seed: seeds the inner calibration folds.
        group_noun: what a group is, for the skipped-calibration reasons.
        rationales: per unit, the annotated words the model's ``learned_cues`` feature
            learns from; only the training part's reach the model.
        documents: per unit, its document, which ``learned_cues`` keeps whole in its
            inner folds (segments share their document's rationale).
        same_text: per unit, a code equal for units of the same text (:func:`text_keys`);
            calibration's and ``learned_cues``' inner folds leave copies out too.
    """
    from sklearn.dummy import DummyClassifier

    index = {c: k for k, c in enumerate(classes)}
    predicted = np.empty(len(y), dtype=object)
    proba = np.full((len(y), len(classes)), np.nan)
    calibrated, skipped, missing_rows, left_out = [], [], [], []
    for fold in np.unique(folds):
        test, train = folds == fold, folds != fold
        if same_text is not None:
            copies = train & shares_text(same_text, test)
            if copies.any():
                left_out.append({"fold": int(fold), "units": int(copies.sum())})
                train &= ~copies
                if not train.any():
                    # near-duplicate articles dedup found share a fold, so their copies
                    # never cause this; only copies dedup missed do
                    raise StanceError(
                        f"framing: all {int(copies.sum())} training units of fold {int(fold)} "
                        "repeat the text of a held-out unit, so nothing is left to train on "
                        "without leaking it; label more units whose texts differ, or, if the "
                        "repeats are paragraphs that otherwise different articles share, train "
                        "on whole articles (framing.level: document)")
        present = set(np.unique(y[train]))
        missing = [c for c in classes if c not in present]
        if missing:  # the fold's model cannot predict these; recorded, not fatal
            missing_rows.append({"fold": int(fold), "missing": missing})
        if len(present) < 2:  # nothing to learn: predict the one class seen
            model = DummyClassifier(strategy="prior").fit(rows(X, train), y[train])
            missing_rows[-1]["note"] = "one class in training; predicted it for every unit"
            reason = "one class in training"
        else:
            model, reason = fit_model(make_model, rows(X, train), y[train], calibrate=calibrate,
                                      calibration_groups=calibration_groups[train], seed=seed,
                                      group_noun=group_noun,
                                      rationales=None if rationales is None else rationales[train],
                                      documents=None if documents is None else documents[train],
                                      same_text=None if same_text is None else same_text[train])
        if calibrate:
            if reason is None:
                calibrated.append(int(fold))
            else:
                skipped.append({"fold": int(fold), "reason": reason})
        predicted[test], fold_proba = _predict(model, rows(X, test))
        if fold_proba is not None:
            proba[test] = 0.0
            proba[np.ix_(test, [index[c] for c in model.classes_])] = fold_proba
    return CrossPrediction(
        predicted=predicted.astype(str),
        proba=None if np.isnan(proba).any() else proba,
        n_folds=len(np.unique(folds)), calibrated_folds=tuple(calibrated),
        calibration_skipped=tuple(skipped), folds_missing_classes=tuple(missing_rows),
        copies_left_out=tuple(left_out))


def split_reader(model: BaseEstimator) -> tuple[TextFeatures | None, BaseEstimator]:
    """A pipeline's :class:`TextFeatures` first step and the rest of it.

    The first step learns nothing, so cross-validation computes it once for every unit
    and fits only the rest per fold; a model without one is returned whole.
    """
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline) and isinstance(model.steps[0][1], TextFeatures):
        return model.steps[0][1], model[1:]
    return None, model


def rows(X: np.ndarray | pd.DataFrame, where: np.ndarray) -> list[str] | pd.DataFrame:
    """The units of ``X`` a mask selects, as a model takes them (a table, or a list of texts)."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[np.flatnonzero(where)]
    return X[where].tolist()


def _predict(model: BaseEstimator, X) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted classes and, if the model gives them, probabilities; features built once."""
    from sklearn.pipeline import Pipeline

    final = model
    if isinstance(model, Pipeline) and len(model) > 1:
        X, final = model[:-1].transform(X), model[-1]
    proba = final.predict_proba(X) if hasattr(final, "predict_proba") else None
    return final.predict(X), proba


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """A code (0, 1, ...) per text, equal for texts that differ only in case and whitespace.

    Integer codes let each fold find its copies with one lookup table, in linear time
    (``np.isin`` on strings compares every held-out text with every unit).
    """
    normalised = pd.Series(texts, dtype=object).str.casefold().str.split().str.join(" ")
    return pd.factorize(normalised)[0]


def shares_text(same_text: np.ndarray, held_out: np.ndarray) -> np.ndarray:
    """Per unit, whether a ``held_out`` unit (a mask or indices) has its text key."""
    held_out_text = np.zeros(same_text.max() + 1, dtype=bool)
    held_out_text[same_text[held_out]] = True
    return held_out_text[same_text]


def fit_model(make_model: ModelFactory, X: list[str] | pd.DataFrame, y: np.ndarray, *,
              calibration_groups: np.ndarray, calibrate: bool, seed: int,
              group_noun: str = "group", rationales: np.ndarray | None = None,
              documents: np.ndarray | None = None,
              same_text: np.ndarray | None = None) -> tuple[BaseEstimator, str | None]:
    """Fit a model, its classifier wrapped in sigmoid calibration when asked and possible.

    ``X`` holds the training units as the model takes them (texts, or a table as
    :func:`cross_predict` takes). Calibration wraps the pipeline's last step only: the
    features (TF-IDF vocabulary and idf, scaling) are fitted once on the whole training
    part, and the inner folds refit just the classifier on them. ``rationales`` (per
    text, the annotated words) and ``documents`` (per text, its document) reach the
    ``learned_cues`` feature through scikit-learn's metadata routing. With ``same_text``
    (per text, its :func:`text_keys` code) an inner calibration fold trains without the
    copies of the texts it calibrates on, and so do the learned cues' inner folds.

    Returns:
        The fitted model, and why calibration was skipped (None when it was done or
        not asked for).
    """
    from sklearn import config_context

    model, reason = make_model(), None
    if calibrate:
        inner = _inner_splits(y, calibration_groups, seed=seed, noun=group_noun,
                              same_text=same_text)
        if isinstance(inner, str):
            reason = inner
        else:
            model = _calibrated(model, inner)
    if rationales is None:
        return model.fit(X, y), reason
    routed = {"rationales": list(rationales)}
    if documents is not None:
        routed["documents"] = list(documents)
    if same_text is not None:
        routed["same_text"] = list(same_text)
    with config_context(enable_metadata_routing=True):
        return model.fit(X, y, **routed), reason


def _calibrated(model: BaseEstimator, inner: list) -> BaseEstimator:
    """``model`` with sigmoid calibration, fitted on the ``inner`` folds, around its classifier."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        name, classifier = model.steps[-1]
        return model.set_params(**{name: CalibratedClassifierCV(classifier, method="sigmoid",
                                                                cv=inner)})
    return CalibratedClassifierCV(model, method="sigmoid", cv=inner)


def _inner_splits(y: np.ndarray, groups: np.ndarray, *, seed: int, noun: str,
                  same_text: np.ndarray | None = None
                  ) -> list[tuple[np.ndarray, np.ndarray]] | str:
    """Inner calibration folds of a training part, or why there can be none.

    With ``same_text``, each fold's training part drops the units whose text its
    calibration part has, as the outer folds do.
    """
    from sklearn.model_selection import StratifiedGroupKFold

    per_class = pd.Series(groups).groupby(y).nunique()
    n_splits = min(CALIBRATION_FOLDS, int(per_class.min()))
    if n_splits < 2:
        return (f"class '{per_class.idxmin()}' spans {per_class.min()} training {noun}; "
                f"sigmoid calibration needs 2 (fit on one, calibrate on another)")
    splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(y)), y, groups))
    everything = set(y)
    for train, _ in splits:
        if set(y[train]) != everything:
            return f"an inner calibration fold lacks a class (too few training {noun}s)"
    if same_text is not None:
        splits = [(train[~shares_text(same_text, held)[train]], held)
                  for train, held in splits]
        for train, _ in splits:
            if set(y[train]) != everything:
                return ("an inner calibration fold lacks a class once the texts it calibrates "
                        "on are left out of its training")
    return splits

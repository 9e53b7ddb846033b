"""Bootstrap intervals of macro-F1, resampling whole units (documents or outlets).

Shared by the framing and actor-stance evaluations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Resample weights held at once are about chunk x resampled units (documents or groups).
_BOOTSTRAP_CELLS = 20_000_000


def bootstrap_macro_f1(y: np.ndarray, predicted: np.ndarray, classes: Sequence[str],
                       resample: np.ndarray, n_bootstrap: int, *,
                       seed: int) -> tuple[float, float]:
    """95% percentile interval of macro-F1, resampling whole ``resample`` units.

    Each resample's confusion matrix is a weighted sum of per-unit confusion
    counts, so no resample touches the units' rows; a class absent from a
    resample (neither true nor predicted) is left out of its mean, as sklearn's
    ``f1_score`` does without ``labels``.
    """
    return _percentile_interval(_resampled_macro_f1(y, [predicted], classes, resample,
                                                    n_bootstrap, seed=seed)[0])


def bootstrap_macro_f1_gap(y: np.ndarray, first: np.ndarray, second: np.ndarray,
                           classes: Sequence[str], resample: np.ndarray, n_bootstrap: int, *,
                           seed: int) -> tuple[float, float]:
    """95% percentile interval of macro-F1 of ``first`` minus that of ``second``, paired.

    Both predict the same units (two cross-validation schemes, say); each resample draws
    the same ``resample`` units for both, so what the two share cancels out of the gap.
    """
    a, b = _resampled_macro_f1(y, [first, second], classes, resample, n_bootstrap, seed=seed)
    return _percentile_interval(a - b)


def _resampled_macro_f1(y: np.ndarray, predictions: Sequence[np.ndarray],
                        classes: Sequence[str], resample: np.ndarray, n_bootstrap: int, *,
                        seed: int) -> list[np.ndarray]:
    """Macro-F1 of each prediction in each of ``n_bootstrap`` resamples of ``resample`` units.

    Every prediction is scored on the same resamples.
    """
    n_classes = len(classes)
    index = {c: k for k, c in enumerate(classes)}
    units, unit_codes = np.unique(resample, return_inverse=True)
    true = (unit_codes * n_classes + pd.Series(y).map(index).to_numpy()) * n_classes
    counts = [np.bincount(true + pd.Series(p).map(index).to_numpy(),
                          minlength=len(units) * n_classes ** 2).reshape(
                              len(units), n_classes ** 2).astype(np.float64)
              for p in predictions]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_bootstrap, _BOOTSTRAP_CELLS // len(units)))
    values: list[list[np.ndarray]] = [[] for _ in predictions]
    for start in range(0, n_bootstrap, chunk):
        size = min(chunk, n_bootstrap - start)
        weights = rng.multinomial(len(units), np.full(len(units), 1 / len(units)), size=size)
        for out, count in zip(values, counts, strict=True):
            out.append(_macro_f1((weights @ count).reshape(size, n_classes, n_classes)))
    return [np.concatenate(out) for out in values]


def _percentile_interval(values: np.ndarray) -> tuple[float, float]:
    low, high = np.quantile(values, [0.025, 0.975])
    return float(low), float(high)


def _macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Macro-F1 of a stack of confusion matrices (true rows, predicted columns)."""
    tp = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(2) + confusion.sum(1)  # 2tp + fp + fn
    seen = denominator > 0
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=seen)
    return f1.sum(1) / seen.sum(1)

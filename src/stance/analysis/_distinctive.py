"""Each outlet's most distinctive terms against all other outlets, by weighted log-odds.

The weighted log-odds ratio with an informative Dirichlet prior of Monroe, Colaresi and
Quinn (2008), "Fightin' Words" (eq. 16-22). For term w, outlet i and the rest j:

    delta_w = log((y_wi + a_w) / (n_i + a_0 - y_wi - a_w))
            - log((y_wj + a_w) / (n_j + a_0 - y_wj - a_w))
    var_w  ~= 1 / (y_wi + a_w) + 1 / (y_wj + a_w)
    z_w     = delta_w / sqrt(var_w)

with ``y`` term counts, ``n`` total counts, and the prior ``a_w = a_0 * y_w / N`` spread as the
corpus frequencies. ``prior`` (``framing.distinctive_prior``) is the prior's share of the
corpus counts: ``a_0 = prior * N`` for N counted terms, so ``a_w = prior * y_w``. A larger
prior shrinks rare terms harder towards zero.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse

from stance.data import Segments

#: Columns of :func:`distinctive_terms`.
COLUMNS = ("outlet", "term", "z", "delta", "count_outlet", "count_rest", "rank", "n_tested")
#: Chance level of the familywise threshold (:func:`familywise_z`).
ALPHA = 0.05
#: A term must occur in this many segments: one used once cannot be distinctive of an
#: outlet, and dropping them keeps the unigram + bigram vocabulary small on large corpora.
MIN_SEGMENTS = 2
# Words of two or more characters starting with a letter: numbers and dates say when, not how.
_TOKEN = r"(?u)\b[^\W\d_]\w+\b"


def distinctive_terms(segments: Segments, *, prior: float, top_n: int,
                      outlet_names: Sequence[str] = ()) -> pd.DataFrame:
    """The ``top_n`` terms (unigrams and bigrams) of each outlet by weighted log-odds z.

    Positive z means the outlet uses the term more than the other outlets do. Only terms
    the outlet uses are ranked (a term it never uses scores below zero). With fewer than two
    outlets, or no term in :data:`MIN_SEGMENTS` segments, the table is empty.

    Args:
        segments: the segments; their ``outlet`` column groups the counts.
        prior: share of the corpus counts given to the Dirichlet prior (``a_0 = prior * N``).
        top_n: terms kept per outlet.
        outlet_names: names removed from the texts before counting (see below).

    Returns:
        One row per outlet and term: outlet, term, z, delta, count_outlet, count_rest,
        rank (1 = most distinctive) and n_tested (the terms the outlet uses, all scored:
        see :func:`familywise_z`), outlets in sorted order.

    Example:
        >>> distinctive_terms(segs, prior=0.01, top_n=15)  # doctest: +SKIP
    """
    from sklearn.feature_extraction.text import CountVectorizer

    table = segments.table
    codes, outlets = pd.factorize(table["outlet"].astype(str), sort=True)
    if len(outlets) < 2:
        return _empty()
    vectorizer = CountVectorizer(
        preprocessor=_preprocessor(outlet_names), token_pattern=_TOKEN, stop_words="english",
        ngram_range=(1, 2), min_df=MIN_SEGMENTS, dtype=np.int64)
    try:
        counts = vectorizer.fit_transform(table["text"])
    except ValueError:  # scikit-learn's "empty vocabulary" / "no terms remain"
        return _empty()
    # Sum segment counts per outlet with a sparse (outlet x segment) indicator: the
    # product stays sparse, so no dense segment x vocabulary matrix is ever built.
    indicator = sparse.csr_matrix(
        (np.ones(len(codes), dtype=np.int64), (codes, np.arange(len(codes)))),
        shape=(len(outlets), len(codes)))
    by_outlet = (indicator @ counts).tocoo()
    y_i = by_outlet.data.astype(float)
    term_totals = np.asarray(by_outlet.sum(axis=0)).ravel().astype(float)
    outlet_totals = np.asarray(by_outlet.sum(axis=1)).ravel().astype(float)
    y_w, n_i = term_totals[by_outlet.col], outlet_totals[by_outlet.row]
    delta, z = log_odds(y_i, y_w - y_i, n_i, term_totals.sum() - n_i,
                        alpha_w=prior * y_w, alpha_0=prior * term_totals.sum())
    keep, rank = _top_per_group(by_outlet.row, z, by_outlet.col, top_n)
    tested = np.bincount(by_outlet.row, minlength=len(outlets))
    terms = vectorizer.get_feature_names_out()
    return pd.DataFrame({
        "outlet": outlets[by_outlet.row[keep]], "term": terms[by_outlet.col[keep]],
        "z": z[keep], "delta": delta[keep], "count_outlet": y_i[keep].astype(np.int64),
        "count_rest": (y_w - y_i)[keep].astype(np.int64), "rank": rank + 1,
        "n_tested": tested[by_outlet.row[keep]],
    })


def familywise_z(n_tested: int | np.ndarray, alpha: float = ALPHA) -> float | np.ndarray:
    """The z an outlet's term must pass to be past chance among all ``n_tested`` it uses.

    Each outlet's list is its top terms by z out of every term it uses, so about 2.5% of
    those pass z = 1.96 by chance and the top of the list usually does, difference or none.
    Bonferroni over the terms tested (two-sided ``alpha``) keeps the chance that any term
    passes by chance below ``alpha``: z 4.1 for 1,000 terms, 4.6 for 10,000.
    """
    from scipy.stats import norm

    return norm.isf(alpha / (2 * np.maximum(n_tested, 1)))


def log_odds(y_i: np.ndarray, y_j: np.ndarray, n_i: np.ndarray, n_j: np.ndarray, *,
             alpha_w: np.ndarray, alpha_0: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted log-odds ratio (delta) and its z-score, Monroe et al. (2008) eq. 16-22."""
    delta = (np.log((y_i + alpha_w) / (n_i + alpha_0 - y_i - alpha_w))
             - np.log((y_j + alpha_w) / (n_j + alpha_0 - y_j - alpha_w)))
    variance = 1.0 / (y_i + alpha_w) + 1.0 / (y_j + alpha_w)
    return delta, delta / np.sqrt(variance)


def _preprocessor(outlet_names: Sequence[str]):
    # Outlets name themselves in bylines and taglines ("Follow Army Recognition on Google
    # News"), which would top their own lists and say nothing about framing. The names are cut
    # as whole phrases, not as single tokens, so "army" elsewhere in the text still counts.
    names = sorted({n.strip() for n in outlet_names if n.strip()}, key=len, reverse=True)
    if not names:
        return str.lower
    body = "|".join(r"\s+".join(re.escape(w) for w in n.split()) for n in names)
    pattern = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub(" ", text).lower()


def _top_per_group(groups: np.ndarray, scores: np.ndarray, ties: np.ndarray,
                   top_n: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the ``top_n`` highest scores per group, and their 0-based ranks."""
    order = np.lexsort((ties, -scores, groups))  # group, then score descending, then term
    sorted_groups = groups[order]
    rank = np.arange(len(order)) - np.searchsorted(sorted_groups, sorted_groups)
    kept = rank < top_n
    return order[kept], rank[kept]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=float if c in ("z", "delta") else object)
                         for c in COLUMNS})

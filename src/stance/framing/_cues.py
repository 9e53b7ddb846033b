"""Framing cues learned from annotated rationales: the words annotators marked in training texts.

Some corpora mark, for each labelled text, the words that carry its framing (BABE's
``biased_words``: "bizarre", "characteristically"). Learning with rationales (Zaidan,
Eisner and Piatko 2007) uses them as extra supervision. :class:`LearnedCues` learns a
lexicon from the training texts' rationales: a word's cue rate is how often, where it
occurs in a training text, it was marked, shrunk toward 0 by a prior count. A text's
features are the largest rate, the sum and the number of learned cues in it, so new texts
need no rationales. The lexicon is data a researcher can audit (:meth:`LearnedCues.lexicon`).
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.model_selection import KFold
from sklearn.utils.validation import check_is_fitted

from stance.errors import StanceError

#: Words as the lexicon sees them: lower case, inner apostrophes and hyphens kept.
_WORD = re.compile(r"[^\W\d_](?:[\w'\-]*\w)?")
FEATURES = ("max rate", "sum of rates", "count")


def words_of(text: str) -> set[str]:
    """The distinct lower-cased words of a text.

    Example:
        >>> sorted(words_of("A self-proclaimed, 'bizarre' leader"))
        ['a', 'bizarre', 'leader', 'self-proclaimed']
    """
    return set(_WORD.findall(str(text).lower()))


def parse_rationale(value: object, *, where: str) -> set[str]:
    """The words of one rationale cell: a list literal (``['a', 'b c']``) or ``a; b c``.

    Empty cells (no words marked) give an empty set. ``where`` names the cell in errors
    ("column 'biased_words' of document 12").

    Raises:
        StanceError: a cell that opens a list but is not a list of strings.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return set()
    text = str(value).strip()
    if not text.startswith("["):
        return set().union(*(words_of(part) for part in text.split(";")))
    try:
        items = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        items = None
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise StanceError(f"framing.rationales: {where} has {text[:60]!r}, not a list of "
                          "strings; give each cell as ['word', ...] or words separated by ';'")
    return set().union(*(words_of(i) for i in items))


class LearnedCues(BaseEstimator, TransformerMixin):
    """Cue-rate features from a lexicon learned on the training texts' rationales.

    ``fit(X, y, rationales=...)`` needs, per text, the set of words annotated in it
    (:func:`parse_rationale`); pass it through scikit-learn's metadata routing. A word's
    rate is ``marked / (present + prior)``: ``present`` counts training texts containing
    it, ``marked`` those of them whose rationale names it. ``fit_transform`` scores each
    training text with a lexicon learned on the other inner folds (cross-fitting), so a
    text's own annotation never scores it and the classifier after it learns how far
    rates carry to texts nobody annotated. Segments share their document's annotation:
    pass ``documents`` (routed like ``rationales``) and a document's texts stay in one
    inner fold, so neither is scored by the other's copy of it. A text repeated in other
    documents (a quote, a wire paragraph) carries its marks there too: pass ``same_text``
    (per text, a code equal for copies; :func:`stance.framing_eval.text_keys`) and an
    inner fold's lexicon leaves out the copies, in other folds, of the texts it scores.

    Args:
        prior: count added to ``present``; a word marked once in one text gets 1/(1+prior).
        inner_folds: folds of the cross-fitting in ``fit_transform``.
        seed: shuffles the inner folds.

    Example:
        >>> cues = LearnedCues().fit(["a bizarre law", "a law"], rationales=[{"bizarre"}, set()])
        >>> cues.transform(["what a bizarre day"]).round(2).tolist()
        [[0.33, 0.33, 1.0]]
    """

    __metadata_request__fit = {"rationales": True, "documents": True, "same_text": True}

    def __init__(self, prior: float = 2.0, inner_folds: int = 5, seed: int = 0):
        self.prior = prior
        self.inner_folds = inner_folds
        self.seed = seed

    def fit(self, X, y=None, rationales: Sequence[set[str]] | None = None,
            documents: Sequence[str] | None = None, same_text: Sequence[int] | None = None):
        """Learn the cue rates of every word marked in ``rationales`` (from every text)."""
        self._learn(*self._check(X, rationales))
        return self

    def fit_transform(self, X, y=None, rationales: Sequence[set[str]] | None = None,
                      documents: Sequence[str] | None = None,
                      same_text: Sequence[int] | None = None):
        """Fit on all texts; score each with the lexicon of the other inner folds.

        ``documents`` (default: each text its own) are kept whole in the inner folds;
        with ``same_text``, the copies of a fold's texts in other folds are left out of its
        lexicon. One pass over the texts: each inner fold's counts (and its copies') are
        taken away from the totals rather than the other folds recounted, so the cost
        stays that of one count.
        """
        words, marks = self._check(X, rationales)
        for name, given in (("documents", documents), ("same_text", same_text)):
            if given is not None and len(given) != len(words):
                raise ValueError(f"LearnedCues.fit_transform got {len(given)} {name} for "
                                 f"{len(words)} texts")
        self._learn(words, marks)
        out = np.zeros((len(words), len(FEATURES)))
        # first-seen order: with one text per document the folds are KFold's over the texts
        codes, names = pd.factorize(pd.Series(range(len(words)) if documents is None
                                              else list(documents), dtype=object))
        n_folds = min(self.inner_folds, len(names))
        if n_folds < 2:
            return out
        keys = None if same_text is None else np.asarray(same_text)
        for _, held in KFold(n_folds, shuffle=True, random_state=self.seed).split(names):
            in_fold = np.isin(codes, held)
            rows = np.flatnonzero(in_fold)
            left_out = in_fold if keys is None else in_fold | np.isin(keys, keys[rows])
            taken = np.flatnonzero(left_out)
            held_marked, held_present = _count([words[i] for i in taken],
                                               [marks[i] for i in taken], self.marked_)
            rates = {w: (n - held_marked.get(w, 0))
                     / (self.present_[w] - held_present.get(w, 0) + self.prior)
                     for w, n in self.marked_.items() if n > held_marked.get(w, 0)}
            out[rows] = _score([words[i] for i in rows], rates)
        return out

    def transform(self, X) -> np.ndarray:
        """Largest rate, sum of rates and number of learned cues in each text."""
        check_is_fitted(self, "rates_")
        return _score([words_of(t) for t in X], self.rates_)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``learned cues:<feature>`` for the three features."""
        return np.asarray([f"learned cues:{f}" for f in FEATURES], dtype=object)

    def lexicon(self) -> pd.DataFrame:
        """The learned cues: word, marked, present and rate, highest rate first."""
        check_is_fitted(self, "rates_")
        frame = pd.DataFrame({"word": list(self.rates_),
                              "marked": [self.marked_[w] for w in self.rates_],
                              "present": [self.present_[w] for w in self.rates_],
                              "rate": list(self.rates_.values())})
        return frame.sort_values(["rate", "marked", "word"], ascending=[False, False, True],
                                 kind="stable", ignore_index=True)

    def _learn(self, words: list[set[str]], marks: list[set[str]]) -> None:
        self.marked_, self.present_ = _count(words, marks)
        self.rates_ = {w: n / (self.present_[w] + self.prior) for w, n in self.marked_.items()}

    @staticmethod
    def _check(X, rationales) -> tuple[list[set[str]], list[set[str]]]:
        """Each text's words and marks."""
        if rationales is None:
            raise ValueError("LearnedCues.fit needs rationales (one set of marked words per "
                             "text), passed through metadata routing")
        words = [words_of(t) for t in X]
        if len(rationales) != len(words):
            raise ValueError(f"LearnedCues.fit got {len(rationales)} rationales for "
                             f"{len(words)} texts")
        return words, [set(r) for r in rationales]


def _count(words: list[set[str]], marks: list[set[str]],
           vocabulary: Iterable[str] | None = None) -> tuple[dict[str, int], dict[str, int]]:
    """Per marked word: texts where it is marked (and present), and texts where it is present.

    ``vocabulary`` (default: the words marked here) limits the present counts. Plain
    dicts, so a saved model holds only built-in types.
    """
    marked: Counter = Counter()
    for found, mark in zip(words, marks, strict=True):
        marked.update(mark & found)
    keep = set(marked if vocabulary is None else vocabulary)
    present: Counter = Counter()
    for found in words:
        present.update(found & keep)
    return dict(marked), dict(present)


def _score(words: list[set[str]], rates: dict[str, float]) -> np.ndarray:
    """Largest rate, sum and count of the learned cues among each text's words."""
    out = np.zeros((len(words), len(FEATURES)))
    for i, found in enumerate(words):
        hits = [rates[w] for w in found if w in rates]
        if hits:
            out[i] = (max(hits), sum(hits), len(hits))
    return out

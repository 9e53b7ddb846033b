"""Feature transformers over segment texts for the framing classifier.

Each is a scikit-learn transformer taking a list of texts: :class:`FingerprintMasker`
strips what identifies the outlet, :class:`LexiconCounts` counts framing cues, and
:class:`SentenceEmbeddings` embeds with the local model through stance's disk cache.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

#: Agencies whose credit tags ("(Reuters)") and datelines mark wire copy, not framing.
AGENCIES = ("Reuters", "AFP", "AP", "Associated Press", "dpa", "DPA", "Xinhua", "Interfax",
            "TASS", "BelTA", "UNIAN", "Ukrinform", "RIA Novosti", "EFE", "ANSA", "Bloomberg",
            "Kyodo", "Yonhap", "PAP", "ANI", "IANS", "PTI")
_AGENCY = "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True))
_CREDIT = re.compile(rf"\(\s*(?:{_AGENCY})\s*\)", re.IGNORECASE)
# "MINSK, Sept 26 (Reuters) -", "MOSCOW (AP) —", "KYIV, Ukraine, March 3, 2022 -": a place in
# capitals, then a date, an agency tag or both, then a dash. A capitalised word plus a dash
# alone ("NATO - ...") is ordinary prose, so one of the two is required.
_PLACE = r"[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3}(?:,\s*[A-Z][A-Za-z.]+(?:\s+[A-Z][a-z]+)?)?"
_DATE = r",\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?"
_TAG = rf"\(\s*(?:{_AGENCY})\s*\)"
_DATELINE = re.compile(rf"\A\s*{_PLACE}(?:{_DATE}\s*(?:{_TAG})?|\s*{_TAG})\s*[-\u2013\u2014]+\s*")
# A byline starts a line and is a line of its own (or ends at a separator): "By John Smith",
# "Written by Anna Petrova | TSN". Two to five capitalised words (case-sensitive, unlike
# "by"), so "By Monday, the talks ..." and "by the end of the year" survive.
_NAME = r"[A-Z][\w.'\-]*"
_BYLINE = re.compile(
    rf"^[ \t]*(?i:(?:written|reported|text|words)[ \t]+)?(?i:by)[ \t]+{_NAME}(?:[ \t]+(?:{_NAME}|"
    rf"and|&|de|van|von|der|al|el)){{1,4}}[ \t]*(?=$|[,|\u2022\u00b7\-\u2013\u2014/])",
    re.MULTILINE)
# Top-level domains dropped to get an outlet's bare name ("TSN.ua" -> "TSN").
_TLD = re.compile(r"\.(?:com|net|org|info|news|ua|ru|by|uk|co\.uk|com\.ua|eu|de|pl|lt|kz)$",
                  re.IGNORECASE)


class FingerprintMasker(BaseEstimator, TransformerMixin):
    """Remove outlet fingerprints from texts: outlet names, wire datelines, bylines, credit tags.

    An outlet's name, byline format or wire dateline predicts its label within the corpus
    and says nothing about framing; with them masked, the classifier has to learn framing
    from how the story is told. Stateless: ``fit`` learns nothing.

    Args:
        outlet_names: outlet names as in the corpus; each also matches without its
            top-level domain ("TSN.ua" also masks "TSN"), case-insensitively on word
            boundaries.

    Example:
        >>> FingerprintMasker(["TSN.ua"]).transform(["MOSCOW (AP) - TSN reports"])
        ['reports']
    """

    def __init__(self, outlet_names: Sequence[str] = ()):
        self.outlet_names = outlet_names

    def fit(self, X, y=None):
        """Learn nothing; texts are masked the same way whatever was seen."""
        return self

    def transform(self, X) -> list[str]:
        """The texts with fingerprints removed."""
        names = _names_pattern(tuple(self.outlet_names))
        masked = []
        for text in X:
            text = _DATELINE.sub("", str(text), count=1)
            text = _BYLINE.sub("", _CREDIT.sub("", text))
            masked.append(names.sub("", text).strip() if names else text.strip())
        return masked

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """One text column in, one text column out."""
        return np.asarray(["text"], dtype=object)

    def __sklearn_is_fitted__(self) -> bool:
        return True


@lru_cache(maxsize=32)
def _names_pattern(outlet_names: tuple[str, ...]) -> re.Pattern[str] | None:
    variants = set()
    for name in outlet_names:
        name = str(name).strip()
        bare = _TLD.sub("", name)
        # A one-letter variant would mask ordinary words, so it is not a fingerprint.
        variants |= {v for v in (name, bare) if len(v) > 1}
    if not variants:
        return None
    body = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


class LexiconCounts(BaseEstimator, TransformerMixin):
    """Framing-cue counts per lexicon category and, optionally, per cue, as log1p.

    log1p keeps one repeated cue in a long segment from outweighing several distinct
    ones. Features are named ``lexicon:<category>`` and ``cue:<cue>`` (``cue:<category>:
    <cue>`` when one cue sits in two categories).

    Args:
        extra: the config's ``framing.lexicon`` (extra cues per category).
        per_cue: also return one column per cue.

    Example:
        >>> LexiconCounts(per_cue=False).fit_transform(["the self-proclaimed dictator"]).shape
        (1, 3)
    """

    def __init__(self, extra: dict[str, list[str]] | None = None, per_cue: bool = True):
        self.extra = extra
        self.per_cue = per_cue

    def fit(self, X=None, y=None):
        """Build the lexicon (packaged cues plus ``extra``)."""
        from stance.corpus import load_lexicon

        self.lexicon_ = load_lexicon(self.extra)
        self.cue_columns_ = [(cat, cue) for cat, cues in self.lexicon_.cues.items()
                             for cue in cues] if self.per_cue else []
        return self

    def transform(self, X) -> np.ndarray:
        """log1p cue counts: categories first, then cues in lexicon order."""
        check_is_fitted(self, "lexicon_")
        texts = [str(t) for t in X]
        if not self.cue_columns_:
            return np.log1p(self.lexicon_.count(texts).astype(np.float64))
        # One pass of matching fills both blocks: a cue's column and its category's.
        n_categories = len(self.lexicon_.categories)
        category = {cat: j for j, cat in enumerate(self.lexicon_.categories)}
        column = {key: n_categories + j for j, key in enumerate(self.cue_columns_)}
        counts = np.zeros((len(texts), n_categories + len(column)))
        for i, text in enumerate(texts):
            for match in self.lexicon_.matches(text):
                counts[i, category[match.category]] += 1
                counts[i, column[match.category, match.cue]] += 1
        return np.log1p(counts)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``lexicon:<category>`` then ``cue:<cue>`` names."""
        check_is_fitted(self, "lexicon_")
        cues = [cue for _, cue in self.cue_columns_]
        shared = {cue for cue in cues if cues.count(cue) > 1}
        names = [f"lexicon:{cat}" for cat in self.lexicon_.categories]
        names += [f"cue:{cat}:{cue}" if cue in shared else f"cue:{cue}"
                  for cat, cue in self.cue_columns_]
        return np.asarray(names, dtype=object)

    def __getstate__(self) -> dict:
        # Saved as plain cues, not the Lexicon with its compiled regexes, so skops needs
        # to trust no stance data class; __setstate__ rebuilds it.
        state = dict(super().__getstate__())
        if "lexicon_" in state:
            state["lexicon_"] = {cat: list(cues) for cat, cues in state["lexicon_"].cues.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        from stance.corpus import Lexicon

        state = dict(state)
        if "lexicon_" in state:
            state["lexicon_"] = Lexicon({c: tuple(cues) for c, cues in state["lexicon_"].items()})
        super().__setstate__(state)


class SentenceEmbeddings(BaseEstimator, TransformerMixin):
    """Sentence embeddings of texts from the local model, through stance's disk cache.

    Segments the run's embedding stage already encoded are cache hits, so every
    cross-validation fold re-uses their vectors. The model loads on first use and is
    never saved with the pipeline: a saved pipeline holds only these settings.

    Args:
        model: packaged model name or local sentence-transformers folder.
        weights_sha256: expected sha256 of the weights (checked when given).
        normalize: L2-normalise vectors.
        cache_dir: embedding cache folder (a str keeps the saved model free of path
            types); None embeds without caching to disk. A saved model loaded where that
            folder does not exist embeds without it.
        batch_size: texts per encoder batch.
        max_seq_length: truncation length (None: the model's own).
        threads: torch threads (None: all cores).

    ``normalize`` and ``max_seq_length`` are part of the cache key: give the embedding
    stage's values (as :func:`stance.framing_model.build_pipeline` does) to hit its cache.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", weights_sha256: str | None = None,
                 normalize: bool = True, cache_dir: str | None = None,
                 batch_size: int = 32, max_seq_length: int | None = None,
                 threads: int | None = None):
        self.model = model
        self.weights_sha256 = weights_sha256
        self.normalize = normalize
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length
        self.threads = threads

    def fit(self, X, y=None):
        """Note the model's identity and vector length (nothing is learned)."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Embed once, noting the model and vector length from the result."""
        # The length comes from the vectors, not the model: with every text a cache hit,
        # the weights are never loaded.
        embedder = self._get_embedder()
        self.model_id_ = embedder.model_id
        vectors = self._embed(X, embedder)
        self.n_dims_ = vectors.shape[1]
        return vectors

    def transform(self, X) -> np.ndarray:
        """float32 vectors, one row per text."""
        check_is_fitted(self, "n_dims_")
        embedder = self._get_embedder()
        if embedder.model_id != self.model_id_:
            from stance.errors import StanceError

            raise StanceError(f"framing model: fitted with embeddings of {self.model_id_}, but "
                              f"{self.model} now resolves to {embedder.model_id}; install the "
                              "original weights or refit")
        return self._embed(X, embedder)

    def _embed(self, X, embedder) -> np.ndarray:
        from stance.embed import embed_texts

        texts = [str(t) for t in X]
        if self.cache_dir is None:
            vectors = embedder.encode(texts)
        else:
            vectors = embed_texts(texts, embedder, Path(self.cache_dir))
        return np.asarray(vectors, dtype=np.float32)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``embedding:dim <k>`` for every dimension."""
        check_is_fitted(self, "n_dims_")
        return np.asarray([f"embedding:dim {k}" for k in range(self.n_dims_)], dtype=object)

    def _get_embedder(self):
        # Built once per object and kept out of the saved state (see __getstate__).
        if getattr(self, "_embedder", None) is None:
            from stance.config import EmbeddingConfig
            from stance.embed import load_embedder

            self._embedder = load_embedder(EmbeddingConfig(
                model=self.model, weights_sha256=self.weights_sha256, normalize=self.normalize,
                batch_size=self.batch_size, max_seq_length=self.max_seq_length,
                threads=self.threads))
        return self._embedder

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        state.pop("_embedder", None)
        return state

    def __setstate__(self, state: dict) -> None:
        # A saved model records the run's cache folder: loaded where it is missing (another
        # machine, a cleared cache), it embeds without one rather than create that path.
        state = dict(state)
        if state.get("cache_dir") is not None and not Path(state["cache_dir"]).is_dir():
            state["cache_dir"] = None
        super().__setstate__(state)

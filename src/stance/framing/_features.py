"""Feature transformers over segment texts for the framing classifier.

Each is a scikit-learn transformer taking a list of texts: :class:`FingerprintMasker`
strips what identifies the outlet, :class:`LexiconCounts` counts framing cues, and
:class:`SentenceEmbeddings` embeds with the local model through stance's disk cache.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from stance.corpus import outlet_name_pattern

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
        names = outlet_name_pattern(self.outlet_names)
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
        embedding: the embedding section's settings (``EmbeddingConfig`` fields as plain
            data, so a saved model holds no stance types); None: its defaults. Give the
            embedding stage's settings (as :func:`stance.framing.build_pipeline` does) to
            hit its cache.
        cache_dir: embedding cache folder (a str keeps the saved model free of path
            types); None embeds without caching to disk. A saved model loaded where that
            folder does not exist embeds without it.
        segmentation: the segmentation section's settings, to represent each text by the
            mean of its segments' vectors (each text split as the run splits documents, so
            a document's segments are the run's, already cached): the whole of a long
            article counts, not the first tokens the model reads. None: each text whole.
    """

    def __init__(self, embedding: dict | None = None, cache_dir: str | None = None,
                 segmentation: dict | None = None):
        self.embedding = embedding
        self.cache_dir = cache_dir
        self.segmentation = segmentation

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
                              f"{embedder.info.name} now resolves to {embedder.model_id}; "
                              "install the original weights or refit")
        return self._embed(X, embedder)

    def _embed(self, X, embedder) -> np.ndarray:
        texts = [str(t) for t in X]
        pieces, owner = self._pieces(texts, embedder) if self.segmentation else ([], None)
        if not pieces:
            return self._vectors(texts, embedder)
        vectors = self._vectors(pieces, embedder)
        # the mean of each text's piece vectors, scaled to length 1 (a text with no words:
        # zeros)
        sums = np.zeros((len(texts), vectors.shape[1]), np.float64)
        np.add.at(sums, owner, vectors)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return (sums / np.where(norms == 0, 1, norms)).astype(np.float32)

    def _vectors(self, texts: list[str], embedder) -> np.ndarray:
        from stance.embed import embed_texts

        if self.cache_dir is None:
            vectors = embedder.encode(texts)
        else:
            vectors = embed_texts(texts, embedder, _location(self.cache_dir))
        return np.asarray(vectors, dtype=np.float32)

    def _pieces(self, texts: list[str], embedder) -> tuple[list[str], np.ndarray]:
        """Every text's segments, as the run's segmentation makes them, and whose each is."""
        from stance.config import SegmentationConfig
        from stance.corpus import fit_to_model, split_text
        from stance.embed import load_tokenizer

        cfg = SegmentationConfig(**self.segmentation)
        tokenizer = None
        if cfg.max_tokens is not None and cfg.unit != "document":
            tokenizer = load_tokenizer(embedder.cfg,
                                       None if cfg.max_tokens == "auto" else cfg.max_tokens)
        pieces, owner = [], []
        for i, text in enumerate(texts):
            spans = split_text(text, cfg)
            if tokenizer is not None:
                spans = [(a, b) for a, b, _ in fit_to_model(text, spans, tokenizer)]
            pieces += [text[a:b] for a, b in spans]
            owner += [i] * len(spans)
        return pieces, np.asarray(owner, dtype=np.int64)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``embedding:dim <k>`` for every dimension."""
        check_is_fitted(self, "n_dims_")
        return np.asarray([f"embedding:dim {k}" for k in range(self.n_dims_)], dtype=object)

    def _get_embedder(self):
        # Built once per object and kept out of the saved state (see __getstate__).
        if getattr(self, "_embedder", None) is None:
            from stance.config import EmbeddingConfig
            from stance.embed import load_embedder

            # the run's embedding cache: a static model distilled there is found, not redone
            where = {"cache_dir": self.cache_dir} if self.cache_dir else {}
            self._embedder = load_embedder(EmbeddingConfig(**(self.embedding or {}), **where))
        return self._embedder

    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())
        state.pop("_embedder", None)
        return state

    def __setstate__(self, state: dict) -> None:
        # A saved model records the run's cache folder: loaded where it is missing (another
        # machine, a cleared cache), it embeds without one rather than create that path.
        state = dict(state)
        cache_dir = state.get("cache_dir")
        if cache_dir is not None and "://" not in cache_dir and not Path(cache_dir).is_dir():
            state["cache_dir"] = None
        super().__setstate__(state)


def _location(cache_dir: str) -> Path | str:
    """The saved cache folder as the cache takes it: a local path, or a URL as written."""
    return cache_dir if "://" in cache_dir else Path(cache_dir)

"""The framing classifier and its baselines as scikit-learn pipelines; explain, predict.

A pipeline takes texts: outlet fingerprints are masked and what needs no training is
computed text by text (:class:`TextFeatures`), the configured feature blocks are built side
by side, and a linear classifier decides.

``classifier: setfit`` is SetFit on this pipeline: the ``embeddings`` block is the local
model fine-tuned contrastively on each training part (:mod:`stance.framing._finetune`),
beside any other configured blocks, and balanced logistic regression is the head.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from stance.config import EmbeddingConfig, FramingConfig, SegmentationConfig
from stance.framing._cues import LearnedCues
from stance.framing._features import LexiconCounts, SentenceEmbeddings
from stance.framing._finetune import FineTunedEmbeddings, require_finetune_packages
from stance.framing._text_features import EMBEDDING_COLUMNS, LEXICON_COLUMNS, TextFeatures

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

#: Words. Stop words are kept: framing lives in words built from them ("according",
#: "so-called"), and sublinear tf with idf already damps words that are everywhere. Single
#: words: with outlets held out, word pairs scored no better on any labelled corpus
#: (benchmarks/framing.py) and cost three times as much to count. min_df=2: a word seen in
#: one training text is mostly a name or a typo and cannot generalise to a held-out outlet.
WORDS = {"ngram_range": (1, 1), "sublinear_tf": True, "min_df": 2}
#: Character n-grams within word boundaries (robust to inflection and transliteration);
#: capped so a corpus of millions of segments keeps a bounded vocabulary.
CHARS = {"analyzer": "char_wb", "ngram_range": (2, 5), "sublinear_tf": True, "min_df": 2,
         "max_features": 200_000}
#: Solver iterations: the defaults (lbfgs 100, liblinear 1000) often stop short of
#: convergence on wide sparse tf-idf; these converge well within this.
MAX_ITER = 5000
#: Prefixes of the feature blocks, as top_features shows them.
BLOCKS = {"tfidf_words": "words", "tfidf_chars": "chars", "lexicon": "lexicon",
          "embeddings": "embedding", "learned_cues": "learned"}


def build_pipeline(cfg: FramingConfig, *, seed: int, outlet_names: Sequence[str] = (),
                   embedding: EmbeddingConfig | None = None, cache_dir: Path | None = None,
                   segmentation: SegmentationConfig | None = None) -> Pipeline:
    """The framing classifier: read each text, build the configured features, classify.

    The first step (``read``, :class:`TextFeatures`) masks outlet fingerprints and computes
    what needs no training (cue counts, frozen embeddings); ``features`` fits the rest on
    the training texts (TF-IDF, scaling, learned cues, a fine-tuned model) and puts the
    blocks side by side; ``classifier`` decides.

    Args:
        cfg: the framing section (features, classifier, C, lexicon).
        seed: the run's seed, for the classifier's solver.
        outlet_names: names masked from every text (see :class:`FingerprintMasker`).
        embedding: the embedding section, for the ``embeddings`` feature (default settings
            when None).
        cache_dir: the embedding cache, so folds re-use the embedding stage's vectors.
        segmentation: the segmentation section: with ``framing.level: document`` a
            document's embedding is the mean of its segments' vectors.

    Returns:
        An unfitted :class:`sklearn.pipeline.Pipeline` taking a list of texts.

    Example:
        >>> model = build_pipeline(FramingConfig(), seed=42, outlet_names=["TSN.ua"])
        >>> model.fit(texts, labels).predict(["The self-proclaimed ..."])  # doctest: +SKIP
    """
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import MaxAbsScaler, Normalizer

    embedding = embedding or EmbeddingConfig()
    features = list(dict.fromkeys(cfg.features))
    if cfg.classifier == "setfit":
        require_finetune_packages()
    frozen = "embeddings" in features and cfg.classifier != "setfit"
    read = TextFeatures(
        outlet_names=tuple(outlet_names),
        lexicon=LexiconCounts(extra=cfg.lexicon) if "lexicon" in features else None,
        embeddings=_frozen_embeddings(cfg, embedding, cache_dir, segmentation)
        if frozen else None)
    # Cue counts are scaled to [0, 1] like the tf-idf values beside them (MaxAbsScaler does
    # not centre, so the blocks stay sparse). Embeddings are scaled to length 1, as each
    # tf-idf row is: scaled per dimension instead, the 384 of them outweighed the words
    # (lower held-out macro-F1 on every labelled corpus, benchmarks/framing.py).
    blocks = {
        "tfidf_words": lambda: (TfidfVectorizer(**WORDS), "text"),
        "tfidf_chars": lambda: (TfidfVectorizer(**CHARS), "text"),
        "lexicon": lambda: (MaxAbsScaler(), make_column_selector(LEXICON_COLUMNS)),
        "learned_cues": lambda: (make_pipeline(LearnedCues(seed=seed), MaxAbsScaler()), "text"),
        "embeddings": lambda: (Normalizer(), make_column_selector(EMBEDDING_COLUMNS))
        if frozen else (make_pipeline(FineTunedEmbeddings(
            embedding=embedding.model_dump(mode="json", exclude={"cache_dir"}),
            finetune=cfg.finetune.model_dump(), seed=seed), MaxAbsScaler()), "text"),
    }
    union = ColumnTransformer([(BLOCKS[f], *blocks[f]()) for f in features],
                              sparse_threshold=1.0)
    return Pipeline([("read", read), ("features", union), ("classifier", _classifier(cfg, seed))])


def _frozen_embeddings(cfg: FramingConfig, embedding: EmbeddingConfig,
                       cache_dir: Path | str | None,
                       segmentation: SegmentationConfig | None) -> SentenceEmbeddings:
    """The frozen, cached embedder.

    Whole documents as units (``framing.level: document``) are the mean of their segments'
    vectors, which the embedding stage has cached.
    """
    pooled = segmentation is not None and cfg.level == "document"
    return SentenceEmbeddings(embedding=embedding.model_dump(mode="json", exclude={"cache_dir"}),
                              # str: skops saves it as plain text, loadable on any system.
                              cache_dir=None if cache_dir is None else str(cache_dir),
                              segmentation=segmentation.model_dump(mode="json") if pooled
                              else None)


def _classifier(cfg: FramingConfig, seed: int):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    # Balanced weights: framing classes are rarely the same size, and macro-F1 is the score.
    # SetFit's head is logistic regression too, here over the tuned vectors.
    if cfg.classifier in ("logreg", "setfit"):
        return LogisticRegression(class_weight="balanced", C=cfg.C, max_iter=MAX_ITER,
                                  random_state=seed)
    return LinearSVC(class_weight="balanced", C=cfg.C, max_iter=MAX_ITER, random_state=seed)


def build_majority_baseline() -> Pipeline:
    """The majority-class baseline: always predicts the most frequent training label."""
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    return Pipeline([("classifier", DummyClassifier(strategy="most_frequent"))])


def build_lexicon_baseline(cfg: FramingConfig, *, seed: int,
                           outlet_names: Sequence[str] = ()) -> Pipeline:
    """The lexicon-only baseline: cue counts alone into a balanced logistic regression."""
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([
        ("read", TextFeatures(outlet_names=tuple(outlet_names),
                              lexicon=LexiconCounts(extra=cfg.lexicon))),
        ("features", ColumnTransformer([("lexicon", "passthrough",
                                         make_column_selector(LEXICON_COLUMNS))])),
        ("classifier", LogisticRegression(class_weight="balanced", C=cfg.C, max_iter=MAX_ITER,
                                          random_state=seed)),
    ])


def build_tfidf_baseline(*, seed: int) -> Pipeline:
    """The plain TF-IDF baseline: scikit-learn's TfidfVectorizer and LogisticRegression, as is.

    What a researcher would try first, with neither masking nor class weights: a
    classifier that does not beat it adds nothing to the simplest model.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline([("tfidf", TfidfVectorizer()),
                     ("classifier", LogisticRegression(max_iter=MAX_ITER, random_state=seed))])


def top_features(pipeline, n: int) -> pd.DataFrame:
    """The ``n`` features with the largest coefficients toward each class.

    ``coefficient`` is the weight toward the row's class: for a binary problem the one
    coefficient row counts toward ``classes_[1]`` and, sign flipped, toward
    ``classes_[0]``. A :class:`~sklearn.calibration.CalibratedClassifierCV` (around the
    pipeline or its classifier) contributes the mean of its base estimators' coefficients,
    a feature missing from one of them counting as 0.

    Returns:
        Columns class, feature (readable, e.g. ``words: self proclaimed``, ``cue:
        dictator*``, ``embedding: dim 17``) and coefficient, strongest first per class.

    Example:
        >>> top_features(model, 10).query("`class` == 'delegitimising'")  # doctest: +SKIP
    """
    weights = _class_weights(pipeline, None)
    rows = []
    for label, row in weights.iterrows():
        top = row.sort_values(ascending=False, kind="stable").head(n)
        rows += [(label, feature, float(value)) for feature, value in top.items()]
    return pd.DataFrame(rows, columns=["class", "feature", "coefficient"])


def _class_weights(model, names: list[str] | None) -> pd.DataFrame:
    """Coefficients as a (class x feature) frame, whatever wraps the linear model."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import Pipeline

    if isinstance(model, FrozenEstimator):
        return _class_weights(model.estimator, names)
    if isinstance(model, Pipeline):
        if len(model) > 1:
            names = [readable_feature(f) for f in model[:-1].get_feature_names_out()]
        return _class_weights(model[-1], names)
    if isinstance(model, CalibratedClassifierCV):
        parts = [_class_weights(c.estimator, names) for c in model.calibrated_classifiers_]
        total = parts[0]
        for part in parts[1:]:
            total = total.add(part, fill_value=0.0)
        return total.fillna(0.0) / len(parts)
    if not hasattr(model, "coef_"):
        raise TypeError(f"top_features needs a linear classifier with coef_; got "
                        f"{type(model).__name__}")
    coef = np.asarray(model.coef_, dtype=float)
    classes = [str(c) for c in model.classes_]
    if coef.shape[0] == 1 and len(classes) == 2:
        coef = np.vstack([-coef[0], coef[0]])
    names = names if names is not None else [f"x{j}" for j in range(coef.shape[1])]
    return pd.DataFrame(coef, index=classes, columns=names)


def readable_feature(name: str) -> str:
    """``words__self proclaimed`` -> ``words: self proclaimed``; ``lexicon__cue:x`` -> ``cue: x``.

    Example:
        >>> readable_feature("embedding__embedding:dim 17")
        'embedding: dim 17'
    """
    block, sep, feature = name.partition("__")
    if not sep:
        block, feature = "", name
    # tf-idf features are raw n-grams (which may hold a colon); ours carry their kind.
    if block in ("words", "chars") or ":" not in feature:
        return f"{block}: {feature}" if block else feature
    kind, _, value = feature.partition(":")
    return f"{kind}: {value}"


def predict_table(pipeline, texts: Sequence[str], ids: Sequence[str]) -> pd.DataFrame:
    """Predicted class and class probabilities per text.

    A model without ``predict_proba`` (LinearSVC not wrapped in calibration) gets NaN
    probabilities: its decision values are not probabilities, and a softmax of them
    would look like one without being calibrated.

    Returns:
        Columns id, predicted, then proba_<class> for each class of the model.

    Example:
        >>> predict_table(load_framing_model(path), ["Putin met ..."], ["a"])  # doctest: +SKIP
    """
    texts = list(texts)
    if len(texts) != len(ids):
        raise ValueError(f"{len(texts)} texts but {len(ids)} ids")
    classes = [str(c) for c in pipeline.classes_]
    if hasattr(pipeline, "predict_proba"):
        # the class of highest probability is the one predict gives (logistic regression
        # decides by the largest decision value, which the softmax keeps in order; a
        # calibrated model predicts by its probabilities), and reading every text's features
        # once, not twice, halves the cost over a corpus of millions of segments
        proba = pipeline.predict_proba(texts)
        predicted = np.asarray(pipeline.classes_)[proba.argmax(axis=1)]
    else:
        proba = np.full((len(texts), len(classes)), np.nan)
        predicted = pipeline.predict(texts)
    table = pd.DataFrame({"id": list(ids), "predicted": predicted})
    for k, name in enumerate(classes):
        table[f"proba_{name}"] = proba[:, k]
    return table

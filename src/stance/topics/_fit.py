"""BERTopic on precomputed segment vectors, guided by seed themes.

Every random state comes from the ``seed`` argument: UMAP with a ``random_state`` runs
single-threaded and is then deterministic, HDBSCAN and c-TF-IDF are deterministic, so one
config gives the same topics on one machine. bertopic, umap and hdbscan are imported
inside the functions that fit, so importing stance stays quick.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from stance.config import TopicsConfig
from stance.data import Embeddings, Segments, TopicResult
from stance.topics._assign import assign_rows, assigners, assignment_agreement
from stance.topics._describe import describe_topics, ranked_terms, theme_vectors
from stance.topics._params import (
    guidance,
    resolve_params,
    seed_topic_list,
    texts_encoded_by_fit,
    theme_text,
)
from stance.topics._sample import fit_sample_limit, stratified_rows
from stance.topics._stability import FixedEncoder, Refits
from stance.topics._terms import term_texts
from stance.topics._umap import seeded_umap

#: c-TF-IDF terms kept per topic for topic diversity (its 10- and 25-term variants).
RANKED_TERMS = 25


def fit_topics(segments: Segments, embeddings: Embeddings, cfg: TopicsConfig, *, seed: int,
               encoder, dates: pd.Series | None = None,
               refit_executor: Executor | None = None) -> TopicResult:
    """Fit BERTopic on precomputed segment embeddings, and refit it for stability.

    Above ``cfg.fit_sample`` segments the model (and its refits) is fitted on a sample
    stratified by outlet and month, and every other segment is assigned by
    ``cfg.assign`` (:mod:`stance.topics._assign`); ``params["fit_sample"]`` says how.

    Args:
        segments: the segments; their texts give the topic terms.
        embeddings: vectors aligned with the segments by seg_id.
        cfg: the topics section of the experiment.
        seed: drives UMAP (and KeyBERT's sampling) and the sample; the stability refits use
            seed + 1, ...
        encoder: encodes seed themes and candidate words (an :class:`stance.embed.Encoder`).
        dates: each document's date by doc_id, for the sample's month strata.
        refit_executor: runs the stability refits (a Dask cluster's executor), instead of
            a worker process of this one (:class:`stance.topics._stability.Refits`).

    Raises:
        StanceError: too few segments for topic modelling.

    Example:
        >>> result = fit_topics(segments, embeddings, cfg.topics, seed=42,
        ...                     encoder=encoder)  # doctest: +SKIP
        >>> result.topics[["topic", "label", "size"]]  # doctest: +SKIP
    """
    seg_ids = segments.table["seg_id"].tolist()
    vectors = aligned_vectors(embeddings, seg_ids)
    rows = stratified_rows(segments, dates, fit_sample_limit(cfg.fit_sample), seed=seed)
    sampled = len(rows) < len(seg_ids)
    fitted = Segments(segments.table.iloc[rows]) if sampled else segments
    texts = term_texts(fitted, cfg)  # the segments as topic terms are counted in them
    fit_vectors = vectors[rows] if sampled else vectors
    resolve_params(len(texts), cfg)  # too few segments: stop before any refit starts
    seeds = [seed + i for i in range(1, cfg.stability_runs)]
    refit = functools.partial(fit_assignments, texts, fit_vectors, refit_settings(cfg),
                              graph_seed=seed)
    # merging topics embeds their words, which a worker could not: those refits stay here
    away = (functools.partial(refit, encoder=FixedEncoder.of(encoder, texts_encoded_by_fit(cfg)))
            if seeds and cfg.nr_topics is None else None)
    with Refits(functools.partial(refit, encoder=encoder), away, seeds,
                n_segments=len(texts), busy_after=sampled, executor=refit_executor) as refits:
        model, topics, probabilities, params = _fit(texts, fit_vectors, cfg, seed, encoder, seed)
        probability = _membership(probabilities, topics, len(texts))
        if _reassigns_outliers(cfg, topics):
            n_outliers = int((topics == -1).sum())
            topics = _reassign_outliers(model, texts, topics, probabilities, fit_vectors, cfg)
            model.update_topics(texts, topics=topics.tolist(), top_n_words=cfg.top_n_words,
                                vectorizer_model=model.vectorizer_model,
                                ctfidf_model=model.ctfidf_model,
                                representation_model=model.representation_model)
            params["outliers_reassigned"] = n_outliers - int((topics == -1).sum())
        if sampled:
            topics, probability = _assign_rest(rows, topics, probability, vectors,
                                               fit_vectors, cfg, params, seed)
        table, terms = describe_topics(model, topics, vectors, cfg.seed_themes,
                                       theme_vectors(cfg.seed_themes, encoder), cfg.top_n_words)
        refit_topics = refits.results()
    in_sample = np.zeros(len(seg_ids), dtype=bool)
    in_sample[rows] = True
    assignments = pd.DataFrame({"seg_id": seg_ids, "topic": topics, "probability": probability,
                                "fitted": in_sample})
    fitted_ids = fitted.table["seg_id"].tolist()
    stability = pd.DataFrame({str(s): t for s, t in zip(seeds, refit_topics, strict=True)},
                             index=pd.RangeIndex(len(fitted_ids)))
    return TopicResult(table, terms, assignments, ranked_terms(model, RANKED_TERMS),
                       stability.assign(seg_id=fitted_ids), params, model)


def _assign_rest(rows: np.ndarray, fit_topics: np.ndarray, fit_probability: np.ndarray,
                 vectors: np.ndarray, fit_vectors: np.ndarray, cfg: TopicsConfig, params: dict,
                 seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every segment's topic: the fit's for the sample, ``cfg.assign``'s for the rest.

    ``fit_vectors`` are ``vectors[rows]``. Assigned segments have probability NaN: no
    HDBSCAN membership was computed for them.
    """
    rest = np.setdiff1d(np.arange(len(vectors)), rows)
    topics = np.empty(len(vectors), dtype=int)
    topics[rows] = fit_topics
    ways = assigners(fit_vectors, fit_topics, seed=seed)
    topics[rest] = assign_rows(ways[cfg.assign], vectors, rest)
    probability = np.full(len(vectors), np.nan)
    probability[rows] = fit_probability
    params["fit_sample"] = {
        "setting": cfg.fit_sample, "segments": int(len(rows)), "of": int(len(vectors)),
        "strata": "outlet x month", "assign": cfg.assign,
        "agreement": assignment_agreement(ways, fit_vectors, fit_topics, seed=seed)}
    return topics, probability


def refit_settings(cfg: TopicsConfig) -> TopicsConfig:
    """The settings of a stability refit: the fit's, with plain c-TF-IDF terms.

    The representation only relabels topics and never moves a segment, so refits skip
    MMR and KeyBERT, which embed candidate words.
    """
    return cfg.model_copy(update={"representation": "ctfidf"})


def fit_assignments(texts: Sequence[str], vectors: np.ndarray, cfg: TopicsConfig, *, seed: int,
                    encoder, graph_seed: int) -> np.ndarray:
    """The topic of each segment from a fit like :func:`fit_topics`'s, and nothing else.

    The same assignments, without describing the topics; the only texts encoded are the
    seed themes (:func:`stance.topics._params.texts_encoded_by_fit`).
    """
    texts = list(texts)
    model, topics, probabilities, _ = _fit(texts, vectors, cfg, seed, encoder, graph_seed)
    if _reassigns_outliers(cfg, topics):
        topics = _reassign_outliers(model, texts, topics, probabilities, vectors, cfg)
    return topics


def aligned_vectors(embeddings: Embeddings, seg_ids: Sequence[str]) -> np.ndarray:
    """The rows of ``embeddings`` for ``seg_ids``, in that order (no copy if already so)."""
    if tuple(seg_ids) == tuple(embeddings.seg_ids):
        return embeddings.vectors
    row = {seg_id: i for i, seg_id in enumerate(embeddings.seg_ids)}
    missing = [s for s in seg_ids if s not in row]
    if missing:
        raise ValueError(f"no embedding for {len(missing)} segments, e.g. {missing[:3]}")
    return embeddings.vectors[[row[s] for s in seg_ids]]


def _fit(texts: list[str], vectors: np.ndarray, cfg: TopicsConfig, seed: int, encoder,
         graph_seed: int):
    """Fit BERTopic; return the model, topics, its probabilities and the resolved params."""
    params = resolve_params(len(texts), cfg)
    params["seed"] = seed
    model = _build_model(cfg, params, seed, encoder, graph_seed)
    # guided modelling averages seed vectors into the embeddings in place: give it a copy
    topics, probabilities = model.fit_transform(texts, embeddings=vectors.copy())
    topics = np.asarray(topics, dtype=int)
    if isinstance(cfg.nr_topics, int):
        topics, probabilities = merge_topics(model, texts, topics, probabilities,
                                             cfg.nr_topics)
    return model, topics, probabilities, params


def merge_topics(model, texts: list[str], topics: np.ndarray, probabilities,
                 nr_topics: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Merge a fitted model's topics down to ``nr_topics`` besides the outlier topic -1.

    BERTopic counts the outlier topic among ``nr_topics`` (10 gave 9 topics); a
    researcher asking for 10 means 10 to read, so -1 is counted on top. Returns the new
    topics and probabilities (unchanged when there are no more topics than asked for).
    """
    outliers = int((topics == -1).any())
    if len(set(topics.tolist())) - outliers <= nr_topics:
        return topics, probabilities
    model.reduce_topics(texts, nr_topics=nr_topics + outliers)
    return np.asarray(model.topics_, dtype=int), model.probabilities_


def _build_model(cfg: TopicsConfig, params: dict, seed: int, encoder, graph_seed: int):
    from bertopic import BERTopic
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN

    themes, guided = guidance(cfg)
    return BERTopic(
        embedding_model=backend(encoder),
        umap_model=seeded_umap(seed, graph_seed, **params["umap"]),
        # core_dist_n_jobs=1: hdbscan's default 4 starts joblib worker processes above 16,384
        # points, for a query that takes seconds
        hdbscan_model=HDBSCAN(**params["hdbscan"], metric="euclidean", prediction_data=True,
                              core_dist_n_jobs=1),
        vectorizer_model=vectorizer(cfg),
        # down-weights words frequent in every topic (actor names, reporting verbs)
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=cfg.reduce_frequent_words),
        representation_model=_representation(cfg, seed),
        top_n_words=cfg.top_n_words,
        nr_topics="auto" if cfg.nr_topics == "auto" else None,  # a number: see _fit
        seed_topic_list=seed_topic_list(themes) if guided and themes else None,
        zeroshot_topic_list=[theme_text(name, words) for name, words in themes.items()]
        if not guided and themes else None,
        zeroshot_min_similarity=cfg.zeroshot_min_similarity,
        calculate_probabilities=cfg.outliers.reduce and cfg.outliers.strategy == "probabilities",
        verbose=False,
    )


def vectorizer(cfg: TopicsConfig):
    """Terms: English stopwords plus the configured ones, in the configured n-grams.

    min_df stays 1 at every corpus size: BERTopic fits the vectorizer on one joined
    document per topic, so min_df counts topics and any higher value drops exactly the
    terms unique to one topic.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(ENGLISH_STOP_WORDS | {w.lower() for w in cfg.stopwords})
    return CountVectorizer(stop_words=stop, ngram_range=tuple(cfg.ngram_range), min_df=1)


def backend(encoder):
    """Wrap our encoder as a BERTopic backend (seed themes, MMR and KeyBERT embed words).

    It remembers every vector it returned, so a text is encoded once per model.
    """
    from bertopic.backend import BaseEmbedder

    class StanceBackend(BaseEmbedder):
        def __init__(self):
            super().__init__()
            self.seen: dict[str, np.ndarray] = {}

        def embed(self, documents, verbose=False):
            documents = list(documents)
            new = list(dict.fromkeys(d for d in documents if d not in self.seen))
            if new:
                self.seen.update(zip(new, encoder.encode(new), strict=True))
            if not documents:
                return encoder.encode([])
            return np.vstack([self.seen[d] for d in documents])

    return StanceBackend()


def _representation(cfg: TopicsConfig, seed: int):
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    if cfg.representation == "keybert":
        return KeyBERTInspired(top_n_words=cfg.top_n_words, random_state=seed)
    if cfg.representation == "mmr":
        class BatchedMMR(MaximalMarginalRelevance):
            """MMR that embeds every topic's candidates in one batch before ranking.

            BERTopic's MMR encodes each topic's words in two small calls; one call for all
            topics costs a fraction (the backend remembers the vectors, so MMR's own calls
            then find them, see :func:`backend`).
            """

            def extract_topics(self, topic_model, documents, c_tf_idf, topics):
                words = [[w for w, _ in candidates] for candidates in topics.values()]
                batch = sorted({w for ws in words for w in ws}) + [" ".join(ws) for ws in words]
                topic_model.embedding_model.embed_words(batch, verbose=False)
                return super().extract_topics(topic_model, documents, c_tf_idf, topics)

        return BatchedMMR(diversity=cfg.mmr_diversity, top_n_words=cfg.top_n_words)
    return None


def _membership(probabilities, topics: np.ndarray, n: int) -> np.ndarray:
    """One probability per segment: of its own topic when BERTopic gives a full matrix."""
    if probabilities is None:
        return np.zeros(n)
    probs = np.asarray(probabilities, dtype=float)
    if probs.ndim == 2:
        return np.where(topics >= 0, probs.max(axis=1), 0.0)
    return probs


def _reassigns_outliers(cfg: TopicsConfig, topics: np.ndarray) -> bool:
    """Whether outliers are to be reassigned: configured, and both outliers and topics exist."""
    return cfg.outliers.reduce and bool((topics == -1).any()) and bool((topics != -1).any())


def _reassign_outliers(model, texts, topics, probabilities, vectors,
                       cfg: TopicsConfig) -> np.ndarray:
    """Outliers moved to their nearest topic by the configured strategy, where close enough."""
    new = model.reduce_outliers(
        texts, topics.tolist(), strategy=cfg.outliers.strategy,
        threshold=cfg.outliers.threshold, embeddings=vectors,
        probabilities=probabilities if cfg.outliers.strategy == "probabilities" else None)
    return np.asarray(new, dtype=int)

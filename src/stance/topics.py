"""Topics: BERTopic on the cached segment embeddings, guided by seed themes.

The only module importing bertopic, umap and hdbscan (lazily, inside functions; bertopic
through :func:`stance.bertopic_imports.import_bertopic`).
Every random state comes from the ``seed`` argument: UMAP with a ``random_state``
runs single-threaded and is then deterministic, HDBSCAN and c-TF-IDF are
deterministic, so one config gives the same topics on one machine. Every UMAP of a
run (the model, stability refits, the topic map) builds on one neighbour graph
(:mod:`stance.neighbors`).
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from stance.bertopic_imports import absent, import_bertopic
from stance.config import UMAP_SMALL_CORPUS, TopicsConfig
from stance.data import Embeddings, Segments
from stance.errors import StanceError
from stance.neighbors import knn_graph

if TYPE_CHECKING:
    from bertopic import BERTopic

#: Fewer segments than this cannot form even two HDBSCAN clusters of the smallest size.
MIN_SEGMENTS = 10
#: HDBSCAN min_samples under ``auto``: BERTopic's default (its min_cluster_size of 10).
AUTO_MIN_SAMPLES = 10
#: A topic matches the theme closest to its centroid at this cosine similarity. On the seeds,
#: MiniLM puts topic centroids 0.0-0.25 from unrelated theme descriptions and 0.3-0.45 from
#: related ones.
THEME_MIN_SIMILARITY = 0.35
#: Below that similarity a topic still matches a theme of which its top terms contain this
#: many words. One is not enough: "troops" in "russian troops" put the seeds' invasion topic
#: under "military supply" at similarity 0.19.
THEME_MIN_SHARED_WORDS = 2
#: Terms kept per topic in the label.
LABEL_TERMS = 3


@dataclass(frozen=True)
class TopicModelResult:
    """A fitted topic model and its tables.

    Attributes:
        topics: one row per topic, -1 (outliers) included: topic, label, size, share,
            seed_theme ("" when none matches), seed_similarity (of the centroid to the
            theme matched, or to the closest one), seed_words (the matched theme's words among
            the topic's terms, "; "-joined), terms ("term (0.123); ...").
        terms: long form, one row per topic and rank: topic, rank, term, weight.
        assignments: one row per segment: seg_id, topic, probability (HDBSCAN membership
            strength; 0 for outliers and for outliers reassigned by outlier reduction).
        model: the fitted BERTopic model.
        params: the resolved value of every ``auto`` setting and the guidance used.
    """

    topics: pd.DataFrame
    terms: pd.DataFrame
    assignments: pd.DataFrame
    model: BERTopic
    params: dict


def resolve_params(n_segments: int, cfg: TopicsConfig) -> dict[str, Any]:
    """Resolve the ``auto`` UMAP and HDBSCAN settings for a corpus of ``n_segments``.

    UMAP's default 15 neighbours needs a corpus many times that size; small corpora get
    about a fifth of the segments (at least 2) so neighbourhoods stay local. Components
    stay at BERTopic's 5 unless the corpus is too small for them. HDBSCAN's smallest
    cluster is 1% of the segments, at least 3 (a topic of two paragraphs is noise) and at
    most 100 (so a 100,000-segment corpus still resolves a few hundred topics). Its
    density smoothing (``min_samples``) stays at BERTopic's 10 as topics grow: HDBSCAN's
    own default ties it to the smallest cluster, and at 1% of 9,775 20 Newsgroups
    paragraphs that merged 93% of them into one of two topics (about 20 topics with 10).
    Layout epochs follow UMAP's own rule, resolved here so the run's params name them.
    Explicit values are capped to what the corpus allows.

    Raises:
        StanceError: fewer than :data:`MIN_SEGMENTS` segments.

    Example:
        >>> resolve_params(70, TopicsConfig())["hdbscan"]["min_cluster_size"]
        3
    """
    n = n_segments
    if n < MIN_SEGMENTS:
        raise StanceError(
            f"topics: {n} segments; topic modelling needs at least {MIN_SEGMENTS} — use a "
            "larger corpus or a smaller segmentation unit (segmentation.unit: sentence)")
    umap, hdb = cfg.umap, cfg.hdbscan
    n_neighbors = min(15, max(2, n // 5)) if umap.n_neighbors == "auto" else umap.n_neighbors
    n_components = 5 if umap.n_components == "auto" else umap.n_components
    min_cluster_size = (min(100, max(3, n // 100)) if hdb.min_cluster_size == "auto"
                        else hdb.min_cluster_size)
    n_epochs = ((500 if n <= UMAP_SMALL_CORPUS else 200) if umap.n_epochs == "auto"
                else umap.n_epochs)
    n_neighbors = min(n_neighbors, n - 1)
    n_components = min(n_components, n - 2)
    min_cluster_size = max(2, min(min_cluster_size, n // 2))
    min_samples = (min(min_cluster_size, AUTO_MIN_SAMPLES) if hdb.min_samples == "auto"
                   else hdb.min_samples)
    min_samples = None if min_samples is None else min(min_samples, n - 1)
    return {
        "n_segments": n,
        # spectral initialisation solves an eigenproblem that fails on tiny graphs
        "umap": {"n_neighbors": n_neighbors, "n_components": n_components,
                 "min_dist": umap.min_dist, "metric": umap.metric, "n_epochs": n_epochs,
                 "init": "spectral" if n >= 100 else "random"},
        "hdbscan": {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
                    "cluster_selection_method": hdb.cluster_selection_method},
        "nr_topics": cfg.nr_topics,
        "guidance": _guidance_mode(cfg),
    }


def fit_topics(segments: Segments, embeddings: Embeddings, cfg: TopicsConfig, *, seed: int,
               embedder, graph_seed: int | None = None) -> TopicModelResult:
    """Fit BERTopic on precomputed segment embeddings.

    Args:
        segments: the segments; their texts give the topic terms.
        embeddings: vectors aligned with the segments by seg_id.
        cfg: the topics section of the experiment.
        seed: drives UMAP (and KeyBERT's sampling).
        embedder: encodes seed themes and candidate words; has ``encode(texts)``.
        graph_seed: seeds the approximate neighbour search (above 20,000 segments);
            ``seed`` by default. Refits pass the model's seed, so every fit of a run
            builds on one graph, whichever process searches it.

    Raises:
        StanceError: too few segments for topic modelling.

    Example:
        >>> result = fit_topics(segments, embeddings, cfg.topics, seed=42,
        ...                     embedder=embedder)  # doctest: +SKIP
        >>> result.topics[["topic", "label", "size"]]  # doctest: +SKIP
    """
    seg_ids = segments.table["seg_id"].tolist()
    texts = segments.table["text"].tolist()
    vectors = _aligned_vectors(embeddings, seg_ids)
    model, topics, probabilities, params = _fit(texts, vectors, cfg, seed, embedder,
                                                graph_seed)
    probability = _membership(probabilities, topics, len(texts))
    if _reassigns_outliers(cfg, topics):
        n_outliers = int((topics == -1).sum())
        topics = _reassign_outliers(model, texts, topics, probabilities, vectors, cfg)
        model.update_topics(texts, topics=topics.tolist(), top_n_words=cfg.top_n_words,
                            vectorizer_model=model.vectorizer_model,
                            ctfidf_model=model.ctfidf_model,
                            representation_model=model.representation_model)
        params["outliers_reassigned"] = n_outliers - int((topics == -1).sum())
    theme_vectors = _theme_vectors(cfg.seed_themes, embedder)
    table, terms = _describe(model, topics, vectors, cfg.seed_themes, theme_vectors,
                             cfg.top_n_words)
    assignments = pd.DataFrame({"seg_id": seg_ids, "topic": topics, "probability": probability})
    return TopicModelResult(table, terms, assignments, model, params)


def fit_assignments(segments: Segments, embeddings: Embeddings, cfg: TopicsConfig, *,
                    seed: int, embedder, graph_seed: int | None = None) -> np.ndarray:
    """The topic of each segment from a fit like :func:`fit_topics`, and nothing else.

    The same assignments, without describing the topics: no re-extracted terms after
    outliers are reassigned and no theme matching, so the only texts encoded are the
    seed themes of :func:`texts_encoded_by_fit` (the stability refits need no more).
    Where describing cannot move a segment (see :func:`_describing_moves_segments`) the
    fit skips BERTopic's terms and representative documents altogether.
    """
    texts = segments.table["text"].tolist()
    vectors = _aligned_vectors(embeddings, segments.table["seg_id"].tolist())
    model, topics, probabilities, _ = _fit(texts, vectors, cfg, seed, embedder, graph_seed,
                                           describe=_describing_moves_segments(cfg))
    if _reassigns_outliers(cfg, topics):
        topics = _reassign_outliers(model, texts, topics, probabilities, vectors, cfg)
    return topics


def search_neighbour_graph(segments: Segments, embeddings: Embeddings, cfg: TopicsConfig, *,
                           seed: int) -> None:
    """Search, now, the neighbour graph a fit's UMAP will ask for (see :mod:`stance.neighbors`).

    Workers forked afterwards inherit it instead of searching again. Only without seed
    themes: guided and zero-shot modelling give UMAP other vectors than the embeddings.
    """
    if _guidance(cfg)[0]:
        return
    vectors = _aligned_vectors(embeddings, segments.table["seg_id"].tolist())
    umap = resolve_params(len(vectors), cfg)["umap"]
    _umap(seed, seed, **umap).neighbours(vectors)


def import_fitting_libraries() -> None:
    """Import what a fit runs on (bertopic, hdbscan, umap) and set up UMAP's kernel cache.

    Call before forking refit workers: they inherit the loaded modules. Otherwise each
    worker imports them again (bertopic, umap and hdbscan take about 1.5 s).
    """
    import hdbscan  # noqa: F401

    with _kernels_compiled_on_import_cached():
        import umap.umap_  # noqa: F401
    import_bertopic()

    _prepare_umap_kernels()


def texts_encoded_by_fit(cfg: TopicsConfig) -> list[list[str]]:
    """The texts a fit encodes whatever the data, call by call: the seed themes.

    Guided modelling embeds each theme's words joined by spaces; zero-shot modelling
    embeds each theme as one text (see :func:`_build_model`).
    """
    themes, guided = _guidance(cfg)
    if not themes:
        return []
    if guided:
        return [[" ".join(words) for words in _seed_topic_list(themes)]]
    return [[_theme_text(name, words) for name, words in themes.items()]]


def _fit(texts: list[str], vectors: np.ndarray, cfg: TopicsConfig, seed: int, embedder,
         graph_seed: int | None, *, describe: bool = True):
    """Fit BERTopic; return the model, topics, its probabilities and the resolved params.

    ``describe=False`` skips the topics' terms and representative documents: the model
    then only assigns segments (see :func:`_describing_moves_segments` for when that is safe).
    """
    params = resolve_params(len(texts), cfg)
    params["seed"] = seed
    model = _build_model(cfg, params, seed, embedder, seed if graph_seed is None else graph_seed)
    if not describe:
        # BERTopic assigns every segment before it calls these two, and with no topic
        # reduction, zero-shot topics or outlier reassignment nothing after reads their
        # output: c-TF-IDF and representative documents were 1.5 s of a 9.1 s refit at
        # 10,000 segments (tests compare the assignments with a full fit's)
        model._extract_topics = model._save_representative_docs = _skipped
    # guided modelling averages seed vectors into the embeddings in place: give it a copy
    topics, probabilities = model.fit_transform(texts, embeddings=vectors.copy())
    return model, np.asarray(topics, dtype=int), probabilities, params


def _describing_moves_segments(cfg: TopicsConfig) -> bool:
    """Whether describing topics can change assignments: reduction, zero-shot or outliers.

    Topic reduction merges topics by their c-TF-IDF, outlier reassignment reads c-TF-IDF
    or topic vectors, and a zero-shot fit reads the topic vectors describing makes.
    Otherwise each segment's topic is fixed once HDBSCAN has clustered.
    """
    themes, guided = _guidance(cfg)
    return bool(cfg.nr_topics) or cfg.outliers.reduce or (bool(themes) and not guided)


def _skipped(*args, **kwargs) -> None:
    """Stands in for a BERTopic step whose output a fit does not need."""


def save_topic_model(model: BERTopic, folder: Path, embedder_path_or_id: str | Path) -> None:
    """Save a topic model as safetensors (no pickle), pointing at the embedding model.

    Args:
        model: a fitted BERTopic model.
        folder: created if missing; holds config.json, topics.json and the tensors.
        embedder_path_or_id: the local model folder (or name) recorded for reloading.
    """
    model.save(str(folder), serialization="safetensors", save_ctfidf=True,
               save_embedding_model=str(embedder_path_or_id))


def load_topic_model(folder: Path, embedder) -> BERTopic:
    """Reload a model written by :func:`save_topic_model`, embedding with ``embedder``.

    Example:
        >>> model = load_topic_model(run_dir / "topic_model", embedder)  # doctest: +SKIP
        >>> model.transform(texts, embeddings=embedder.encode(texts))  # doctest: +SKIP
    """
    BERTopic = import_bertopic().BERTopic

    if not (Path(folder) / "topics.json").is_file():
        raise StanceError(f"{folder}: no saved topic model (topics.json missing); "
                          "run the experiment again to fit one")
    # BERTopic.load first builds a SentenceTransformer from the model name saved with the
    # model, then swaps ours in. With sentence-transformers hidden it skips that: 4 s of
    # loading weights it discards (and a hub request, were a name saved instead of a folder).
    with absent("sentence_transformers"):
        return BERTopic.load(str(folder), embedding_model=_backend(embedder))


def map_coordinates(embeddings: Embeddings, *, seed: int) -> np.ndarray:
    """Project segment embeddings to 2-D with UMAP for the topic map; rows follow seg_ids."""
    n = len(embeddings)
    if n < 4:  # UMAP needs a neighbourhood graph; lay tiny corpora out on a line
        return np.column_stack([np.arange(n, dtype=float), np.zeros(n)])
    # 200 epochs, UMAP's own choice above 10,000 points, at every size: this is a picture
    reducer = _umap(seed, seed, n_neighbors=min(15, n - 1), n_components=2, min_dist=0.1,
                    metric="cosine", init="spectral" if n >= 100 else "random", n_epochs=200)
    return reducer.fit_transform(embeddings.vectors)


def ranked_terms(model: BERTopic, n: int) -> dict[int, list[str]]:
    """Each topic's ``n`` terms of highest c-TF-IDF weight, whatever the representation."""
    words = model.vectorizer_model.get_feature_names_out()
    ranked = {}
    # c-TF-IDF rows follow the sorted topic ids (BERTopic groups documents by topic)
    for row, topic in enumerate(sorted(model.topic_sizes_)):
        weights = model.c_tf_idf_[row].toarray().ravel()
        order = np.argsort(-weights, kind="stable")[:n]
        ranked[topic] = [str(words[i]) for i in order if weights[i] > 0]
    return ranked


def _aligned_vectors(embeddings: Embeddings, seg_ids: Sequence[str]) -> np.ndarray:
    row = {seg_id: i for i, seg_id in enumerate(embeddings.seg_ids)}
    missing = [s for s in seg_ids if s not in row]
    if missing:
        raise ValueError(f"no embedding for {len(missing)} segments, e.g. {missing[:3]}")
    return embeddings.vectors[[row[s] for s in seg_ids]]


def _backend(embedder):
    """Wrap our embedder as a BERTopic backend (seed themes, MMR and KeyBERT embed words).

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
                self.seen.update(zip(new, embedder.encode(new), strict=True))
            if not documents:
                return embedder.encode([])
            return np.vstack([self.seen[d] for d in documents])

    return StanceBackend()


def _build_model(cfg: TopicsConfig, params: dict, seed: int, embedder,
                 graph_seed: int) -> BERTopic:
    import_bertopic()  # before any bertopic submodule: without its unused integrations
    from bertopic.vectorizers import ClassTfidfTransformer
    from hdbscan import HDBSCAN

    from stance.bertopic_model import CountedBERTopic

    themes, guided = _guidance(cfg)
    return CountedBERTopic(
        embedding_model=_backend(embedder),
        umap_model=_umap(seed, graph_seed, **params["umap"]),
        # core_dist_n_jobs=1: hdbscan's default 4 starts joblib worker processes above 16,384
        # points, for a query that takes seconds; the refits already use the spare core
        hdbscan_model=HDBSCAN(**params["hdbscan"], metric="euclidean", prediction_data=True,
                              core_dist_n_jobs=1),
        vectorizer_model=_vectorizer(cfg),
        # down-weights words frequent in every topic (actor names, reporting verbs)
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=cfg.reduce_frequent_words),
        representation_model=_representation(cfg, seed),
        top_n_words=cfg.top_n_words,
        nr_topics=cfg.nr_topics,
        seed_topic_list=_seed_topic_list(themes) if guided and themes else None,
        zeroshot_topic_list=[_theme_text(name, words) for name, words in themes.items()]
        if not guided and themes else None,
        zeroshot_min_similarity=cfg.zeroshot_min_similarity,
        calculate_probabilities=cfg.outliers.reduce and cfg.outliers.strategy == "probabilities",
        verbose=False,
    )


def _guidance_mode(cfg: TopicsConfig) -> str:
    """The configured guidance, or ``none`` when there are no seed themes."""
    return cfg.guidance if cfg.seed_themes else "none"


def _guidance(cfg: TopicsConfig) -> tuple[dict[str, list[str]], bool]:
    """The seed themes the model is given (none when guidance is off) and if it is guided."""
    mode = _guidance_mode(cfg)
    return (cfg.seed_themes if mode != "none" else {}), mode == "guided"


def _seed_topic_list(themes: dict[str, list[str]]) -> list[list[str]]:
    return [[w.lower() for w in words] for words in themes.values()]


def _umap(seed: int, graph_seed: int, **params):
    """A seeded, single-threaded UMAP that takes its neighbours from :func:`knn_graph`.

    The graph is looked up when UMAP is fitted, on the vectors it is given: guided
    modelling shifts the embeddings and zero-shot topics hold some segments back, so the
    vectors UMAP sees are not always the stage's input.
    """
    from umap import UMAP
    from umap.umap_ import nearest_neighbors

    _prepare_umap_kernels()

    def approximate(vectors: np.ndarray, k: int, metric: str):
        indices, distances, _ = nearest_neighbors(
            vectors, k, metric, {}, False, np.random.RandomState(graph_seed), n_jobs=1)
        return indices, distances

    class SharedGraphUMAP(UMAP):
        def neighbours(self, X) -> tuple[np.ndarray, np.ndarray]:
            """The neighbour graph of ``X`` this UMAP fits on (searched once per vectors)."""
            return knn_graph(np.asarray(X), self.n_neighbors, self.metric,
                             approximate=approximate)

        def fit(self, X, y=None, *args, **kwargs):
            self.precomputed_knn = (*self.neighbours(X), None)
            with warnings.catch_warnings():
                # without pynndescent's index UMAP cannot transform new points; BERTopic
                # does not need it (topics of new texts come from topic embeddings)
                warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
                return super().fit(X, y, *args, **kwargs)

        def transform(self, X, *args, **kwargs):
            """The fitted coordinates of training points (zero-shot topics ask for a subset).

            UMAP would place them anew through a search index, which this graph lacks.
            """
            rows = _rows_of(np.asarray(X, dtype=np.float32), self._raw_data)
            if rows is None:
                raise ValueError("this UMAP transforms only points it was fitted on")
            return self.embedding_[rows]

    return SharedGraphUMAP(**params, random_state=seed, n_jobs=1)


#: numba kernels that a fit compiles and their library does not cache; compiling them costs
#: about 3.5 s (UMAP's) in every new process and forked worker, and 9 s (pynndescent's, the
#: approximate neighbour search above :data:`stance.neighbors.EXACT_MAX_POINTS`) a process.
_UNCACHED_KERNELS = {
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths"),
    # the serial variant only (seeded UMAP): numba's cache index does not tell it from the
    # parallel one, compiled from the same function
    "umap.layouts": ("_nb_optimize_layout_euclidean_single_epoch",),
    # not nn_descent and nn_descent_internal, which numba cannot cache (they take the
    # distance function as an argument): about 10 s of compiling stays
    "pynndescent.pynndescent_": ("process_candidates", "init_random", "init_rp_tree",
                                 "generate_leaf_updates"),
    "pynndescent.utils": ("deheap_sort", "build_candidates_owner", "generate_graph_update_array"),
    "pynndescent.kernels": ("generate_graph_update_array_batched",),
    "pynndescent.distances": ("alternative_dot",),
}


#: Modules that compile numba kernels as they are imported (their signatures are given) and
#: do not cache them: umap.utils' tau_rand_int and tau_rand, 0.3-0.4 s of CPU in every run.
_COMPILED_ON_IMPORT = ("umap.utils",)


@contextmanager
def _kernels_compiled_on_import_cached() -> Iterator[None]:
    """Inside the block, kernels :data:`_COMPILED_ON_IMPORT` modules compile use numba's disk cache.

    :func:`_cache_numba_kernels` comes too late for a kernel compiled at import, and numba
    has no setting to cache every kernel, so ``numba.njit`` adds ``cache=True`` to the
    calls those modules make with a signature (a string or a list of them, as umap.utils
    gives) while the block runs: the kernels compiled there and then. A no-op for modules
    already imported. Not thread-safe: call it from one thread, as the imports are.
    """
    import numba

    njit = numba.njit

    def caching_njit(*args, **kwargs):
        signature = bool(args) and isinstance(args[0], (str, list, tuple))
        if signature and sys._getframe(1).f_globals.get("__name__") in _COMPILED_ON_IMPORT:
            kwargs.setdefault("cache", True)
        return njit(*args, **kwargs)

    numba.njit = caching_njit
    try:
        yield
    finally:
        numba.njit = njit


def _prepare_umap_kernels() -> None:
    """Set numba up before UMAP starts its thread pool: fork-safe layer, cached kernels.

    The fork-safe layer lets refits run forked; the disk cache saves recompiling.
    """
    from stance.forked import prefer_forkable_numba

    prefer_forkable_numba()
    _cache_numba_kernels()


@functools.cache
def _cache_numba_kernels() -> None:
    """Keep :data:`_UNCACHED_KERNELS` in numba's on-disk cache, as ``cache=True`` would.

    numba stores them beside the module (or in ``NUMBA_CACHE_DIR``) keyed by the source
    file's timestamp and the CPU, and recompiles when either changes; the machine code is
    the same as a fresh compile's, so results do not change.
    """
    import importlib

    from numba.core.dispatcher import Dispatcher

    for module, names in _UNCACHED_KERNELS.items():
        for name in names:
            kernel = getattr(importlib.import_module(module), name, None)
            if isinstance(kernel, Dispatcher):  # a newer version may rename or cache them
                kernel.enable_caching()


def _rows_of(points: np.ndarray, data: np.ndarray) -> np.ndarray | None:
    """Index in ``data`` of each row of ``points``, or None if one is not there."""
    def as_keys(a):  # one opaque, sortable value per row
        a = np.ascontiguousarray(a, dtype=np.float32)
        return a.view(np.dtype((np.void, a.dtype.itemsize * a.shape[1]))).ravel()

    keys, wanted = as_keys(data), as_keys(points)
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[order], wanted), len(keys) - 1)
    rows = order[at]
    return rows if (keys[rows] == wanted).all() else None


def _vectorizer(cfg: TopicsConfig):
    """Terms: English stopwords plus the configured ones, in the configured n-grams.

    min_df stays 1 at every corpus size: BERTopic fits the vectorizer on one joined
    document per topic, so min_df counts topics and any higher value drops exactly the
    terms unique to one topic.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    stop = sorted(ENGLISH_STOP_WORDS | {w.lower() for w in cfg.stopwords})
    return CountVectorizer(stop_words=stop, ngram_range=tuple(cfg.ngram_range), min_df=1)


def _representation(cfg: TopicsConfig, seed: int):
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    if cfg.representation == "keybert":
        return KeyBERTInspired(top_n_words=cfg.top_n_words, random_state=seed)
    if cfg.representation == "mmr":
        class BatchedMMR(MaximalMarginalRelevance):
            """MMR that embeds every topic's candidates in one batch before ranking.

            BERTopic's MMR encodes each topic's words in two small calls; one call for all
            topics costs a fraction (our backend remembers the vectors, so MMR's own calls
            then find them, see :func:`_backend`).
            """

            def extract_topics(self, topic_model, documents, c_tf_idf, topics):
                words = [[w for w, _ in candidates] for candidates in topics.values()]
                batch = sorted({w for ws in words for w in ws}) + [" ".join(ws) for ws in words]
                topic_model._extract_embeddings(batch, method="word", verbose=False)
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


def _theme_text(name: str, words: Sequence[str]) -> str:
    return f"{name}: {', '.join(words)}"


def _theme_vectors(themes: dict[str, list[str]], embedder) -> dict[str, np.ndarray]:
    if not themes:
        return {}
    vectors = embedder.encode([_theme_text(n, w) for n, w in themes.items()])
    return dict(zip(themes, _unit(vectors), strict=True))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def _describe(model, topics: np.ndarray, vectors: np.ndarray, themes: dict[str, list[str]],
              vectors_by_theme: dict[str, np.ndarray],
              top_n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The topic table (size, share, theme, label, terms) and the long term table."""
    ids = sorted(set(topics.tolist()) | {-1})
    rows, term_rows = [], []
    theme_matrix = np.vstack(list(vectors_by_theme.values())) if themes else np.zeros((0, 1))
    for topic in ids:
        members = topics == topic
        words = [(w, float(s)) for w, s in (model.get_topic(topic) or []) if w][:top_n]
        term_rows += [(topic, rank, w, s) for rank, (w, s) in enumerate(words, start=1)]
        theme, similarity, shared = _match_theme(vectors[members], [w for w, _ in words],
                                                 theme_matrix, themes, topic)
        top = ", ".join(w for w, _ in words[:LABEL_TERMS])
        label = "outliers" if topic == -1 else f"{theme}: {top}" if theme else top
        rows.append({"topic": topic, "label": label, "size": int(members.sum()),
                     "share": float(members.mean()), "seed_theme": theme,
                     "seed_similarity": similarity, "seed_words": "; ".join(shared),
                     "terms": "; ".join(f"{w} ({s:.3f})" for w, s in words)})
    terms = pd.DataFrame(term_rows, columns=["topic", "rank", "term", "weight"])
    return pd.DataFrame(rows), terms


def _match_theme(members: np.ndarray, words: list[str], theme_matrix: np.ndarray,
                 themes: dict[str, list[str]],
                 topic: int) -> tuple[str, float, list[str]]:
    """The seed theme a topic matches, the centroid's similarity to it, and the shared words.

    Themes are ranked by how many of their words are among the topic's top terms (as a
    term or a word of an n-gram term), then by the similarity of the topic's centroid. The
    first that has a similarity of at least :data:`THEME_MIN_SIMILARITY`, or
    :data:`THEME_MIN_SHARED_WORDS` words shared, matches. An unmatched topic reports the
    closest theme's similarity and no words.
    """
    names = list(themes)
    if not names or len(members) == 0:
        return "", float("nan"), []
    similarities = theme_matrix @ _unit(members.mean(axis=0))
    tokens = {token for term in words for token in [term, *term.split()]}
    shared = [sorted({w.lower() for w in themes[name]} & tokens) for name in names]
    ranked = sorted(range(len(names)), key=lambda i: (-len(shared[i]), -similarities[i]))
    for i in ranked if topic != -1 else []:
        if similarities[i] >= THEME_MIN_SIMILARITY or len(shared[i]) >= THEME_MIN_SHARED_WORDS:
            return names[i], float(similarities[i]), shared[i]
    return "", float(similarities.max()), []

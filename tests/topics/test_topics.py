import numpy as np
import pandas as pd
import pytest

from stance.config import TopicsConfig
from stance.data import Embeddings
from stance.errors import StanceError
from stance.topics import (
    MIN_SEGMENTS,
    fit_topics,
    load_topic_model,
    map_coordinates,
    resolve_params,
    save_topic_model,
    stability,
    topic_metrics,
)
from tests.conftest import THEMES, FakeEmbedder, embed, make_segments


def config(**update):
    return TopicsConfig.model_validate({"seed_themes": THEMES, "stability_runs": 1, **update})


def test_resolve_params_adapts_to_corpus_size():
    small, large = resolve_params(70, TopicsConfig()), resolve_params(100_000, TopicsConfig())
    assert small["umap"]["n_neighbors"] == 14 and large["umap"]["n_neighbors"] == 15
    assert small["umap"]["n_components"] == large["umap"]["n_components"] == 5
    assert small["umap"]["init"] == "random" and large["umap"]["init"] == "spectral"
    assert small["hdbscan"]["min_cluster_size"] == 3
    assert large["hdbscan"]["min_cluster_size"] == 316  # the square root above 10,000
    assert resolve_params(10_000, TopicsConfig())["hdbscan"]["min_cluster_size"] == 100
    assert resolve_params(20_000, TopicsConfig())["hdbscan"]["min_cluster_size"] == 141
    # UMAP's own epochs, by the number of points it lays out
    assert [resolve_params(n, TopicsConfig())["umap"]["n_epochs"]
            for n in (70, 10_000, 10_001)] == [500, 500, 200]
    tiny = resolve_params(MIN_SEGMENTS, TopicsConfig())
    assert tiny["umap"]["n_neighbors"] == 2 and tiny["umap"]["n_components"] < MIN_SEGMENTS - 1
    assert tiny["hdbscan"]["min_cluster_size"] <= MIN_SEGMENTS // 2
    assert resolve_params(70, TopicsConfig())["guidance"] == "none"  # no seed themes


def test_auto_min_samples_keeps_bertopics_smoothing_as_topics_grow():
    # HDBSCAN's own default (min_samples = min_cluster_size) merged 93% of 9,775 20NG
    # paragraphs into one topic at min_cluster_size 97; auto caps the smoothing at 10.
    def hdbscan(n, **settings):
        cfg = TopicsConfig.model_validate({"hdbscan": settings})
        return resolve_params(n, cfg)["hdbscan"]

    assert hdbscan(70)["min_samples"] == 3  # small topics: as small as the topics
    assert hdbscan(9_775) == {"min_cluster_size": 97, "min_samples": 10,
                              "cluster_selection_method": "eom"}
    assert hdbscan(100_000, min_samples=None)["min_samples"] is None  # HDBSCAN's own
    assert hdbscan(100_000, min_samples=25)["min_samples"] == 25
    assert hdbscan(1_000, min_cluster_size=40)["min_samples"] == 10


def test_resolve_params_keeps_and_caps_explicit_values():
    cfg = TopicsConfig.model_validate({"umap": {"n_neighbors": 50, "n_components": 8,
                                                "n_epochs": 60},
                                       "hdbscan": {"min_cluster_size": 40, "min_samples": 2}})
    params = resolve_params(1000, cfg)
    assert params["umap"]["n_neighbors"] == 50 and params["umap"]["n_components"] == 8
    assert params["umap"]["n_epochs"] == 60
    assert params["hdbscan"] == {"min_cluster_size": 40, "min_samples": 2,
                                 "cluster_selection_method": "eom"}
    capped = resolve_params(20, cfg)
    assert capped["umap"]["n_neighbors"] == 19 and capped["hdbscan"]["min_cluster_size"] == 10


@pytest.mark.parametrize("n", [1, 2, MIN_SEGMENTS - 1])
def test_too_few_segments_is_a_clear_error(fake, n):
    segments = make_segments(n)
    with pytest.raises(StanceError, match=f"topics: {n} segments; .* at least {MIN_SEGMENTS}"):
        fit_topics(segments, embed(segments, fake), config(), seed=1, encoder=fake)


@pytest.mark.parametrize("guidance", ["guided", "zeroshot", "none"])
@pytest.mark.parametrize("n", [MIN_SEGMENTS, 11, 25])
def test_small_corpora_give_a_valid_result(fake, n, guidance):
    segments = make_segments(n)
    result = fit_topics(segments, embed(segments, fake), config(guidance=guidance), seed=3,
                        encoder=fake)
    assert len(result.assignments) == n
    assert result.topics["size"].sum() == n


def test_result_tables_align_with_segments(fake, corpus):
    segments, embeddings = corpus
    # rows of the embeddings in another order: alignment is by seg_id
    order = np.random.default_rng(0).permutation(len(embeddings))
    shuffled = Embeddings(embeddings.vectors[order], tuple(np.array(embeddings.seg_ids)[order]),
                          embeddings.model_id, True)
    result = fit_topics(segments, shuffled, config(), seed=7, encoder=fake)
    reference = fit_topics(segments, embeddings, config(), seed=7, encoder=fake)
    assert result.assignments["topic"].tolist() == reference.assignments["topic"].tolist()
    assert result.assignments["seg_id"].tolist() == segments.table["seg_id"].tolist()
    assert list(result.topics.columns) == ["topic", "label", "size", "share", "seed_theme",
                                           "seed_similarity", "seed_words", "terms"]
    assert list(result.terms.columns) == ["topic", "rank", "term", "weight"]
    assert set(result.topics["topic"]) == set(result.assignments["topic"]) | {-1}
    assert result.topics["share"].sum() == pytest.approx(1.0)
    assert result.assignments["probability"].between(0, 1).all()
    assert set(result.topics["seed_theme"]) <= set(THEMES) | {""}
    assert (result.topics["topic"] != -1).sum() >= 2
    assert result.params["seed"] == 7 and result.params["guidance"] == "guided"
    assert result.params["umap"]["n_neighbors"] == 12


def test_same_config_and_seed_give_identical_topics(fake, corpus):
    segments, embeddings = corpus
    first = fit_topics(segments, embeddings, config(), seed=11, encoder=fake)
    second = fit_topics(segments, embeddings, config(), seed=11, encoder=fake)
    pd.testing.assert_frame_equal(first.assignments, second.assignments)
    pd.testing.assert_frame_equal(first.topics, second.topics)
    assert stability([first.assignments["topic"], second.assignments["topic"]])["ari"] == [1.0]


def test_umap_epochs_reach_the_fitted_layout(fake, corpus):
    segments, embeddings = corpus
    layouts = {}
    for epochs in ("auto", 30):
        umap = fit_topics(segments, embeddings, config(umap={"n_epochs": epochs}), seed=3,
                          encoder=fake).model.umap_model
        layouts[epochs] = umap.embedding_
        assert umap.n_epochs == (500 if epochs == "auto" else 30)
    assert not np.allclose(layouts["auto"], layouts[30])


def test_fit_leaves_the_embeddings_unchanged(fake, corpus):
    segments, embeddings = corpus
    before = embeddings.vectors.copy()
    fit_topics(segments, embeddings, config(guidance="guided"), seed=1, encoder=fake)
    np.testing.assert_array_equal(embeddings.vectors, before)


@pytest.mark.parametrize("representation", ["ctfidf", "keybert", "mmr"])
def test_representations_and_outlier_reduction(fake, corpus, representation):
    segments, embeddings = corpus
    cfg = config(representation=representation, top_n_words=5,
                 outliers={"reduce": True, "strategy": "embeddings"},
                 hdbscan={"min_cluster_size": 5, "min_samples": 5})
    result = fit_topics(segments, embeddings, cfg, seed=2, encoder=fake)
    assert result.terms.groupby("topic").size().max() <= 5
    assert (result.assignments["topic"] == -1).sum() == 0


def test_leaf_selection_gives_at_least_as_many_clusters_as_eom(fake, corpus):
    segments, embeddings = corpus
    n_topics = {}
    for method in ("eom", "leaf"):
        cfg = config(guidance="none", hdbscan={"min_cluster_size": 3,
                                               "cluster_selection_method": method})
        result = fit_topics(segments, embeddings, cfg, seed=4, encoder=fake)
        assert result.model.hdbscan_model.cluster_selection_method == method
        assert result.params["hdbscan"]["cluster_selection_method"] == method
        n_topics[method] = (result.topics["topic"] != -1).sum()
    # leaf picks the leaves of HDBSCAN's cluster tree; eom picks some of their ancestors
    assert n_topics["leaf"] >= n_topics["eom"]
    with pytest.raises(ValueError, match="cluster_selection_method"):
        TopicsConfig.model_validate({"hdbscan": {"cluster_selection_method": "leaves"}})


def test_saved_model_reloads_and_transforms(tmp_path, fake, corpus):
    segments, embeddings = corpus
    result = fit_topics(segments, embeddings, config(), seed=5, encoder=fake)
    save_topic_model(result.model, tmp_path / "model", "fake-model-path")
    model = load_topic_model(tmp_path / "model", fake)
    texts = ["tanks artillery soldiers weapons troops", "trade exports sanctions prices"]
    topics, _ = model.transform(texts, embeddings=fake.encode(texts))
    assert len(topics) == 2
    with pytest.raises(StanceError, match="no saved topic model"):
        load_topic_model(tmp_path / "missing", fake)


def test_map_coordinates_are_2d_and_seeded(corpus):
    _, embeddings = corpus
    coords = map_coordinates(embeddings, seed=1)
    assert coords.shape == (len(embeddings), 2)
    np.testing.assert_array_equal(coords, map_coordinates(embeddings, seed=1))
    tiny = Embeddings(embeddings.vectors[:2], embeddings.seg_ids[:2], "fake", True)
    assert map_coordinates(tiny, seed=1).shape == (2, 2)


def test_topic_metrics_are_json_ready(fake, corpus):
    import json

    segments, embeddings = corpus
    cfg = config(stability_runs=3)
    result = fit_topics(segments, embeddings, cfg, seed=4, encoder=fake)
    metrics = topic_metrics(result, segments, cfg)
    json.dumps(metrics)
    assert metrics["n_topics"] == len(metrics["npmi"])
    assert 0 < metrics["diversity_10"] <= 1 and 0 < metrics["diversity_25"] <= 1
    assert metrics["stability"]["runs"] == 3 and len(metrics["stability"]["ari"]) == 3
    assert result.refits.columns.tolist() == ["5", "6", "seg_id"]  # the refits' seeds


@pytest.fixture(scope="module")
def seeds():
    from stance.config import EmbeddingConfig, load_config
    from stance.corpus import prepare_corpus, segment_corpus
    from stance.embed import load_embedder
    from tests.conftest import EXPERIMENTS

    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    cleaned, _ = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=cfg.seed)
    segments = segment_corpus(cleaned.corpus, cfg.segmentation)
    embedder = load_embedder(EmbeddingConfig())
    return cfg, segments, embed(segments, embedder), embedder


def matched_themes(result, themes):
    """Themes matched by a topic whose terms contain one of the theme's words."""
    found = set()
    for row in result.topics[result.topics["seed_theme"] != ""].itertuples():
        words = {w.lower() for w in themes[row.seed_theme]}
        terms = result.terms.loc[result.terms["topic"] == row.topic, "term"]
        if any(words & {t, *t.split()} for t in terms):
            found.add(row.seed_theme)
    return found


@pytest.mark.integration
def test_seed_corpus_finds_every_seed_theme(seeds):
    cfg, segments, embeddings, embedder = seeds
    # The shipped config, as `make experiment` runs it.
    assert cfg.topics.guidance == "zeroshot"
    result = fit_topics(segments, embeddings, cfg.topics, seed=cfg.seed, encoder=embedder)
    assert matched_themes(result, cfg.topics.seed_themes) == set(cfg.topics.seed_themes)
    assert result.topics.loc[result.topics["seed_theme"] != "", "label"].str.contains(
        ": ").all()


@pytest.mark.integration
def test_seed_corpus_guided_config_runs(seeds):
    cfg, segments, embeddings, embedder = seeds
    guided = cfg.topics.model_copy(update={"guidance": "guided"})
    guided = guided.model_copy(update={"stability_runs": 1})
    result = fit_topics(segments, embeddings, guided, seed=cfg.seed, encoder=embedder)
    assert result.params["guidance"] == "guided"
    assert (result.topics["topic"] != -1).sum() >= 2
    # every topic reports how close it is to a theme; only a match names shared words
    topics = result.topics
    assert topics["seed_similarity"].notna().all()
    assert (topics.loc[topics["seed_theme"] == "", "seed_words"] == "").all()
    metrics = topic_metrics(result, segments, guided)
    assert -1 <= metrics["npmi_mean"] <= 1 and metrics["stability"]["runs"] == 1
    assert -1 <= metrics["npmi_weighted"] <= 1


@pytest.mark.integration
def test_seed_model_reloads_and_transforms_a_new_paragraph(tmp_path, seeds):
    from stance.config import EmbeddingConfig
    from stance.embed import resolve_model

    cfg, segments, embeddings, embedder = seeds
    result = fit_topics(segments, embeddings, cfg.topics, seed=cfg.seed, encoder=embedder)
    save_topic_model(result.model, tmp_path / "topic_model", resolve_model(EmbeddingConfig()).path)
    model = load_topic_model(tmp_path / "topic_model", embedder)
    text = ["Belarusian factories will supply ammunition and armoured vehicles to Russian troops."]
    topics, _ = model.transform(text, embeddings=embedder.encode(text))
    assert topics[0] in set(result.topics["topic"])


def test_mmr_embeds_every_topics_candidates_in_one_call(corpus):
    class CountingEmbedder(FakeEmbedder):
        def __init__(self):
            self.calls = []

        def encode(self, texts):
            self.calls.append(len(texts))
            return super().encode(texts)

    segments, embeddings = corpus
    counting = CountingEmbedder()
    result = fit_topics(segments, embeddings, config(representation="mmr", guidance="none"),
                        seed=1, encoder=counting)
    n_topics = int((result.topics["topic"] != -1).sum())
    assert n_topics >= 2
    # one batch of words and joined topic strings (instead of two calls per topic), then
    # the seed themes for matching
    assert counting.calls[1:] == [len(THEMES)] and counting.calls[0] > n_topics


@pytest.mark.integration  # pynndescent compiles its search: about 20 s
def test_refits_search_the_approximate_graph_with_the_model_seed(fake, corpus, monkeypatch):
    import umap.umap_

    from stance.topics import _neighbors

    seeds_used = []
    search = umap.umap_.nearest_neighbors

    def spy(*args, **kwargs):
        random_state = args[5]
        seeds_used.append(next(s for s in range(10) if np.array_equal(
            random_state.get_state()[1], np.random.RandomState(s).get_state()[1])))
        return search(*args, **kwargs)

    monkeypatch.setattr(umap.umap_, "nearest_neighbors", spy)
    monkeypatch.setattr(_neighbors, "EXACT_MAX_POINTS", 10)
    _neighbors._last.clear()
    segments, embeddings = corpus
    fit_topics(segments, embeddings, config(guidance="guided", stability_runs=3), seed=4,
               encoder=fake)
    # searched once, with the model's seed; both refits reuse that graph
    assert seeds_used == [4]


@pytest.mark.integration  # each worker process imports the fitting libraries anew
@pytest.mark.parametrize("guidance", ["guided", "zeroshot", "none"])
def test_refits_in_a_worker_process_equal_refits_here(fake, corpus, guidance, monkeypatch):
    from stance.topics import _stability, fit_assignments, refit_settings
    from stance.topics._fit import aligned_vectors

    segments, embeddings = corpus
    cfg = config(guidance=guidance, stability_runs=3)
    monkeypatch.setattr(_stability, "PARALLEL_MIN_SEGMENTS", 0)  # a worker for 60 segments
    result = fit_topics(segments, embeddings, cfg, seed=4, encoder=fake)
    vectors = aligned_vectors(embeddings, segments.table["seg_id"].tolist())
    for seed in (5, 6):  # each refit alone, in this process
        here = fit_assignments(segments.table["text"], vectors, refit_settings(cfg), seed=seed,
                               encoder=fake, graph_seed=4)
        np.testing.assert_array_equal(result.refits[str(seed)].to_numpy(), here)


def test_nr_topics_counts_the_topics_besides_outliers():
    # BERTopic 0.17 alone counts topic -1 among nr_topics: 3 would leave two real topics
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction

    from stance.topics._fit import merge_topics

    class FixedClusters:  # HDBSCAN's interface: 4 clusters and 10 outliers
        labels_ = np.repeat([-1, 0, 1, 2, 3], 10)

        def fit(self, X, y=None):
            return self

    words = ["tank army drone", "gas oil price", "union treaty state", "vote poll party",
             "rain snow wind"]
    docs = [f"{words[i // 10 % 5]} {i}" for i in range(50)]
    vectors = np.random.default_rng(0).normal(size=(50, 8))

    def fitted():
        model = BERTopic(umap_model=BaseDimensionalityReduction(),
                         hdbscan_model=FixedClusters())
        topics, probabilities = model.fit_transform(docs, vectors)
        return model, np.asarray(topics), probabilities

    model, topics, probabilities = fitted()
    merged, _ = merge_topics(model, docs, topics, probabilities, 3)
    assert sorted(set(merged)) == [-1, 0, 1, 2]  # three topics to read, and the outliers
    assert (merged == -1).sum() == 10
    model, topics, probabilities = fitted()
    assert merge_topics(model, docs, topics, probabilities, 4)[0] is topics  # nothing to merge
    model.reduce_topics(docs, nr_topics=3)  # what BERTopic alone gives
    assert sorted(set(model.topics_)) == [-1, 0, 1]


def test_a_theme_needs_similarity_or_two_shared_words():
    from stance.topics import THEME_MIN_SIMILARITY
    from stance.topics._describe import _match_theme

    themes = {"military supply": ["weapons", "troops", "arsenal"], "economics": ["trade", "gas"]}
    theme_matrix = np.eye(2, 3)  # unit vectors: a centroid's similarity is its coordinate

    def centroid(to_supply: float, to_economics: float) -> np.ndarray:
        rest = np.sqrt(1 - to_supply ** 2 - to_economics ** 2)
        return np.array([to_supply, to_economics, rest])

    far = centroid(0.19, 0.1)
    # one theme word ("troops" in "russian troops") far from the theme is not a match
    assert _match_theme(far, ["kyiv", "russian troops"], theme_matrix, themes, 4) == (
        "", pytest.approx(0.19), [])
    assert _match_theme(far, ["troops", "arsenal"], theme_matrix, themes, 4) == (
        "military supply", pytest.approx(0.19), ["arsenal", "troops"])
    near = centroid(0.2, THEME_MIN_SIMILARITY + 0.1)
    assert _match_theme(near, ["kyiv"], theme_matrix, themes, 4)[:2] == (
        "economics", pytest.approx(0.45))
    # a shared word does not hold the topic back from a theme it is close to
    assert _match_theme(near, ["troops"], theme_matrix, themes, 4)[0] == "economics"
    assert _match_theme(near, ["gas"], theme_matrix, themes, 4)[2] == ["gas"]
    assert _match_theme(near, ["troops", "arsenal"], theme_matrix, themes, -1)[0] == ""


def test_topic_terms_leave_out_outlet_names_and_site_furniture(fake):
    from stance.data import Segments
    from stance.topics._terms import site_furniture

    base = make_segments(120).table  # 30 documents of 4 segments
    # one outlet names itself in its headlines and ends each with its navigation
    ukrinform = base["doc_id"].str[1:].astype(int) % 3 == 0
    base["outlet"] = np.where(ukrinform, "Ukrinform.ua", "Daily Planet")
    base.loc[ukrinform, "text"] = ("Ukrinform: " + base.loc[ukrinform, "text"]
                                   + " | View news | Life spotlight")
    segments = Segments(base)
    embeddings = embed(segments, fake)
    assert {"view news", "life spotlight"} <= set(site_furniture(segments, config()))
    terms = fit_topics(segments, embeddings, config(guidance="none"), seed=1,
                       encoder=fake).terms["term"]
    words = {w for term in terms for w in term.split()}
    assert not words & {"ukrinform", "view", "spotlight"}, sorted(words)
    kept = fit_topics(segments, embeddings, config(guidance="none", exclude_outlet_names=False,
                                                   exclude_site_furniture=False),
                      seed=1, encoder=fake).terms["term"]
    assert {w for term in kept for w in term.split()} & {"ukrinform", "view", "spotlight"}

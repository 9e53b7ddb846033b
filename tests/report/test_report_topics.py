"""The report's topics section: the warning when one topic holds most of the corpus."""

from types import SimpleNamespace

import pandas as pd
import pytest
import typst
from pypdf import PdfReader

from stance.report._topics import topics_section


def run_with_topic_sizes(sizes: dict[int, int], seed_themes=None) -> SimpleNamespace:
    topics = pd.DataFrame({"topic": list(sizes), "size": list(sizes.values()),
                           "label": [f"{t}_label" for t in sizes], "seed_theme": None,
                           "terms": "talks (0.2); summit (0.1)"})
    config = SimpleNamespace(topics=SimpleNamespace(seed_themes=seed_themes or {}),
                             analysis=SimpleNamespace(confidence=0.95))
    return SimpleNamespace(topics=SimpleNamespace(topics=topics), config=config,
                           segments=range(sum(sizes.values())), metrics={}, figures={},
                           run_dir=None, manifest={}, prevalence=None)


def pdf_text(markup: str, tmp_path) -> str:
    (tmp_path / "section.typ").write_text(markup)
    typst.compile(str(tmp_path / "section.typ"), output=str(tmp_path / "section.pdf"))
    return " ".join(p.extract_text() for p in PdfReader(tmp_path / "section.pdf").pages)


def test_a_topic_with_most_segments_is_flagged_in_the_pdf(tmp_path):
    text = pdf_text(topics_section(run_with_topic_sizes({-1: 10, 0: 93, 1: 7})), tmp_path)
    assert "One topic holds most of the corpus." in " ".join(text.split())
    assert "topic 0 (0_label) has 85% of the segments" in " ".join(text.split())


@pytest.mark.parametrize("sizes", [{-1: 60, 0: 50, 1: 10}, {0: 50, 1: 50}])
def test_no_flag_when_no_topic_has_more_than_half(sizes):
    assert "holds most of the corpus" not in topics_section(run_with_topic_sizes(sizes))


def fitted_params(n_segments: int, cfg) -> dict:
    from stance.topics import resolve_params

    return resolve_params(n_segments, cfg) | {"seed": 7}


def test_the_methods_name_every_resolved_umap_and_hdbscan_setting():
    from stance.config import TopicsConfig
    from stance.report._document import fit_settings

    cfg = TopicsConfig()
    text = fit_settings(fitted_params(70, cfg), cfg)
    assert text == ("UMAP to 5 dimensions (14 neighbours, min_dist 0.0, cosine metric, 500 "
                    "epochs, random initialisation, seed 7); HDBSCAN (min_cluster_size 3, "
                    "min_samples 3, eom cluster selection); topics not merged (nr_topics unset).")


@pytest.mark.parametrize(("nr_topics", "expected"), [
    ("auto", "similar topics merged automatically (nr_topics auto)."),
    (5, "topics merged down to 5 besides the outlier topic."),
])
def test_the_methods_say_how_topics_were_merged(nr_topics, expected):
    from stance.config import TopicsConfig
    from stance.report._document import fit_settings

    cfg = TopicsConfig(nr_topics=nr_topics)
    assert fit_settings(fitted_params(400, cfg), cfg).endswith(expected)


def test_the_methods_count_reassigned_outliers():
    from stance.config import TopicsConfig
    from stance.report._document import fit_settings

    cfg = TopicsConfig(outliers={"reduce": True, "strategy": "c-tf-idf", "threshold": 0.1})
    params = fitted_params(400, cfg) | {"outliers_reassigned": 12}
    assert fit_settings(params, cfg).endswith(
        "topics not merged (nr_topics unset). 12 outlier segments reassigned to a topic "
        "(c-tf-idf strategy, threshold 0.1).")


@pytest.mark.parametrize(("representation", "named"), [
    ("ctfidf", "Topic terms: c-TF-IDF, 10 per topic"),
    ("mmr", "Topic terms: c-TF-IDF reranked by MMR (diversity 0.3), 10 per topic"),
    ("keybert", "Topic terms: c-TF-IDF reranked by KeyBERTInspired, 10 per topic"),
])
def test_the_methods_name_the_term_representation(representation, named):
    from stance.config import TopicsConfig
    from stance.report._document import _term_settings

    text = _term_settings(TopicsConfig(representation=representation, stopwords=["said"]))
    assert text.startswith(named)
    assert text.endswith("1-2-grams without English and 1 configured stopwords; words "
                         "frequent in every topic down-weighted (reduce_frequent_words).")


def test_no_seed_theme_sentence_without_seed_themes():
    sizes = {-1: 10, 0: 50, 1: 40}
    assert "No topic matches a seed theme." not in topics_section(run_with_topic_sizes(sizes))
    themed = run_with_topic_sizes(sizes, seed_themes={"economy": ["trade"]})
    assert "No topic matches a seed theme." in topics_section(themed)


def test_the_heatmap_caption_says_when_no_outlet_has_intervals(tmp_path):
    run = run_with_topic_sizes({-1: 10, 0: 50})
    run.run_dir = tmp_path
    run.figures = {"prevalence_heatmap": tmp_path / "figures" / "prevalence_heatmap.svg"}
    run.prevalence = pd.DataFrame({"outlet": ["a", "b"], "topic": [0, 0], "n_documents": [1, 1]})
    assert "Each outlet has one document, so there are no intervals." in topics_section(run)
    run.prevalence["n_documents"] = [1, 4]
    text = topics_section(run)
    assert "no intervals" not in text and "intervals over the outlet's documents" in text


def test_the_topics_table_shows_why_a_theme_matched():
    run = run_with_topic_sizes({-1: 10, 0: 30, 1: 20}, seed_themes={"economics": ["trade"]})
    run.topics.topics = run.topics.topics.assign(
        seed_theme=["", "economics", ""], seed_similarity=[0.1, 0.3585, 0.2],
        seed_words=["", "economy; trade", ""])
    assert '"economics (economy, trade; 0.36)"' in topics_section(run)
    # a run folder written before seed_words existed
    run.topics.topics = run.topics.topics.drop(columns="seed_words")
    assert '"economics (0.36)"' in topics_section(run)


def test_the_methods_give_the_theme_matching_rule():
    from stance.config import TopicsConfig
    from stance.report._document import _theme_matching

    rule = _theme_matching(TopicsConfig(seed_themes={"economics": ["trade"]}))
    assert "cosine similarity to the theme (its name and words, embedded) is at least 0.35, " \
           "or when 2 or more of the theme's words are among its top terms." in rule
    assert _theme_matching(TopicsConfig()) == ""


def test_a_cut_topics_table_says_how_many_it_shows():
    from stance.report._topics import MAX_TOPICS_IN_TABLE

    many = run_with_topic_sizes({-1: 5, **{t: 100 - t for t in range(38)}})
    text = topics_section(many)
    assert f"The largest {MAX_TOPICS_IN_TABLE} of 38 topics (topics.csv has them all)" in text
    assert "Topics, largest first" in topics_section(run_with_topic_sizes({-1: 5, 0: 9, 1: 8}))


def test_a_model_fitted_on_a_sample_says_so_with_its_agreement(tmp_path):
    run = run_with_topic_sizes({-1: 10, 0: 500, 1: 490})
    run.metrics = {"fit_sample": {
        "segments": 300, "of": 1000, "assign": "nearest", "agreement": {
            "segments": 300, "nearest": {"same_topic": 0.934, "ari": 0.861},
            "neighbors": {"same_topic": 0.951, "ari": 0.902}}}}
    text = " ".join(pdf_text(topics_section(run), tmp_path).split())
    assert "fitted on a sample of 300 of 1,000 segments" in text
    assert "2 topics over 1,000 segments; 10 segments (1%) are outliers" in text
    assert "the most similar topic centroid (topics.assign: nearest)" in text
    assert "nearest 93.4% (ARI 0.861); neighbors 95.1% (ARI 0.902)" in text
    assert "fitted on a sample" not in topics_section(run_with_topic_sizes({0: 5, 1: 5}))

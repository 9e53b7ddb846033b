import math

import numpy as np
import pytest

from stance.topics import npmi_coherence, stability, topic_diversity
from stance.topics._quality import EPSILON


def test_npmi_hand_computed():
    texts = ["a b", "a b", "c", "a c"]
    # P(a)=3/4, P(b)=1/2, P(a,b)=1/2: log((1/2)/(3/8)) / -log(1/2)
    expected_ab = math.log((0.5 + EPSILON) / 0.375) / -math.log(0.5 + EPSILON)
    # b and c never share a text: about -1 (gensim's epsilon convention)
    expected_bc = math.log(EPSILON / 0.25) / -math.log(EPSILON)
    scores = npmi_coherence([["a", "b"], ["b", "c"]], texts)
    assert scores == pytest.approx([expected_ab, expected_bc])
    assert npmi_coherence([["a", "b"]], ["a b", "a b", "c"]) == pytest.approx([1.0])


def test_npmi_means_over_pairs_and_handles_ngrams_and_absent_terms():
    texts = ["union state talks", "union state", "trade talks", "trade"]
    [score] = npmi_coherence([["union state", "talks"]], texts)
    p_ab, p_a, p_b = 0.25, 0.5, 0.5
    assert score == pytest.approx(math.log((p_ab + EPSILON) / (p_a * p_b))
                                  / -math.log(p_ab + EPSILON))
    assert npmi_coherence([["trade", "absent"]], texts) == [-1.0]
    assert math.isnan(npmi_coherence([["trade"]], texts)[0])


def test_npmi_uses_top_n_terms_only():
    texts = ["a b", "a b", "c d", "c d"]
    assert npmi_coherence([["a", "b", "c"]], texts, top_n=2) == pytest.approx([1.0])


def test_npmi_matches_gensim_with_one_window_per_document():
    from gensim.corpora import Dictionary
    from gensim.models.coherencemodel import CoherenceModel

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(12)]
    texts = [list(rng.choice(vocab, size=rng.integers(3, 9))) for _ in range(60)]
    topics = [["w0", "w1", "w2", "w3", "w4"], ["w5", "w6", "w7", "w8", "w9"], ["w0", "w5", "w10"]]
    gensim = CoherenceModel(topics=topics, texts=texts, dictionary=Dictionary(texts),
                            coherence="c_npmi", topn=5,
                            window_size=max(len(t) for t in texts)).get_coherence_per_topic()
    ours = npmi_coherence(topics, [" ".join(t) for t in texts], top_n=5, analyzer=str.split)
    assert ours == pytest.approx(gensim, abs=1e-9)


def test_npmi_scales_to_many_texts():
    texts = ["trade economy sanctions", "weapons troops", "economy trade"] * 40_000
    scores = npmi_coherence([["trade", "economy", "sanctions"], ["weapons", "troops"]], texts)
    assert len(scores) == 2 and all(-1 <= s <= 1 for s in scores)


def test_topic_diversity_known_values():
    assert topic_diversity([["a", "b"], ["c", "d"]], k=2) == 1.0
    assert topic_diversity([["a", "b"], ["a", "b"]], k=2) == 0.5
    assert topic_diversity([["a", "b", "x"], ["b", "c", "y"]], k=2) == 0.75
    assert topic_diversity([["a", "b"]], k=25) == 1.0
    assert math.isnan(topic_diversity([], k=10))


def test_stability_ari_over_every_pair_of_fits():
    assert stability([[0, 0, 1, 1, -1], [1, 1, 0, 0, 2], [0, 0, 1, 1, -1]]) == {
        "runs": 3, "ari_mean": 1.0, "ari": [1.0, 1.0, 1.0], "ari_topics_mean": 1.0,
        "ari_topics": [1.0, 1.0, 1.0]}
    pairs = stability([[0, 0, 1, 1], [0, 0, 1, 1], [0, 1, 0, 1]])
    assert pairs["ari"][0] == 1.0 and pairs["ari"][1] < 0.5 and pairs["ari"][2] < 0.5
    assert pairs["ari_mean"] == pytest.approx(sum(pairs["ari"]) / 3)
    assert stability([[0, 1]]) == {"runs": 1, "ari_mean": None, "ari": [],
                                    "ari_topics_mean": None, "ari_topics": []}


def test_stability_without_outliers_is_not_carried_by_agreeing_on_them():
    # two fits that leave the same 8 segments out but split the other 4 differently
    first = [-1] * 8 + [0, 0, 1, 1]
    second = [-1] * 8 + [0, 1, 0, 1]
    scores = stability([first, second])
    assert scores["ari"][0] > 0.4  # the shared outliers look like one agreed cluster
    assert scores["ari_topics"][0] < 0 and scores["ari_topics_mean"] == scores["ari_topics"][0]
    # a pair sharing fewer than two segments in topics has no such score
    assert stability([[-1, -1, 0], [0, -1, -1]])["ari_topics"] == [None]


def test_size_weighted_npmi_is_not_carried_by_a_one_segment_topic():
    import pandas as pd

    from stance.topics._quality import _size_weighted

    topics = pd.DataFrame({"topic": [-1, 0, 1, 2], "size": [7, 1, 29, 12]})
    scores = [0.88, -0.1, float("nan")]  # topics 0, 1, 2; topic 2 unscored
    assert _size_weighted(scores, topics, [0, 1, 2]) == pytest.approx((0.88 - 2.9) / 30)
    assert np.nanmean(scores) == pytest.approx(0.39)  # the plain mean the small topic carries
    assert math.isnan(_size_weighted([float("nan")], topics, [0]))

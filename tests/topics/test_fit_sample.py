"""A model fitted on a stratified sample, and every other segment assigned to its topics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stance.config import TopicsConfig
from stance.data import Segments
from stance.topics import fit_topics, topic_metrics
from stance.topics._assign import NearestTopic, NeighbourVote
from stance.topics._sample import fit_sample_limit, stratified_rows
from tests.conftest import THEMES, embed, make_segments


def dated(n: int) -> tuple[Segments, pd.Series]:
    """``n`` segments from three outlets over four months, and their documents' dates."""
    segments = make_segments(n)
    table = segments.table.assign(outlet=[f"o{i % 3}" for i in range(n)])
    docs = table["doc_id"].unique()
    dates = pd.Series([f"2022-0{1 + i % 4}-15" for i in range(len(docs))], index=docs)
    return Segments(table), dates


def test_sample_keeps_every_segment_up_to_the_limit():
    segments, dates = dated(50)
    assert np.array_equal(stratified_rows(segments, dates, 50, seed=0), np.arange(50))
    assert np.array_equal(stratified_rows(segments, dates, None, seed=0), np.arange(50))
    assert fit_sample_limit("auto") == 100_000
    assert fit_sample_limit(None) is None


def test_sample_keeps_each_outlet_and_months_share():
    segments, dates = dated(1200)
    rows = stratified_rows(segments, dates, 300, seed=1)
    assert len(rows) == 300 and len(set(rows.tolist())) == 300
    assert np.all(np.diff(rows) > 0)
    table = segments.table
    month = table["doc_id"].map(dates).str[:7]
    full = (table["outlet"] + month).value_counts(normalize=True)
    drawn = (table["outlet"] + month).iloc[rows].value_counts(normalize=True)
    # proportional allocation: each stratum within one row of its share of 300
    assert (drawn.reindex(full.index, fill_value=0) * 300 - full * 300).abs().max() <= 1


def test_sample_is_seeded():
    segments, dates = dated(1000)
    first = stratified_rows(segments, dates, 250, seed=3)
    assert np.array_equal(first, stratified_rows(segments, dates, 250, seed=3))
    assert not np.array_equal(first, stratified_rows(segments, dates, 250, seed=4))


def test_nearest_topic_assigns_to_the_closest_centroid_and_keeps_the_outlier_share():
    rng = np.random.default_rng(0)
    centres = np.eye(3, 8, dtype=np.float32)
    vectors = np.repeat(centres, 40, axis=0) + rng.normal(0, 0.05, (120, 8)).astype(np.float32)
    topics = np.repeat([0, 1, 2], 40)
    topics[::10] = -1  # a tenth of the fit in no topic
    nearest = NearestTopic(vectors, topics)
    got = nearest.assign(vectors)
    assert np.array_equal(got[topics != -1][got[topics != -1] != -1],
                          topics[topics != -1][got[topics != -1] != -1])
    assert abs((got == -1).mean() - 0.1) <= 1 / 120
    assert nearest.assign(centres[[2, 0]]).tolist() == [2, 0]


def clusters(n_per: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three tight clusters of ``n_per`` points each in 8 dimensions, and their topics."""
    rng = np.random.default_rng(seed)
    centres = np.eye(3, 8, dtype=np.float32)
    vectors = np.repeat(centres, n_per, axis=0) + rng.normal(0, 0.05, (3 * n_per, 8))
    return vectors.astype(np.float32), np.repeat([0, 1, 2], n_per)


@pytest.mark.integration  # builds a pynndescent index (numba)
def test_an_indexed_vote_equals_the_every_pair_vote_and_is_seeded():
    vectors, topics = clusters(200)
    topics[7] = 5  # one fitted segment of its own topic, inside topic 0's cluster
    queries, _ = clusters(50, seed=1)
    exact = NeighbourVote(vectors, topics, seed=3)  # 600 fitted segments: exact by default
    indexed = [NeighbourVote(vectors, topics, seed=3, exact=False) for _ in range(2)]
    assert exact.index is None and indexed[0].index is not None
    expected = exact.assign(queries)
    assert expected.tolist() == np.repeat([0, 1, 2], 50).tolist()
    assert np.array_equal(indexed[0].assign(queries), expected)
    assert np.array_equal(indexed[1].assign(queries), indexed[0].assign(queries))
    own = np.arange(len(vectors))
    # scored on the fit, a segment never votes for itself: row 7 goes to its neighbours' topic
    for vote in (exact, indexed[0]):
        got = vote.assign(vectors, own)
        assert got[7] == 0
        assert np.array_equal(np.delete(got, 7), np.delete(topics, 7))


def test_fit_on_a_sample_assigns_every_segment_and_reports_agreement(fake):
    segments, dates = dated(400)
    cfg = TopicsConfig(seed_themes=THEMES, fit_sample=150, stability_runs=2)
    result = fit_topics(segments, embed(segments, fake), cfg, seed=42, encoder=fake,
                        dates=dates)
    table = result.assignments
    assert len(table) == 400 and table["fitted"].sum() == 150
    assert table.loc[~table["fitted"], "probability"].isna().all()
    assert table.loc[table["fitted"], "probability"].notna().all()
    assert result.topics["size"].sum() == 400  # sizes count every segment, not the sample
    assert len(result.refits) == 150
    sample = result.params["fit_sample"]
    assert sample["segments"] == 150 and sample["of"] == 400 and sample["assign"] == "neighbors"
    for method in ("nearest", "neighbors"):
        assert 0 <= sample["agreement"][method]["same_topic"] <= 1
    # three well-separated themes: the centroid assignment agrees with the fit
    assert sample["agreement"]["nearest"]["same_topic"] >= 0.9
    theme_of = segments.table["text"].map(
        lambda text: max(THEMES, key=lambda name: sum(w in text.split() for w in THEMES[name])))
    rest = ~table["fitted"] & (table["topic"] != -1)
    purity = pd.crosstab(table.loc[rest, "topic"], theme_of[rest]).max(axis=1).sum() / rest.sum()
    assert purity >= 0.9
    metrics = topic_metrics(result, segments, cfg)
    assert metrics["fit_sample"]["segments"] == 150
    assert metrics["stability"]["runs"] == 2


@pytest.mark.parametrize("assign", ["nearest", "neighbors"])
def test_fit_sample_gives_the_same_topics_twice(fake, assign):
    segments, dates = dated(300)
    cfg = TopicsConfig(seed_themes=THEMES, fit_sample=120, stability_runs=1, assign=assign)
    runs = [fit_topics(segments, embed(segments, fake), cfg, seed=7, encoder=fake, dates=dates)
            for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].assignments, runs[1].assignments)


def test_no_sample_below_the_limit(fake):
    segments, dates = dated(90)
    result = fit_topics(segments, embed(segments, fake), TopicsConfig(stability_runs=1),
                        seed=42, encoder=fake, dates=dates)
    assert result.assignments["fitted"].all()
    assert "fit_sample" not in result.params

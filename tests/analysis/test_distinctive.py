import math

import numpy as np
import pandas as pd
import pytest

from stance.analysis import distinctive_terms
from stance.analysis._distinctive import COLUMNS
from stance.data import Segments


def _segments(texts_by_outlet):
    rows = [(outlet, text) for outlet, texts in texts_by_outlet.items() for text in texts]
    return Segments(pd.DataFrame({
        "seg_id": [f"s{i}" for i in range(len(rows))],
        "doc_id": [f"d{i}" for i in range(len(rows))],
        "outlet": [o for o, _ in rows], "position": 0, "start": 0,
        "end": [len(t) for _, t in rows], "text": [t for _, t in rows]}))


def test_z_matches_the_formula_worked_by_hand():
    # One word per segment, so there are no bigrams: A says apple 3x, pear 1x; B the reverse.
    segs = _segments({"A": ["apple", "apple", "apple", "pear"],
                      "B": ["pear", "pear", "pear", "apple"]})
    table = distinctive_terms(segs, prior=0.25, top_n=1)
    # N = 8 counts, so a_0 = 0.25 * 8 = 2; apple occurs 4 times, so a_apple = 0.25 * 4 = 1.
    # A: y_i = 3, n_i = 4; the rest (B): y_j = 1, n_j = 4.
    delta = math.log((3 + 1) / (4 + 2 - 3 - 1)) - math.log((1 + 1) / (4 + 2 - 1 - 1))
    z = delta / math.sqrt(1 / (3 + 1) + 1 / (1 + 1))  # = 2 ln 2 / sqrt(3/4)
    row_a = table[table["outlet"] == "A"].iloc[0]
    assert list(table.columns) == list(COLUMNS)
    assert row_a["term"] == "apple" and row_a["rank"] == 1
    assert row_a["delta"] == pytest.approx(delta) and row_a["z"] == pytest.approx(z)
    assert (row_a["count_outlet"], row_a["count_rest"]) == (3, 1)
    row_b = table[table["outlet"] == "B"].iloc[0]
    assert row_b["term"] == "pear" and row_b["z"] == pytest.approx(z)


def test_identical_outlets_have_z_near_zero():
    texts = ["troops gathered near the border", "sanctions hit the economy hard",
             "troops and sanctions dominate the talks"]
    table = distinctive_terms(_segments({"A": texts, "B": texts}), prior=0.01, top_n=50)
    assert not table.empty
    assert np.allclose(table["z"], 0.0) and np.allclose(table["delta"], 0.0)


def test_a_word_only_one_outlet_uses_ranks_first():
    common = ["the presidents met for talks", "talks covered trade and energy"]
    segs = _segments({
        "A": common + ["the dictators met", "dictators discussed trade", "dictators again"],
        "B": common * 2 + ["energy prices rose"]})
    table = distinctive_terms(segs, prior=0.01, top_n=5)
    top_a = table[table["outlet"] == "A"].sort_values("rank")
    assert top_a.iloc[0]["term"] == "dictators" and top_a.iloc[0]["z"] > 0
    assert top_a.iloc[0]["count_rest"] == 0
    assert (table.groupby("outlet")["rank"].max() <= 5).all()


def test_outlet_names_do_not_count_as_terms():
    segs = _segments({
        "Army Recognition": ["Follow Army Recognition on Google", "Army Recognition news",
                             "the army moved tanks"],
        "TSN.ua": ["TSN.ua collected details", "TSN.ua reports tanks", "army moved"]})
    table = distinctive_terms(segs, prior=0.01, top_n=20,
                              outlet_names=["Army Recognition", "TSN.ua"])
    terms = set(table["term"])
    assert not terms & {"recognition", "army recognition", "tsn", "ua", "tsn ua"}
    assert "army" in terms  # the word alone still counts


def test_one_outlet_gives_an_empty_table():
    table = distinctive_terms(_segments({"A": ["apple pie", "apple tart"]}), prior=0.01,
                              top_n=5)
    assert table.empty and list(table.columns) == list(COLUMNS)


def test_twenty_thousand_segments_stay_sparse():
    rng = np.random.default_rng(0)
    words = np.array([f"word{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(2000)])
    texts = [" ".join(rng.choice(words, 12)) for _ in range(20_000)]
    outlets = {f"outlet{k}": texts[k::5] for k in range(5)}
    table = distinctive_terms(_segments(outlets), prior=0.01, top_n=10)
    assert len(table) == 50 and table["z"].notna().all()


def test_the_familywise_line_grows_with_the_terms_tested():
    from stance.analysis import familywise_z

    # Bonferroni, two-sided 5%: one term is the usual 1.96
    assert familywise_z(1) == pytest.approx(1.95996, abs=1e-4)
    assert familywise_z(np.array([1000, 10_000])) == pytest.approx([4.056, 4.565], abs=1e-3)
    segs = _segments({"A": ["apple pie", "apple tart", "pear"], "B": ["pear", "plum"]})
    table = distinctive_terms(segs, prior=0.01, top_n=2)
    # only terms in two or more segments are scored: A uses apple and pear, B pear
    assert dict(zip(table["outlet"], table["n_tested"], strict=False)) == {"A": 2, "B": 1}


def test_the_report_counts_terms_past_chance_and_names_outlets_with_none():
    from stance.report._framing import _distinctive_table

    terms = pd.DataFrame({"outlet": ["A", "A", "B", "B"], "term": ["war", "tanks", "talks", "gas"],
                          "z": [4.5, 3.0, 2.5, 0.4], "n_tested": [1000, 1000, 10, 10]})
    text = _distinctive_table(terms)
    assert '"war (4.5), tanks (3.0)"' in text
    assert '"1 of 2 (z > 4.1)"' in text and '"0 of 2 (z > 2.8)"' in text
    assert "No term of B passes it, so nothing in its list is evidence" in text
    assert "many pass z = 1.96 by chance alone" in text


def test_the_figure_draws_each_outlets_line():
    from stance.report import plot_ranked_terms

    terms = pd.DataFrame({"outlet": ["A", "A", "B"], "term": ["war", "tanks", "talks"],
                          "z": [3.2, 1.5, 1.9]})
    fig = plot_ranked_terms(terms, "outlet", "term", "z", title="t",
                            threshold={"A": 4.1, "B": 3.3})
    assert [line.get_xdata()[0] for ax in fig.axes for line in ax.get_lines()] == [4.1, 3.3]

import numpy as np
import pandas as pd

from stance.analysis import SHARE_COLUMNS, actor_stance_over_time, tabulate_actor_stance
from stance.config import AnalysisConfig


def _mentions():
    rows = []
    # outlet A: four documents, each with a negative and a neutral mention of Putin
    for d in range(4):
        for stance in ("negative", "neutral"):
            rows.append(("Putin", "A", f"a{d}", f"2022-0{d + 1}-15", stance))
    rows.append(("Putin", "B", "b0", "2022-01-20", "positive"))  # one document
    rows.append(("Lukashenko", "A", "a0", "2022-01-15", "negative"))
    return pd.DataFrame(rows, columns=["actor", "outlet", "doc_id", "date", "stance"]).assign(
        date=lambda t: pd.to_datetime(t["date"]))


def test_shares_per_actor_and_outlet_with_intervals_over_documents():
    table = tabulate_actor_stance(_mentions(), AnalysisConfig(n_bootstrap=200), seed=3)
    assert list(table.columns) == ["actor", "outlet", "mentions", "documents",
                                   *SHARE_COLUMNS, "net"]
    putin_a = table.set_index(["actor", "outlet"]).loc[("Putin", "A")]
    assert (putin_a["mentions"], putin_a["documents"]) == (8, 4)
    assert (putin_a["share_negative"], putin_a["share_neutral"]) == (0.5, 0.5)
    assert putin_a["share_positive"] == 0 and putin_a["net"] == -0.5
    # every document holds the same mix, so no resample moves the negative share
    assert putin_a["low_negative"] == putin_a["high_negative"] == 0.5
    # no positive mention in 4 documents: the exact bound, not a certain zero
    assert putin_a["low_positive"] == 0 and np.isclose(putin_a["high_positive"],
                                                       1 - 0.025 ** (1 / 4))
    shares = table[[f"share_{c}" for c in ("negative", "neutral", "positive")]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    one_document = table.set_index(["actor", "outlet"]).loc[("Putin", "B")]
    assert np.isnan(one_document["low_positive"]) and one_document["share_positive"] == 1


def test_intervals_are_reproducible_and_bracket_the_share():
    mentions = _mentions()
    mentions.loc[mentions["doc_id"] == "a3", "stance"] = "positive"
    first = tabulate_actor_stance(mentions, AnalysisConfig(n_bootstrap=300), seed=3)
    again = tabulate_actor_stance(mentions, AnalysisConfig(n_bootstrap=300), seed=3)
    pd.testing.assert_frame_equal(first, again)
    row = first.set_index(["actor", "outlet"]).loc[("Putin", "A")]
    for cls in ("negative", "neutral", "positive"):
        assert row[f"low_{cls}"] <= row[f"share_{cls}"] <= row[f"high_{cls}"]
    assert row["low_negative"] < row["high_negative"]


def test_over_time_per_period_leaves_undated_mentions_out():
    mentions = _mentions()
    mentions.loc[len(mentions)] = ("Putin", "B", "b1", pd.NaT, "negative")
    table = actor_stance_over_time(mentions, AnalysisConfig(time_freq="M", n_bootstrap=100),
                                   seed=3)
    assert table.attrs["period"] == "month"
    putin_a = table[(table["actor"] == "Putin") & (table["outlet"] == "A")]
    assert putin_a["period"].dt.month.tolist() == [1, 2, 3, 4]
    assert (putin_a["mentions"] == 2).all() and (putin_a["share_negative"] == 0.5).all()
    assert table[table["outlet"] == "B"]["mentions"].sum() == 1  # the undated one left out
    assert actor_stance_over_time(mentions.assign(date=pd.NaT), AnalysisConfig(),
                                  seed=3).empty

import numpy as np
import pandas as pd
import pytest

from stance.analysis import choose_period, topic_prevalence, topics_over_time
from stance.config import AnalysisConfig
from stance.data import Corpus, Segments


def _setup():
    # Outlet A: 4 documents x 3 segments; outlet B: 2 documents x 2 segments.
    rows, topics = [], []
    for outlet, n_docs, n_segs in (("A", 4, 3), ("B", 2, 2)):
        for d in range(n_docs):
            for s in range(n_segs):
                doc = f"{outlet}{d}"
                rows.append((f"{doc}:{s}", doc, outlet, s, 0, 1, "x"))
                topics.append(0 if (outlet == "A" and d < 2) or outlet == "B" else 1)
    segs = Segments(pd.DataFrame(rows, columns=["seg_id", "doc_id", "outlet", "position",
                                                "start", "end", "text"]))
    assignments = pd.DataFrame({"seg_id": segs.table["seg_id"], "topic": topics})
    return segs, assignments


def test_prevalence_shares_sum_to_one_and_intervals_bracket():
    segs, assignments = _setup()
    table = topic_prevalence(assignments, segs, AnalysisConfig(n_bootstrap=500), seed=1)
    assert np.allclose(table.groupby("outlet")["share"].sum(), 1.0)
    assert (table["low"] <= table["share"] + 1e-12).all()
    assert (table["share"] <= table["high"] + 1e-12).all()
    a0 = table[(table.outlet == "A") & (table.topic == 0)].iloc[0]
    assert a0.share == 0.5 and a0.n_documents == 4 and a0.n_segments == 6
    assert a0.low < 0.5 < a0.high  # documents disagree, so the interval has width
    b0 = table[(table.outlet == "B") & (table.topic == 0)].iloc[0]
    assert b0.share == b0.high == 1.0


def test_a_share_no_resample_can_move_gets_the_exact_interval_over_documents():
    # outlet B: both documents wholly in topic 0, none in topic 1; every resample agrees,
    # yet two documents cannot make a share of 1 (or 0) certain
    segs, assignments = _setup()
    table = topic_prevalence(assignments, segs, AnalysisConfig(n_bootstrap=500), seed=1)
    b = table[table.outlet == "B"].set_index("topic")
    bound = 0.025 ** (1 / 2)  # Clopper-Pearson, 0 or 2 of 2 documents, 2.5% per tail
    assert b.loc[0, ["share", "low", "high"]].tolist() == pytest.approx([1.0, bound, 1.0])
    assert b.loc[1, ["share", "low", "high"]].tolist() == pytest.approx([0.0, 0.0, 1 - bound])
    # the more documents agree, the narrower: 0 of 40 documents gives about 3/40
    rows = [(f"D{d}:0", f"D{d}", "D", 0, 0, 1, "x") for d in range(40)]
    many = Segments(pd.DataFrame(rows, columns=segs.table.columns))
    both = pd.DataFrame({"seg_id": many.table["seg_id"], "topic": 0})
    other = pd.DataFrame({"seg_id": ["E0:0", "E1:0"], "topic": 1})
    e = Segments(pd.DataFrame([(f"E{d}:0", f"E{d}", "E", 0, 0, 1, "x") for d in range(2)],
                              columns=segs.table.columns))
    table = topic_prevalence(pd.concat([both, other]),
                             Segments(pd.concat([many.table, e.table], ignore_index=True)),
                             AnalysisConfig(), seed=1)
    d1 = table[(table.outlet == "D") & (table.topic == 1)].iloc[0]
    assert d1.low == 0.0 and 0.08 < d1.high < 0.09


def test_single_document_outlet_has_no_interval():
    segs, assignments = _setup()
    lone = Segments(pd.DataFrame([("C0:0", "C0", "C", 0, 0, 1, "x"), ("C0:1", "C0", "C", 1, 0, 1,
                                                                     "x")],
                                 columns=segs.table.columns))
    both = Segments(pd.concat([segs.table, lone.table], ignore_index=True))
    extra = pd.DataFrame({"seg_id": ["C0:0", "C0:1"], "topic": [0, 1]})
    table = topic_prevalence(pd.concat([assignments, extra]), both, AnalysisConfig(), seed=1)
    c = table[table.outlet == "C"]
    assert c["share"].tolist() == [0.5, 0.5] and c["n_documents"].eq(1).all()
    assert c["low"].isna().all() and c["high"].isna().all()  # one document: no interval
    assert table[table.outlet != "C"]["low"].notna().all()


def test_another_outlet_leaves_the_others_intervals_as_they_were():
    # documents of varied length and topic mix, so intervals move with the resampling
    data = np.random.default_rng(0)
    rows, topics = [], []
    for outlet in ("0", "A", "B"):  # "0" sorts first: resampled before A and B
        for d in range(8):
            for k in range(int(data.integers(1, 6))):
                rows.append((f"{outlet}{d}:{k}", f"{outlet}{d}", outlet, k, 0, 1, "x"))
                topics.append(int(data.integers(0, 3)))
    segs = Segments(pd.DataFrame(rows, columns=["seg_id", "doc_id", "outlet", "position",
                                                "start", "end", "text"]))
    assignments = pd.DataFrame({"seg_id": segs.table["seg_id"], "topic": topics})
    cfg = AnalysisConfig(n_bootstrap=200)
    table = topic_prevalence(assignments, segs, cfg, seed=1)
    others = segs.table["outlet"] != "0"
    alone = topic_prevalence(assignments[others.to_numpy()],
                             Segments(segs.table[others].reset_index(drop=True)), cfg, seed=1)
    pd.testing.assert_frame_equal(table[table.outlet != "0"].reset_index(drop=True), alone)


def test_prevalence_is_seeded():
    segs, assignments = _setup()
    cfg = AnalysisConfig(n_bootstrap=200)
    assert topic_prevalence(assignments, segs, cfg, seed=3).equals(
        topic_prevalence(assignments, segs, cfg, seed=3))


def test_topics_over_time_and_missing_dates():
    segs, assignments = _setup()
    docs = pd.DataFrame({"doc_id": sorted(segs.table["doc_id"].unique()), "outlet": "x",
                         "title": "", "text": "t"})
    docs["date"] = pd.to_datetime(["2022-01-05", "2022-02-03", "2022-02-20", "2022-03-01",
                                   None, "2022-03-15"])
    over_time = topics_over_time(assignments, segs, Corpus(docs), AnalysisConfig(time_freq="M"))
    assert np.allclose(over_time.groupby("period")["share"].sum(), 1.0)
    assert over_time["period"].nunique() == 3
    # every topic in every period: topic 1 has no segment in January, and says so
    assert len(over_time) == 6
    january = over_time[over_time["period"] == pd.Timestamp("2022-01-01")].set_index("topic")
    assert january.loc[1, ["share", "n_segments"]].tolist() == [0.0, 0]
    assert january.loc[0, "share"] == 1.0
    assert over_time.attrs["period"] == "month"
    docs["date"] = pd.NaT
    assert topics_over_time(assignments, segs, Corpus(docs), AnalysisConfig()).empty


def test_a_period_without_segments_is_no_data_and_breaks_the_lines():
    from stance.report import plot_topics_over_time

    segs, assignments = _setup()
    docs = pd.DataFrame({"doc_id": sorted(segs.table["doc_id"].unique()), "outlet": "x",
                         "title": "", "text": "t"})
    # nothing dated in February or March
    docs["date"] = pd.to_datetime(["2022-01-05", "2022-01-06", "2022-04-20", "2022-04-21",
                                   "2022-04-22", "2022-04-23"])
    over_time = topics_over_time(assignments, segs, Corpus(docs), AnalysisConfig(time_freq="M"))
    assert over_time["period"].nunique() == 4
    gap = over_time[over_time["period"].isin(pd.to_datetime(["2022-02-01", "2022-03-01"]))]
    assert len(gap) == 4 and gap["share"].isna().all() and (gap["n_segments"] == 0).all()
    filled = over_time.dropna(subset=["share"])
    assert np.allclose(filled.groupby("period")["share"].sum(), 1.0)
    fig = plot_topics_over_time(over_time, {0: "a", 1: "b"})
    line = fig.axes[0].get_lines()[0]
    assert np.isnan(np.asarray(line.get_ydata(), dtype=float)).sum() == 2
    assert fig.axes[0].get_ylabel() == "share of segments per month"


def test_choose_period():
    days = pd.Series(pd.to_datetime(["2020-01-01", "2020-01-20"]))
    assert choose_period(days) == "D"
    assert choose_period(pd.Series(pd.to_datetime(["2020-01-01", "2023-01-01"]))) == "M"
    assert choose_period(pd.Series(pd.to_datetime(["2000-01-01", "2008-01-01"]))) == "Q"
    assert choose_period(pd.Series(pd.to_datetime(["1900-01-01", "2020-01-01"]))) == "Y"

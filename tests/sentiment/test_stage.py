import logging

import numpy as np
import pandas as pd
import pytest

from stance.analysis import find_mentions
from stance.config import ActorStanceConfig
from stance.corpus import load_lexicon
from stance.data import Segments
from stance.errors import StanceError
from stance.sentiment import (
    SPAN_COLUMNS,
    check_stance_inputs,
    load_stance_model,
    measure_actor_stance,
    mention_spans,
    read_stance_labels,
    stance_rows,
)

ACTORS = {"Putin": ["Putin", "Vladimir Putin"], "Lukashenko": ["Lukashenko", "Lukashenka"]}
TEXTS = {
    "a1": "Critics condemned Lukashenko for the crackdown. Putin met officials on Tuesday.",
    "a2": "Voters praised Putin for the reforms.\n\nLukashenko arrived in the capital.",
    "b1": "Protesters denounced Lukashenko as a dictator. Allies applauded Putin after it.",
    "b2": "Lukashenko was accused of fraud.",
}


def _segments(texts=TEXTS):
    return Segments(pd.DataFrame({
        "seg_id": [f"{d}:0" for d in texts], "doc_id": list(texts),
        "outlet": [d[0].upper() for d in texts], "position": 0, "start": 0,
        "end": [len(t) for t in texts.values()], "text": list(texts.values())}))


def _mentions(segments, actors=ACTORS):
    return find_mentions(segments, actors, load_lexicon())


DATES = pd.Series(pd.to_datetime(["2022-01-03", "2022-02-07", "2022-01-10", "2022-03-01"]),
                  index=list(TEXTS))
PROBA = ["p_negative", "p_neutral", "p_positive"]


def _rows(segments, cfg=None, actors=ACTORS):
    """The rows of actor_stance.csv for every mention, each predicted neutral."""
    texts = segments.table.set_index("seg_id")["text"]
    spans = mention_spans(_mentions(segments, actors), texts, DATES, cfg or ActorStanceConfig())
    return stance_rows(spans.assign(stance="neutral", p_negative=0.0, p_neutral=1.0,
                                    p_positive=0.0), texts)


def test_each_mention_reads_its_own_sentence_with_offsets_into_it():
    segments = _segments()
    table = _rows(segments)
    assert len(table) == 7
    for row in table.itertuples():
        assert row.sentence[row.mention_start:row.mention_end] == row.mention
        assert row.context[row.context_start:row.context_end] == row.mention
        assert row.context == row.sentence  # short sentences are read whole
    a1 = table[table["doc_id"] == "a1"].set_index("actor")
    assert a1.loc["Lukashenko", "sentence"] == "Critics condemned Lukashenko for the crackdown."
    assert a1.loc["Putin", "sentence"] == "Putin met officials on Tuesday."
    # a paragraph break ends a sentence even without a full stop before it
    assert table[table["doc_id"] == "a2"].set_index("actor").loc[
        "Lukashenko", "sentence"] == "Lukashenko arrived in the capital."
    assert table.loc[table["doc_id"] == "b2", "date"].iloc[0] == pd.Timestamp("2022-03-01")


def test_a_long_sentence_and_the_window_unit_read_words_around_the_mention():
    filler = " ".join(f"w{i}" for i in range(100))
    text = f"{filler} Lukashenko {filler}."
    segments = _segments({"a1": text})
    row = _rows(segments, ActorStanceConfig(window_words=5)).iloc[0]
    assert row.sentence == text
    assert row.context == "w95 w96 w97 w98 w99 Lukashenko w0 w1 w2 w3 w4"
    assert row.context[row.context_start:row.context_end] == "Lukashenko"
    # the window unit crosses sentence ends: a mention reads its neighbours' words
    segments = _segments({"a1": "Zero one two three four five. Lukashenko spoke. Six seven "
                                "eight nine ten eleven."})
    window = _rows(segments, ActorStanceConfig(unit="window", window_words=5)).iloc[0]
    assert window.context == "one two three four five. Lukashenko spoke. Six seven eight nine"
    assert window.sentence == "Lukashenko spoke."


def test_an_actor_with_no_mention_stops_the_run_and_unused_aliases_are_named(
        tiny_model, tmp_path, caplog):
    segments = _segments()
    with pytest.raises(StanceError, match=r"^actors.Zelensky: no mention in the corpus "
                                          r"\(aliases: Zelensky, Zelenskyy\)"):
        check_stance_inputs(_mentions(segments), {**ACTORS, "Zelensky": ["Zelensky",
                                                                          "Zelenskyy"]},
                            ActorStanceConfig())
    with caplog.at_level(logging.WARNING):
        result = measure_actor_stance(_mentions(segments), segments, DATES,
                                      ActorStanceConfig(model=str(tiny_model)), actors=ACTORS,
                                      cache_dir=tmp_path, seed=1, n_bootstrap=100)
    assert result.evaluation["aliases_without_mentions"] == {"Putin": ["Vladimir Putin"],
                                                             "Lukashenko": ["Lukashenka"]}
    assert "actors.Putin: no mention uses the alias(es) 'Vladimir Putin'" in caplog.text


def test_the_stage_predicts_every_mention_and_scores_the_labels(tiny_model, tmp_path):
    segments = _segments()
    labels = tmp_path / "labels.csv"
    pd.DataFrame({
        "doc_id": ["a1", "a1", "b1", "b2"],
        "sentence": ["Critics condemned Lukashenko for the crackdown.",
                     "Putin met officials on Tuesday.",
                     "Protesters denounced Lukashenko as a dictator.",
                     "Lukashenko was accused of fraud."],
        "mention": ["Lukashenko", "Putin", "Lukashenko", "Lukashenko"],
        "stance": ["negative", "neutral", "Negative", "negative"],
        "rationale": ["condemned", "a meeting", "denounced", "accused"]}).to_csv(labels,
                                                                                index=False)
    cfg = ActorStanceConfig(model=str(tiny_model), labels=labels)
    result = measure_actor_stance(_mentions(segments), segments, DATES, cfg, actors=ACTORS,
                                  cache_dir=tmp_path, seed=1, n_bootstrap=100)
    table = result.mentions
    # offsets into the segments, not copies of the sentences
    assert list(table.columns) == [*SPAN_COLUMNS, "stance", *PROBA] and len(table) == 7
    assert set(table["stance"]) <= {"negative", "neutral", "positive"}
    assert ((table[PROBA].sum(axis=1) - 1).abs() < 1e-5).all()
    chosen = table[PROBA].to_numpy().argmax(1)
    assert (table["stance"].to_numpy() == pd.Index(
        ["negative", "neutral", "positive"])[chosen]).all()
    agreement = result.evaluation["labels"]
    assert agreement["mentions"] == 4 and agreement["documents"] == 3
    assert agreement["label_counts"] == {"negative": 3, "neutral": 1, "positive": 0}
    labelled = result.labelled
    assert (labelled["label"] == ["negative", "neutral", "negative", "negative"]).all()
    assert agreement["accuracy"] == (labelled["label"] == labelled["stance"]).mean()
    assert sum(map(sum, agreement["confusion"])) == 4
    assert result.evaluation["model"]["scores"]["rw-test"]["macro_f1"] > 0


def test_adapting_holds_each_outlet_out_then_tunes_on_every_label(tiny_model, tmp_path):
    segments = _segments()
    rows = _rows(segments)
    truth = {"a1": "negative", "b1": "negative", "b2": "negative", "a2": "neutral"}
    labels = rows.assign(stance=[truth[d] if a == "Lukashenko" else "positive"
                                 for d, a in zip(rows["doc_id"], rows["actor"], strict=True)])
    path = tmp_path / "labels.csv"
    labels.rename(columns={"mention_start": "start", "mention_end": "end"})[
        ["doc_id", "sentence", "mention", "start", "end", "stance"]].to_csv(path, index=False)
    plain = measure_actor_stance(_mentions(segments), segments, DATES,
                                 ActorStanceConfig(model=str(tiny_model), labels=path),
                                 actors=ACTORS, cache_dir=tmp_path, seed=1, n_bootstrap=100)
    cfg = ActorStanceConfig(model=str(tiny_model), labels=path, adapt=True, adapt_epochs=3)
    adapted = measure_actor_stance(_mentions(segments), segments, DATES, cfg, actors=ACTORS,
                                   cache_dir=tmp_path, seed=1, n_bootstrap=100)
    scores = adapted.evaluation["adaptation"]
    assert scores["outlets_held_out"] == 2 and scores["epochs"] == 3
    assert scores["unadapted"]["macro_f1"] == plain.evaluation["labels"]["macro_f1"]
    assert set(adapted.labelled["adapted_held_out"]) <= {"negative", "neutral", "positive"}
    # the corpus is predicted by the model tuned on every label, not the shipped one
    assert not adapted.mentions["p_negative"].equals(plain.mentions["p_negative"])
    one_outlet = labels[labels["outlet"] == "A"].rename(
        columns={"mention_start": "start", "mention_end": "end"})
    one_outlet[["doc_id", "sentence", "mention", "start", "end", "stance"]].to_csv(
        path, index=False)
    with pytest.raises(StanceError, match="the labels come from one outlet"):
        measure_actor_stance(_mentions(segments), segments, DATES, cfg, actors=ACTORS,
                             cache_dir=tmp_path, seed=1, n_bootstrap=100)


@pytest.mark.parametrize(("row", "message"), [
    ({"stance": "hostile"}, r"labels.csv:2: stance 'hostile' is not one of negative, "
                            r"neutral, positive"),
    ({"start": "0", "end": "99"}, r"labels.csv:2: offsets 0-99 lie outside the sentence"),
    ({"start": "0", "end": "5"}, r"labels.csv:2: offsets 0-5 hold 'Putin', not the mention "
                                 r"'Lukashenko'"),
    ({"sentence": "Putin met Lukashenko, then Lukashenko left."},
     r"labels.csv:2: the mention 'Lukashenko' occurs 2 times in the sentence"),
    ({"mention": "Zelensky"}, r"labels.csv:2: the mention 'Zelensky' does not occur"),
    ({"start": "a", "end": "b"}, r"labels.csv:2: start and end must be whole numbers"),
])
def test_bad_label_rows_are_named_by_line(tmp_path, row, message):
    good = {"doc_id": "a1", "sentence": "Putin met Lukashenko.", "mention": "Lukashenko",
            "start": "", "end": "", "stance": "neutral"}
    path = tmp_path / "labels.csv"
    pd.DataFrame([{**good, **row}]).to_csv(path, index=False)
    with pytest.raises(StanceError, match=message):
        read_stance_labels(path)


def test_a_labels_file_without_a_column_or_a_label_no_mention_matches(tiny_model, tmp_path):
    path = tmp_path / "labels.csv"
    pd.DataFrame({"doc_id": ["a1"], "sentence": ["x"], "stance": ["neutral"]}).to_csv(path)
    with pytest.raises(StanceError, match=r"labels.csv: no column mention"):
        read_stance_labels(path)
    pd.DataFrame({"doc_id": ["a1"], "sentence": ["Putin met officials on Tuesday"],
                  "mention": ["Putin"], "stance": ["neutral"]}).to_csv(path, index=False)
    segments = _segments()
    with pytest.raises(StanceError, match=r"labels.csv:2: no actor mention 'Putin' at 0-5 in "
                                          r"that sentence of document a1"):
        measure_actor_stance(_mentions(segments), segments, DATES,
                             ActorStanceConfig(model=str(tiny_model), labels=path),
                             actors=ACTORS, cache_dir=tmp_path, seed=1, n_bootstrap=100)


def _many_mentions():
    """70 segments of different lengths naming both leaders: 140 distinct mentions, five batches."""
    names = ["Putin", "Lukashenko"]
    texts = {f"{'ab'[i % 2]}{i:02d}": f"{names[i % 2]} {' '.join(['spoke'] * (i % 9))} on "
                                      f"day {i}. Critics condemned {names[(i + 1) % 2]} "
                                      f"in vote {i}." for i in range(70)}
    segments = _segments(texts)
    dates = pd.Series(pd.Timestamp("2022-01-03"), index=list(texts))
    return segments, dates


def test_the_probabilities_do_not_depend_on_how_the_mentions_are_cut(tiny_model, tmp_path):
    segments, dates = _many_mentions()
    cfg = ActorStanceConfig(model=str(tiny_model))
    runs = [measure_actor_stance(_mentions(segments), segments, dates, cfg, actors=ACTORS,
                                 cache_dir=tmp_path, seed=1, n_bootstrap=100,
                                 partition_size=size) for size in (32, 64, 100_000)]
    assert len(runs[0].mentions) == 140 and runs[0].evaluation["distinct_contexts"] == 140
    for other in runs[1:]:
        pd.testing.assert_frame_equal(other.mentions, runs[0].mentions)


def test_a_context_repeated_in_other_outlets_is_read_once(tiny_model, tmp_path):
    # wire copy: C runs a1 and b2 word for word; c3 names Putin twice in one sentence
    texts = {**TEXTS, "c1": TEXTS["a1"], "c2": TEXTS["b2"],
             "c3": "Putin praised Lukashenko while critics condemned Putin."}
    segments = _segments(texts)
    dates = pd.Series(pd.Timestamp("2022-01-03"), index=list(texts))
    result = measure_actor_stance(_mentions(segments), segments, dates,
                                  ActorStanceConfig(model=str(tiny_model)), actors=ACTORS,
                                  cache_dir=tmp_path, seed=1, n_bootstrap=100)
    table = result.mentions
    assert len(table) == 7 + 2 + 1 + 3
    # the three copied mentions are not read again; c3's three mentions are three reads
    assert result.evaluation["distinct_contexts"] == 10
    by_mention = table.set_index(["doc_id", "seg_start"])
    for original, copy in (("a1", "c1"), ("b2", "c2")):
        pd.testing.assert_frame_equal(by_mention.loc[copy, ["stance", *PROBA]],
                                      by_mention.loc[original, ["stance", *PROBA]])
    # every mention has the probabilities the model gives its own context
    rows = stance_rows(table, segments.table.set_index("seg_id")["text"])
    spans = list(zip(rows["context_start"], rows["context_end"], strict=True))
    expected = load_stance_model(str(tiny_model)).predict_proba(list(rows["context"]), spans)
    np.testing.assert_allclose(rows[PROBA].to_numpy(), expected, atol=2e-6)
    assert rows.loc[rows["doc_id"] == "c3", "mention_start"].tolist() == [0, 14, 49]


@pytest.mark.integration  # a LocalCluster of two worker processes
def test_workers_predict_the_same_probabilities_a_slice_at_a_time(tiny_model, tmp_path):
    from stance.compute import open_cluster
    from stance.config import ComputeConfig

    segments, dates = _many_mentions()
    cfg = ActorStanceConfig(model=str(tiny_model))
    settings = dict(actors=ACTORS, cache_dir=tmp_path, seed=1, n_bootstrap=100,
                    partition_size=32)
    here = measure_actor_stance(_mentions(segments), segments, dates, cfg, **settings)
    with open_cluster(ComputeConfig(cluster="local", workers=2)) as client:
        # five slices, at most four in flight: the rest are sent as the first come back
        there = measure_actor_stance(_mentions(segments), segments, dates, cfg,
                                     client=client, **settings)
    pd.testing.assert_frame_equal(there.mentions, here.mentions)

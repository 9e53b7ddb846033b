import json

import numpy as np
import pandas as pd
import pytest

from stance.config import AnalysisConfig, FramingConfig, SegmentationConfig
from stance.corpus import segment_corpus
from stance.data import Corpus
from stance.errors import StanceError
from stance.framing import labelled_units, merge_groups
from stance.framing._folds import grouped_folds, random_folds
from stance.framing._notes import small_n_warning
from stance.framing._scores import per_group_scores
from stance.report._framing import _calibration_method, _copies_left_out
from stance.stats import bootstrap_macro_f1, bootstrap_macro_f1_gap
from tests.conftest import EXPERIMENTS, evaluate

CUES = {"delegitimising": "the self-proclaimed dictator and his illegitimate regime",
        "official-sourced": "the president's press service stated in an official statement",
        "neutral-wire": "according to wire reports the leaders met for talks"}
FILLER = "talks on trade energy security weapons union state sanctions economy border".split()


def make_corpus(plan, *, seed=0, dup_pairs=()):
    """A corpus from (outlet, framing, n_documents) rows; each document has three paragraphs.

    ``dup_pairs`` makes the second document of each pair a near-copy of the first.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for outlet, label, n_docs in plan:
        for _ in range(n_docs):
            paragraphs = [f"{outlet} reports: {CUES.get(label, 'the leaders met')} "
                          + " ".join(rng.choice(FILLER, 8)) for _ in range(3)]
            rows.append({"doc_id": f"d{len(rows):02d}", "outlet": outlet, "title": "",
                         "date": pd.NaT, "text": "\n\n".join(paragraphs), "framing": label})
    docs = pd.DataFrame(rows)
    docs["dup_group"] = docs["doc_id"]
    for first, copy in dup_pairs:
        docs.loc[docs["doc_id"] == copy, ["text", "dup_group"]] = [
            docs.loc[docs["doc_id"] == first, "text"].iloc[0], first]
    corpus = Corpus(docs, ("framing",))
    return corpus, segment_corpus(corpus, SegmentationConfig(min_words=1))


def balanced_plan(n_outlets=6):
    """Outlets alternate their main class and each also has one document of the other."""
    plan = []
    for i in range(n_outlets):
        main, other = (("delegitimising", "official-sourced") if i % 2 else
                       ("official-sourced", "delegitimising"))
        plan += [(f"O{i}", main, 2), (f"O{i}", other, 1)]
    return plan


def config(**update):
    return FramingConfig(features=["tfidf_words", "lexicon"], n_bootstrap=100, **update)


def one_line(excinfo):
    message = str(excinfo.value)
    assert "\n" not in message and len(excinfo.value.problems) == 1
    return message


@pytest.fixture(scope="module")
def evaluated():
    corpus, segments = make_corpus(balanced_plan(), dup_pairs=[("d00", "d03")])
    cfg = config()
    return corpus, segments, cfg, evaluate(corpus, segments, cfg, seed=7)


def test_grouped_cv_never_has_an_outlet_in_train_and_test(evaluated):
    _, _, _, result = evaluated
    predictions = result.predictions
    for fold in predictions["fold"].unique():
        test = set(predictions.loc[predictions["fold"] == fold, "outlet"])
        train = set(predictions.loc[predictions["fold"] != fold, "outlet"])
        assert test and not test & train


def test_grouped_kfold_keeps_groups_whole():
    groups = np.repeat([f"g{i}" for i in range(15)], 4)
    y = np.tile(["a", "b"], 30)
    name, folds = grouped_folds(y, groups, config(), seed=1)
    assert name == "stratified_group_kfold" and len(np.unique(folds)) == 5
    assert (pd.Series(folds).groupby(groups).nunique() == 1).all()


def test_near_duplicates_join_their_outlets_into_one_fold(evaluated):
    _, _, _, result = evaluated
    predictions = result.predictions
    copies = predictions[predictions["doc_id"].isin(["d00", "d03"])]
    assert copies["fold"].nunique() == 1 and set(copies["group"]) == {"O0 + O1"}
    assert result.metrics["n_groups"] == result.metrics["n_outlets"] - 1
    assert merge_groups(["A", "B", "C", "D"], ["x", "y", "x", "y"]).tolist() == [
        "A + C", "B + D", "A + C", "B + D"]


def test_random_split_keeps_a_documents_segments_together():
    corpus, segments = make_corpus(balanced_plan())
    units = labelled_units(corpus, segments, config())
    table = units.table
    _, folds = random_folds(table["label"].to_numpy(), table["doc_id"].to_numpy(), config(),
                            seed=3)
    assert (pd.Series(folds).groupby(table["doc_id"].to_numpy()).nunique() == 1).all()
    assert len(np.unique(folds)) == 5
    # Random with respect to outlets: some outlet is spread over several folds.
    assert pd.Series(folds).groupby(table["outlet"].to_numpy()).nunique().max() > 1


def test_the_random_split_keeps_near_copies_in_one_fold(monkeypatch):
    import stance.framing._evaluate

    pairs = [("d00", "d03"), ("d01", "d10")]
    corpus, segments = make_corpus(balanced_plan(), dup_pairs=pairs)
    seen = {}

    def spy(y, together, cfg, *, seed):
        seen["name"], seen["folds"] = random_folds(y, together, cfg, seed=seed)
        return seen["name"], seen["folds"]

    monkeypatch.setattr(stance.framing._evaluate, "random_folds", spy)
    result = evaluate(corpus, segments, config(), seed=7)
    docs = labelled_units(corpus, segments, config()).table["doc_id"].to_numpy()
    folds = pd.Series(seen["folds"])
    for pair in pairs:  # the copy is in the same fold as its first, whatever its outlet
        assert folds[np.isin(docs, pair)].nunique() == 1
    assert result.metrics["cv"]["random"] == "stratified_kfold_by_near_duplicate_group"


@pytest.mark.parametrize(("grouped", "random", "saved", "expected"), [
    ([0, 1, 2], [0, 1], True, "sigmoid calibration inside each training fold."),
    ([0, 2], [], True, "sigmoid calibration inside 2 of 3 outlets-held-out and 0 of 2 random "
                       "training folds (each class needs two training groups; framing_metrics."
                       "json gives why; the other folds' scores are uncalibrated); the saved "
                       "model is calibrated."),
    ([], [], False, "sigmoid calibration asked for but possible in none of the 3 outlets-held-"
                    "out and 2 random training folds (each class needs two training groups; "
                    "framing_metrics.json gives why), so every score, and the saved model, is "
                    "uncalibrated."),
])
def test_the_methods_say_in_how_many_folds_calibration_was_done(grouped, random, saved,
                                                                 expected):
    metrics = {"cv": {"n_folds_grouped": 3, "n_folds_random": 2},
               "grouped": {"calibrated_folds": grouped}, "random": {"calibrated_folds": random},
               "final_model": {"calibrated": saved}}
    assert _calibration_method(metrics, asked=True) == expected
    assert _calibration_method(metrics, asked=False) == "no calibration."


def test_per_outlet_macro_f1_averages_over_the_outlets_own_classes():
    y = np.array(["a"] * 10 + ["a", "b"] * 5)
    predicted = np.array(["a"] * 9 + ["b"] + ["a", "b"] * 5)
    groups = np.array(["one-class"] * 10 + ["mixed"] * 10)
    scores = {row["group"]: row for row in per_group_scores(y, predicted, groups, groups)}
    # one stray "b" in an all-"a" outlet: F1 of "a" (0.947), not the mean with a 0 for "b"
    assert scores["one-class"]["macro_f1"] == pytest.approx(2 * 0.9 / 1.9)
    assert scores["one-class"]["accuracy"] == pytest.approx(0.9)
    assert scores["mixed"]["macro_f1"] == 1.0
    # the report says a one-class outlet's F1 restates its recall (0.9 -> 2R / (1 + R))
    assert (scores["one-class"]["n_classes"], scores["mixed"]["n_classes"]) == (1, 2)


def test_predictions_cover_every_unit_exactly_once(evaluated):
    corpus, segments, cfg, result = evaluated
    units = labelled_units(corpus, segments, cfg)
    predictions = result.predictions
    assert predictions["unit_id"].is_unique
    assert set(predictions["unit_id"]) == set(units.table["unit_id"]) == set(
        segments.table["seg_id"])
    proba = predictions[[f"proba_{c}" for c in result.metrics["classes"]]].to_numpy()
    assert np.allclose(proba.sum(1), 1.0)
    assert set(predictions["predicted"]) <= set(result.metrics["classes"])


def test_metrics_layout_and_json(evaluated):
    _, _, _, result = evaluated
    metrics = json.loads(json.dumps(result.metrics, allow_nan=False))
    assert metrics["cv"]["grouped"] == "leave_one_group_out"
    for split in ("grouped", "random"):
        scores = metrics[split]
        assert scores["macro_f1_low"] <= scores["macro_f1"] <= scores["macro_f1_high"]
        assert np.asarray(scores["confusion"]).sum() == metrics["n_units"]
        assert set(scores["per_class"]) == set(metrics["classes"])
        for baseline in ("majority", "lexicon", "tfidf"):
            assert 0 <= metrics["baselines"][baseline][split]["macro_f1"] <= 1
    grouped = metrics["grouped"]
    for baseline in ("majority", "lexicon", "tfidf"):  # the classifier's lead, paired
        gap = metrics["baselines"][baseline]["grouped"]["gap"]
        assert gap["macro_f1"] == pytest.approx(
            grouped["macro_f1"] - metrics["baselines"][baseline]["grouped"]["macro_f1"])
        assert gap["low"] <= gap["macro_f1"] <= gap["high"]
    assert grouped["calibrated_folds"] == []  # calibration is off unless asked for
    assert metrics["final_model"] == {"calibrated": False, "calibration_skipped": None}
    assert sum(row["n_units"] for row in grouped["per_outlet"]) == metrics["n_units"]
    assert sum(grouped["reliability"]["count"]) == metrics["n_units"]
    assert 0 <= grouped["brier"] <= 2
    assert metrics["leakage_gap"] == pytest.approx(
        metrics["random"]["macro_f1"] - grouped["macro_f1"])
    low, high = metrics["leakage_gap_interval"]
    assert low <= metrics["leakage_gap"] <= high
    assert "fewer than 10" in metrics["small_n"]
    assert not result.top_features.empty and hasattr(result.model, "predict_proba")


def test_bootstrap_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 300)
    predicted = np.where(rng.random(300) < 0.7, y, rng.choice(["a", "b", "c"], 300))
    docs = np.repeat(np.arange(100), 3)
    first = bootstrap_macro_f1(y, predicted, ["a", "b", "c"], docs, 500, seed=4)
    assert first == bootstrap_macro_f1(y, predicted, ["a", "b", "c"], docs, 500, seed=4)
    assert first != bootstrap_macro_f1(y, predicted, ["a", "b", "c"], docs, 500, seed=5)
    from sklearn.metrics import f1_score

    point = f1_score(y, predicted, average="macro")
    assert first[0] < point < first[1]


def test_the_gap_interval_is_paired():
    # two predictions of the same units that differ on a tenth of them: resampling both
    # together leaves the shared errors out of the gap
    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 600)
    second = np.where(rng.random(600) < 0.6, y, rng.choice(["a", "b", "c"], 600))
    first = np.where(rng.random(600) < 0.1, y, second)  # some errors fixed, none added
    outlets = np.repeat(np.arange(20), 30)
    classes = ["a", "b", "c"]
    low, high = bootstrap_macro_f1_gap(y, first, second, classes, outlets, 500, seed=4)
    from sklearn.metrics import f1_score

    gap = f1_score(y, first, average="macro") - f1_score(y, second, average="macro")
    assert 0 < low < gap < high
    alone = [bootstrap_macro_f1(y, p, classes, outlets, 500, seed=4) for p in (first, second)]
    assert high - low < min(top - bottom for bottom, top in alone) / 2
    assert bootstrap_macro_f1_gap(y, second, second, classes, outlets, 100, seed=4) == (0, 0)


def test_evaluation_is_seeded():
    corpus, segments = make_corpus(balanced_plan(4))
    cfg = config(calibrate=False)
    first = evaluate(corpus, segments, cfg, seed=1)
    second = evaluate(corpus, segments, cfg, seed=1)
    assert first.metrics == second.metrics
    pd.testing.assert_frame_equal(first.predictions, second.predictions)


def test_fold_lacking_a_class_is_recorded_not_fatal():
    # Only outlet C has neutral-wire documents: holding C out leaves no neutral-wire to learn.
    plan = [("A", "delegitimising", 2), ("A", "official-sourced", 1),
            ("B", "official-sourced", 2), ("B", "delegitimising", 1), ("C", "neutral-wire", 2)]
    corpus, segments = make_corpus(plan)
    result = evaluate(corpus, segments, config(), seed=0)
    missing = result.metrics["grouped"]["folds_missing_classes"]
    assert [row["missing"] for row in missing] == [["neutral-wire"]]
    held_out = result.predictions[result.predictions["outlet"] == "C"]
    assert "neutral-wire" not in set(held_out["predicted"])
    assert (held_out["proba_neutral-wire"] == 0).all()


def test_missing_label_column_is_one_line():
    corpus, segments = make_corpus(balanced_plan(2))
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config(label="stance"))
    assert "framing.label 'stance'" in one_line(excinfo)


def test_unknown_class_names_value_document_and_classes():
    corpus, segments = make_corpus(balanced_plan(2))
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config(classes=["delegitimising", "neutral-wire"]))
    message = one_line(excinfo)
    assert "'official-sourced'" in message and "document 'd0" in message
    assert "neutral-wire" in message


def test_single_class_is_one_line():
    corpus, segments = make_corpus([("A", "delegitimising", 2), ("B", "delegitimising", 2)])
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config())
    assert "at least two" in one_line(excinfo)


def test_class_with_one_document_errors_or_is_dropped_and_recorded():
    corpus, segments = make_corpus(balanced_plan(2) + [("C", "neutral-wire", 1)])
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config())
    message = one_line(excinfo)
    assert "'neutral-wire' (1 document)" in message and "rare_classes: drop" in message
    units = labelled_units(corpus, segments, config(rare_classes="drop"))
    assert units.dropped_classes == {"neutral-wire": 1}
    assert "neutral-wire" not in units.classes and "C" not in set(units.table["outlet"])


def test_unlabelled_units_are_dropped_and_counted():
    corpus, segments = make_corpus(balanced_plan(2) + [("C", "", 1)])
    units = labelled_units(corpus, segments, config(level="document"))
    assert units.n_unlabelled == 1 and len(units) == 6
    assert (units.table["unit_id"] == units.table["doc_id"]).all()


def test_segment_labels_override_inherited_ones(tmp_path):
    corpus, segments = make_corpus(balanced_plan(2))
    path = tmp_path / "segment_labels.csv"
    pd.DataFrame({"seg_id": ["d00:1", "d00:2"], "framing": ["delegitimising", ""]}).to_csv(
        path, index=False)
    units = labelled_units(corpus, segments, config(segment_labels=path)).table.set_index(
        "unit_id")
    assert units.loc["d00:0", "label"] == "official-sourced"  # inherited
    assert units.loc["d00:1", "label"] == "delegitimising"  # given
    assert "d00:2" not in units.index  # an empty given label unlabels the segment
    path.write_text("seg_id,framing\nd00:1,NA\nd00:2,delegitimising\n")
    units = labelled_units(corpus, segments, config(segment_labels=path)).table.set_index(
        "unit_id")
    assert "d00:1" not in units.index  # a missing-value marker unlabels it too
    assert units.loc["d00:2", "label"] == "delegitimising"
    path.write_text("seg_id,framing\nnope:0,delegitimising\n")
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config(segment_labels=path))
    assert "'nope:0'" in one_line(excinfo)


@pytest.mark.parametrize("name, content, problem", [
    ("empty.csv", b"", "framing.segment_labels file is empty; give a CSV or Parquet file"),
    ("quote.csv", b'seg_id,framing\n"d00:1,x\n',
     "framing.segment_labels is not valid CSV (Error tokenizing data. C error: EOF inside "
     "string starting at row 1); fix the line it names"),
    ("binary.csv", b"\x00\x01seg_id", "framing.segment_labels is a binary file, not CSV text"),
    ("broken.parquet", b"PAR1xyz", "framing.segment_labels is not a readable Parquet file; "
                                   "re-save it, or give a CSV or Parquet file"),
])
def test_an_unreadable_segment_labels_file_is_one_line(tmp_path, name, content, problem):
    corpus, segments = make_corpus(balanced_plan(2))
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(StanceError) as excinfo:
        labelled_units(corpus, segments, config(segment_labels=path))
    assert one_line(excinfo).startswith(f"{path}: {problem}")


def test_segment_labels_not_in_utf8_are_decoded_with_a_warning(tmp_path, caplog):
    corpus, segments = make_corpus(balanced_plan(2))
    path = tmp_path / "segment_labels.csv"
    path.write_bytes("seg_id,framing,note\nd00:1,delegitimising,café\n".encode("cp1252"))
    units = labelled_units(corpus, segments, config(segment_labels=path)).table.set_index(
        "unit_id")
    assert units.loc["d00:1", "label"] == "delegitimising"
    assert f"{path} (framing.segment_labels): " in caplog.text and "cp1252" in caplog.text


def test_small_n_is_set_on_a_tiny_corpus():
    corpus, segments = make_corpus(balanced_plan(2))
    result = evaluate(corpus, segments, config(level="document"), seed=0)
    small_n = result.metrics["small_n"]
    assert "fewer than 10" in small_n and "fewer than 20" in small_n
    assert result.metrics["n_units"] == result.metrics["n_documents"] == 6


@pytest.mark.integration
def test_seed_corpus_end_to_end():
    from stance.config import load_config
    from stance.corpus import prepare_corpus

    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    assert cfg.framing.rare_classes == "drop"
    cleaned, _ = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=cfg.seed)
    segments = segment_corpus(cleaned.corpus, cfg.segmentation)
    framing = cfg.framing.model_copy(update={"features": ["tfidf_words", "lexicon"],
                                             "calibrate": True})
    result = evaluate(cleaned.corpus, segments, framing, seed=cfg.seed)
    metrics = json.loads(json.dumps(result.metrics, allow_nan=False))
    assert metrics["dropped_classes"] == {"neutral-wire": 1}
    assert metrics["classes"] == ["delegitimising", "official-sourced"]
    assert metrics["n_documents"] == 4 and metrics["small_n"]
    assert metrics["outlet_label"] is None  # one document per outlet says nothing
    assert metrics["grouped"]["calibration_skipped"]  # too few outlets to calibrate
    # ... in any outlets-held-out fold: calibration was never scored, so the saved model,
    # like every model scored, is uncalibrated, and the report's Methods say so
    assert not metrics["grouped"]["calibrated_folds"]
    assert metrics["final_model"]["calibrated"] is False
    assert "never scored" in metrics["final_model"]["calibration_skipped"]
    assert type(result.model).__name__ != "CalibratedClassifierCV"
    method = _calibration_method(metrics, asked=True)
    assert method.startswith("sigmoid calibration asked for but possible in none of the 4 "
                             "outlets-held-out and 2 random training folds")
    assert method.endswith("so every score, and the saved model, is uncalibrated.")
    assert set(result.predictions["unit_id"]) == set(
        segments.table.loc[segments.table["doc_id"] != "002_22f1c6345fe1daae", "seg_id"])



def test_no_outlet_label_warning_when_outlets_mix_labels(evaluated):
    assert evaluated[3].metrics["outlet_label"] is None


def test_a_label_of_the_outlet_is_flagged_in_metrics_and_the_report(tmp_path):
    from types import SimpleNamespace

    from stance.report._framing import framing_section
    from tests.report.test_report_topics import pdf_text

    plan = [(f"O{i}", "delegitimising" if i % 2 else "official-sourced", 3) for i in range(6)]
    corpus, segments = make_corpus(plan)
    cfg = config(level="document", calibrate=True)
    result = evaluate(corpus, segments, cfg, seed=0)
    warning = result.metrics["outlet_label"]
    assert "property of the outlet" in warning and "set framing.calibrate: false" in warning
    quiet = evaluate(corpus, segments, config(level="document", calibrate=False), seed=0)
    assert "property of the outlet" in quiet.metrics["outlet_label"]
    assert "calibrat" not in quiet.metrics["outlet_label"]
    run = SimpleNamespace(framing=result, figures={}, distinctive_terms=None, actor_naming=None,
                          config=SimpleNamespace(framing=cfg, analysis=AnalysisConfig()),
                          run_dir=tmp_path)
    text = " ".join(pdf_text(framing_section(run), tmp_path).split())
    assert "The label is the outlet's." in text and "framing.calibrate: false" in text


def test_the_report_gives_the_leakage_gap_with_its_paired_interval():
    from stance.report._framing import _leakage_sentence

    sentence = _leakage_sentence({"leakage_gap": 0.1234, "leakage_gap_interval": [0.05, 0.2]})
    assert sentence.startswith("Leakage gap (random split minus outlets held out, macro-F1): "
                               "+0.123 [+0.050, +0.200] (95% paired bootstrap: the same outlet "
                               "groups resampled for both splits).")
    # a run folder written before the interval existed still reads
    assert "[" not in _leakage_sentence({"leakage_gap": 0.1234})


def test_the_report_says_which_baselines_the_classifier_beats_with_paired_intervals():
    from stance.report._framing import _baseline_sentence

    def scores(f1, low, high):
        return {"grouped": {"macro_f1": f1,
                            "gap": {"macro_f1": 0.5 - f1, "low": low, "high": high}}}

    metrics = {"grouped": {"macro_f1": 0.5},
               "baselines": {"majority": scores(0.0, 0.4, 0.6),
                             "lexicon": scores(0.45, -0.02, 0.11),
                             "tfidf": scores(0.41, 0.01, 0.16)}}
    assert _baseline_sentence(metrics) == (
        "With outlets held out the classifier scores 0.500 against the baselines majority "
        "0.000 (lead +0.500 [+0.400, +0.600]); lexicon 0.450 (lead +0.050 [-0.020, +0.110]); "
        "tfidf 0.410 (lead +0.090 [+0.010, +0.160]), each lead with its 95% paired bootstrap "
        "interval over outlet groups. Its lead over lexicon is not above zero: on outlets it "
        "has not seen, the classifier is not shown to add anything that baseline does not "
        "give. The majority baseline scores 0: no held-out outlet's label is the majority of "
        "the other outlets'. ")
    metrics["baselines"]["lexicon"] = scores(0.3, 0.1, 0.3)
    assert _baseline_sentence(metrics).endswith("over outlet groups. It beats every baseline. "
                                                "The majority baseline scores 0: no held-out "
                                                "outlet's label is the majority of the other "
                                                "outlets'. ")
    assert _baseline_sentence({}) == ""


def test_the_few_outlets_warning_does_not_call_thousands_of_documents_small():
    from stance.report._framing import _warning

    sentence = small_n_warning(8, pd.Series({"left": 1300, "right": 1374}))
    text = _warning(sentence, {"n_documents": 2674, "n_outlets": 8, "n_units": 2674})
    assert "Too few outlets or documents to support a claim." in text
    assert "only 8 outlet groups are held out" in text.lower() and "mall corpus" not in text


def test_a_training_unit_with_a_held_out_units_text_is_left_out_of_that_fold():
    from stance.framing._folds import cross_predict, text_keys

    trained_on = []

    class Spy:  # records what each fold's model was trained on
        def fit(self, texts, y):
            trained_on.append(list(texts))
            self.label = y[0]
            return self

        def predict(self, texts):
            return np.full(len(texts), self.label, dtype=object)

    # the Kremlin's statement, quoted by outlets A and B (B's copy differs in case and spaces)
    texts = np.array(["The Kremlin said talks went well.", "A's own paragraph.",
                      "the Kremlin  said talks went well.", "B's own paragraph.",
                      "C's own paragraph."], dtype=object)
    y = np.array(["official", "delegitimising", "official", "delegitimising", "official"])
    folds = np.array([0, 0, 1, 1, 2])
    prediction = cross_predict(Spy, texts, y, folds, ["delegitimising", "official"],
                               calibration_groups=folds, calibrate=False, seed=0,
                               same_text=text_keys(texts))
    assert trained_on == [["B's own paragraph.", "C's own paragraph."],
                          ["A's own paragraph.", "C's own paragraph."],
                          list(texts[:4])]
    assert prediction.copies_left_out == ({"fold": 0, "units": 1}, {"fold": 1, "units": 1})
    trained_on.clear()
    cross_predict(Spy, texts, y, folds, ["delegitimising", "official"],
                  calibration_groups=folds, calibrate=False, seed=0)
    assert trained_on[0] == list(texts[2:])  # without keys, nothing is left out
    same = np.array(["The Kremlin said talks went well."] * 3, dtype=object)
    with pytest.raises(StanceError, match=r"all 2 training units of fold 0 repeat the text of "
                                          r"a held-out unit, .*\(framing.level: document\)$"):
        cross_predict(Spy, same, y[:3], np.array([0, 1, 2]), ["delegitimising", "official"],
                      calibration_groups=folds[:3], calibrate=False, seed=0,
                      same_text=text_keys(same))


def test_calibrations_inner_folds_train_without_the_texts_they_calibrate_on():
    from stance.framing._folds import _inner_splits, text_keys

    # three outlet groups, so each inner fold holds one out; groups 0 and 2 quote one line
    texts = np.array(["The Kremlin said talks went well.", "a0", "b0", "c0",
                      "x1", "y1", "z1", "w1",
                      "THE KREMLIN said talks went well.", "a2", "b2", "c2"], dtype=object)
    y = np.array(["left", "right"] * 6)
    groups = np.repeat([0, 1, 2], 4)
    same_text = text_keys(texts)
    plain = _inner_splits(y, groups, seed=0, noun="group")
    kept = _inner_splits(y, groups, seed=0, noun="group", same_text=same_text)
    assert [held.tolist() for _, held in kept] == [held.tolist() for _, held in plain]
    for (train, held), (all_train, _) in zip(kept, plain, strict=True):
        copies = set(same_text[train]) & set(same_text[held])
        assert not copies  # no inner fold calibrates on a text its model was trained on
        assert set(all_train) - set(train) == {
            i for i in all_train if same_text[i] in set(same_text[held])}
    assert any(len(train) < len(all_train) for (train, _), (all_train, _)
               in zip(kept, plain, strict=True))
    # a class whose only training units are copies of calibrated texts cannot be calibrated
    quote_only = np.array(["q", "r", "q", "s"], dtype=object)
    reason = _inner_splits(np.array(["left", "right", "left", "right"]), np.arange(4), seed=0,
                           noun="group", same_text=text_keys(quote_only))
    assert reason == ("an inner calibration fold lacks a class once the texts it calibrates "
                      "on are left out of its training")


def test_copies_are_found_in_the_text_the_model_reads():
    plan = [("A", "delegitimising", 2), ("A", "official-sourced", 1),
            ("B", "official-sourced", 2), ("B", "delegitimising", 1),
            ("C", "delegitimising", 2), ("C", "official-sourced", 1)]
    corpus, _ = make_corpus(plan)
    docs = corpus.documents.copy()
    quote = "the press service stated the talks covered gas prices and the union budget."
    # one wire paragraph under each outlet's own dateline: the texts differ, the masked ones not
    dateline = {"A": "MINSK (Reuters) - ", "B": "MOSCOW (AP) - ", "C": "KYIV (AFP) - "}
    docs["text"] = [f"{dateline[o]}{quote.capitalize()}\n\n{t}"
                    for o, t in zip(docs["outlet"], docs["text"], strict=True)]
    corpus = Corpus(docs, ("framing",))
    segments = segment_corpus(corpus, SegmentationConfig(min_words=1))
    metrics = evaluate(corpus, segments, config(), seed=0).metrics
    # holding out an outlet leaves the other outlets' six copies out of training
    assert sorted(row["units"] for row in metrics["grouped"]["copies_left_out_of_training"]
                  ) == [6, 6, 6]


def test_the_evaluation_reports_the_shared_paragraphs_it_left_out():
    plan = [("A", "delegitimising", 2), ("A", "official-sourced", 1),
            ("B", "official-sourced", 2), ("B", "delegitimising", 1),
            ("C", "delegitimising", 2), ("C", "official-sourced", 1)]
    corpus, segments = make_corpus(plan)
    quote = "\n\nThe press service stated the talks covered gas prices and the union budget."
    docs = corpus.documents.copy()
    docs.loc[docs["outlet"].isin(["A", "B"]), "text"] += quote  # six articles quote it
    corpus = Corpus(docs, ("framing",))
    segments = segment_corpus(corpus, SegmentationConfig(min_words=1))
    metrics = evaluate(corpus, segments, config(), seed=0).metrics
    # holding out A leaves B's three copies out of training, and the reverse; C has none
    assert sorted(row["units"] for row in metrics["grouped"]["copies_left_out_of_training"]
                  ) == [3, 3]
    random_units = sum(row["units"] for row in metrics["random"]["copies_left_out_of_training"])
    assert _copies_left_out(metrics) == (
        " A training unit with the text of a held-out unit (case and spacing aside, outlet "
        "names, datelines, bylines and credits masked) was left out of that fold's training: "
        f"6 times over the outlets-held-out folds and {random_units} over the random folds (a "
        "unit counts once per fold). Calibration's and the learned cues' inner folds keep such "
        "copies apart too; the saved model is trained on every unit.")
    assert _copies_left_out({"grouped": {"copies_left_out_of_training": []}}) == ""


def test_the_outlet_label_check_looks_at_outlets_whatever_copies_join():
    from stance.framing._notes import outlet_label_warning

    # six outlets, one label each; a wire story copied from O0 (official) to O1
    # (delegitimising) joins their fold groups, which then mix labels
    plan = [(f"O{i}", "delegitimising" if i % 2 else "official-sourced", 3) for i in range(6)]
    corpus, segments = make_corpus(plan, dup_pairs=[("d00", "d03")])
    units = labelled_units(corpus, segments, config(level="document"))
    table = units.table
    assert table.groupby("group")["label"].nunique().max() == 2  # the joined group mixes
    warning = outlet_label_warning(table["label"].to_numpy(), table["outlet"].to_numpy(),
                                   table["doc_id"].to_numpy(), calibrated=False)
    assert warning.startswith("In 6 of 6 outlets with several documents every document "
                              "carries one label")
    # one outlet whose rating changed once among many documents does not hide it
    y = np.array(["left"] * 40 + ["right"] * 40)
    outlets = np.repeat([f"o{i}" for i in range(8)], 10)
    y[0] = "right"
    assert "In 7 of 8 outlets" in outlet_label_warning(y, outlets, np.arange(80),
                                                       calibrated=False)
    mixed = np.tile(["left", "right"], 40)  # every outlet mixes: not the outlet's label
    assert outlet_label_warning(mixed, outlets, np.arange(80), calibrated=False) is None

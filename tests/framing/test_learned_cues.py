"""Cues learned from annotated rationales: parsing, rates, cross-fitting, routing, persistence."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader
from sklearn import config_context
from sklearn.calibration import CalibratedClassifierCV

from stance.config import FramingConfig, SegmentationConfig, load_config
from stance.corpus import segment_corpus
from stance.data import Corpus
from stance.errors import StanceError
from stance.framing import (
    LearnedCues,
    build_pipeline,
    labelled_units,
    load_framing_model,
    parse_rationale,
    save_framing_model,
)
from stance.framing._folds import cross_predict
from stance.run import run_experiment
from tests.conftest import evaluate

LOADED = ["bizarre", "shameless", "radical", "disastrous", "reckless", "absurd"]
NEUTRAL = ["said", "met", "announced", "signed", "visited", "reported"]


def make_corpus(n_outlets=6, per_class=4, seed=0):
    """Biased sentences carry a loaded word (marked as the rationale), others do not."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(n_outlets):
        for k in range(2 * per_class):
            biased = k % 2 == 0
            word = rng.choice(LOADED if biased else NEUTRAL)
            rows.append({"doc_id": f"d{len(rows):03d}", "outlet": f"O{o}", "title": "",
                         "date": pd.NaT, "label": "Biased" if biased else "Non-biased",
                         "text": f"The senator {word} the plan on {rng.choice(NEUTRAL)} day "
                                 f"number {k} in town {o}.",
                         "marked": str([str(word)]) if biased else "[]"})
    corpus = Corpus(pd.DataFrame(rows), ("label", "marked"))
    return corpus, segment_corpus(corpus, SegmentationConfig(min_words=1))


def cfg(**update):
    return FramingConfig.model_validate({
        "label": "label", "level": "document", "features": ["tfidf_words", "learned_cues"],
        "rationales": "marked", "n_bootstrap": 100, "calibrate": False, **update})


@pytest.mark.parametrize("cell, words", [
    ("['bizarre', 'characteristically']", {"bizarre", "characteristically"}),
    ("['radical left']", {"radical", "left"}),
    ("Shameless; so-called", {"shameless", "so-called"}),
    ("[]", set()), ("", set()), (None, set()), (float("nan"), set())])
def test_rationale_cells_parse(cell, words):
    assert parse_rationale(cell, where="here") == words


def test_a_broken_rationale_cell_is_one_line():
    corpus, segments = make_corpus()
    corpus.documents.loc[3, "marked"] = "['unclosed"
    with pytest.raises(StanceError, match="framing.rationales: column 'marked' of document "
                                          "d003 in corpus.csv has \"\\['unclosed\"") as info:
        labelled_units(corpus, segments, cfg(), source=Path("corpus.csv"))
    assert "\n" not in str(info.value)


def test_a_broken_rationale_cell_in_a_dropped_document_is_no_error():
    corpus, segments = make_corpus()
    corpus.documents.loc[3, ["label", "marked"]] = ["", "['unclosed"]  # unlabelled: dropped
    units = labelled_units(corpus, segments, cfg())
    assert "d003" not in set(units.table["doc_id"]) and len(units.table) == 47


def test_rates_count_marks_where_the_word_occurs():
    texts = ["a bizarre law", "a bizarre day", "a law", "a radical plan"]
    marks = [{"bizarre"}, set(), set(), {"radical", "absent"}]
    cues = LearnedCues(prior=1.0).fit(texts, rationales=marks)
    lexicon = cues.lexicon().set_index("word")
    assert lexicon.loc["bizarre", ["marked", "present"]].tolist() == [1, 2]
    assert lexicon.loc["bizarre", "rate"] == pytest.approx(1 / 3)
    assert lexicon.loc["radical", "rate"] == pytest.approx(1 / 2)
    assert "absent" not in lexicon.index  # marked but not in its text: not a cue
    features = cues.transform(["bizarre and radical", "nothing here"])
    assert features.tolist() == [[0.5, pytest.approx(5 / 6), 2.0], [0.0, 0.0, 0.0]]


def test_a_training_text_is_never_scored_by_its_own_marks():
    # Each loaded word occurs in one text only: cross-fitting leaves it unscored there,
    # while the fitted lexicon scores new texts with it.
    texts = [f"the {w} plan" for w in LOADED]
    marks = [{w} for w in LOADED]
    cues = LearnedCues(inner_folds=3)
    assert not cues.fit_transform(texts, rationales=marks).any()
    assert (cues.transform(texts)[:, 2] == 1).all()


def test_a_segment_is_never_scored_by_its_documents_marks_on_a_sister_segment():
    # Four segments per document share its annotation; each loaded word occurs in every
    # segment of one document only. Folds by segment would score each segment with its
    # sisters' copy of the marks; folds by document leave every segment unscored.
    texts, marks, documents = [], [], []
    for word in LOADED:
        for part in range(4):
            texts.append(f"part {part}: the {word} plan")
            marks.append({word})
            documents.append(f"doc-{word}")
    by_segment = LearnedCues(inner_folds=3).fit_transform(texts, rationales=marks)
    assert by_segment.any()  # the leak this guards against
    by_document = LearnedCues(inner_folds=3).fit_transform(texts, rationales=marks,
                                                           documents=documents)
    assert not by_document.any()


def test_a_text_is_never_scored_by_the_marks_on_its_copies_in_other_documents():
    # A quoted line, marked in each of the two documents that carry it; the other texts
    # never contain the loaded word. Each document is its own inner fold.
    texts = ["a bizarre law", "A bizarre  law", "a fine law", "a calm law"]
    marks = [{"bizarre"}, {"bizarre"}, set(), set()]
    documents = ["d0", "d1", "d2", "d3"]
    cues = LearnedCues(inner_folds=4)
    leaked = cues.fit_transform(texts, rationales=marks, documents=documents)
    assert leaked[:2, 2].tolist() == [1, 1]  # each copy scored by the other's marks
    kept_apart = cues.fit_transform(texts, rationales=marks, documents=documents,
                                    same_text=[0, 0, 1, 2])
    assert not kept_apart.any()
    assert cues.lexicon()["word"].tolist() == ["bizarre"]  # the fitted lexicon has both


def test_segment_runs_route_each_units_document_and_text_key_to_the_cues(monkeypatch):
    seen = []
    fit_transform = LearnedCues.fit_transform

    def spy(self, X, y=None, rationales=None, documents=None, same_text=None):
        seen.append((documents, same_text))
        return fit_transform(self, X, y, rationales=rationales, documents=documents,
                             same_text=same_text)

    monkeypatch.setattr(LearnedCues, "fit_transform", spy)
    documents = make_corpus()[0].documents
    documents["text"] = documents["text"] + "\n\nA second paragraph " + documents["doc_id"] + "."
    corpus = Corpus(documents, ("label", "marked"))
    segments = segment_corpus(corpus, SegmentationConfig(min_words=1))
    units = labelled_units(corpus, segments, cfg(level="segment"))
    assert units.table["doc_id"].duplicated().any()  # several segments per document
    evaluate(corpus, segments, cfg(level="segment"), seed=0)
    assert seen and all(d is not None and len(k) == len(d) for d, k in seen)
    assert set().union(*(set(d) for d, _ in seen)) <= set(units.table["doc_id"])
    # the codes tell apart every unit of this corpus, whose texts all differ
    assert all(len(set(k)) == len(k) for _, k in seen)


def test_copies_under_two_datelines_reach_the_cues_as_one_text_with_calibration_on(
        monkeypatch):
    seen = []
    fit_transform = LearnedCues.fit_transform

    def spy(self, X, y=None, rationales=None, documents=None, same_text=None):
        seen.append((list(X), list(same_text)))
        return fit_transform(self, X, y, rationales=rationales, documents=documents,
                             same_text=same_text)

    monkeypatch.setattr(LearnedCues, "fit_transform", spy)
    documents = make_corpus()[0].documents
    wire = "The senator bizarre the plan, the ministry said on Monday."
    documents.loc[0, "text"] = f"MINSK (Reuters) - {wire}"  # two outlets carry one wire item
    documents.loc[8, "text"] = f"MOSCOW (AP) - {wire}"
    corpus = Corpus(documents, ("label", "marked"))
    segments = segment_corpus(corpus, SegmentationConfig(min_words=1))
    evaluate(corpus, segments, cfg(calibrate=True), seed=0)
    # every fit that saw both copies got one code for them, and distinct codes for the rest
    both = [(texts, keys) for texts, keys in seen if texts.count(wire) == 2]
    assert both  # the saved model's fit, at least
    for texts, keys in both:
        copies = [k for t, k in zip(texts, keys, strict=True) if t == wire]
        assert copies[0] == copies[1] and len(set(keys)) == len(keys) - 1
    with pytest.raises(ValueError, match="got 1 same_text for 2 texts"):
        LearnedCues().fit_transform(["a", "b"], rationales=[set(), set()], same_text=[0])


def test_fit_needs_rationales_of_the_same_length():
    with pytest.raises(ValueError, match="needs rationales"):
        LearnedCues().fit(["a"])
    with pytest.raises(ValueError, match="got 1 rationales for 2 texts"):
        LearnedCues().fit(["a", "b"], rationales=[set()])


def test_rationales_reach_the_cues_inside_calibration_and_a_pipeline():
    corpus, _ = make_corpus()
    texts = corpus.documents["text"].tolist()
    y = corpus.documents["label"].to_numpy()
    marks = [parse_rationale(v, where="marked") for v in corpus.documents["marked"]]
    model = CalibratedClassifierCV(build_pipeline(cfg(), seed=0), cv=3)
    with config_context(enable_metadata_routing=True):
        model.fit(texts, y, rationales=marks)
    cues = model.calibrated_classifiers_[0].estimator.named_steps["features"]
    learned = cues.named_transformers_["learned"][0].lexicon()
    assert set(learned["word"]) <= set(LOADED) and len(learned) > 0
    assert model.predict(["The senator bizarre the plan"])[0] == "Biased"


def test_held_out_predictions_never_depend_on_held_out_rationales():
    corpus, _ = make_corpus()
    units = labelled_units(corpus, None, cfg())
    texts = units.table["text"].to_numpy(dtype=object)
    y = units.table["label"].to_numpy(dtype=str)
    folds = np.arange(len(y)) % 4
    marks = units.table["rationale"].to_numpy(dtype=object)
    scrambled = marks.copy()
    scrambled[folds == 0] = [{"senator", "plan", "town"}] * int((folds == 0).sum())

    def predict(rationales):
        return cross_predict(lambda: build_pipeline(cfg(), seed=0), texts, y, folds,
                             units.classes, calibration_groups=texts, calibrate=False, seed=0,
                             rationales=rationales)

    honest, tampered = predict(marks), predict(scrambled)
    assert np.array_equal(honest.proba[folds == 0], tampered.proba[folds == 0])
    assert not np.array_equal(honest.proba[folds != 0], tampered.proba[folds != 0])


def test_evaluation_and_skops_round_trip_with_learned_cues(tmp_path):
    corpus, segments = make_corpus()
    result = evaluate(corpus, segments, cfg(), seed=3)
    assert result.metrics["random"]["macro_f1"] > result.metrics["baselines"]["majority"][
        "random"]["macro_f1"]
    assert result.top_features["feature"].str.startswith("learned cues:").any()
    assert set(result.learned_cues["word"]) == set(LOADED)  # every loaded word was marked
    assert result.learned_cues["rate"].is_monotonic_decreasing
    path = save_framing_model(result.model, tmp_path / "framing_model.skops", metadata={})
    loaded = load_framing_model(path)
    texts = corpus.documents["text"].tolist()
    assert np.array_equal(loaded.predict_proba(texts), result.model.predict_proba(texts))


def test_learned_cues_and_rationales_go_together():
    with pytest.raises(ValueError, match="learned_cues and framing.rationales go together"):
        FramingConfig(features=["tfidf_words", "learned_cues"])
    with pytest.raises(ValueError, match="go together"):
        FramingConfig(features=["tfidf_words"], rationales="marked")


def test_a_rationale_column_outside_the_labels_is_one_line():
    corpus, segments = make_corpus()
    with pytest.raises(StanceError, match="framing.rationales 'words': no such label column"):
        labelled_units(corpus, segments, cfg(rationales="words"))


def cues_config(tmp_path, write_csv, docs):
    path = write_csv([["doc_id", "outlet", "text", "label", "marked"]]
                     + docs[["doc_id", "outlet", "text", "label", "marked"]].values.tolist())
    config = tmp_path / "cues.yaml"
    config.write_text(
        f"name: cues\noutput_dir: {tmp_path / 'out'}\ncorpus:\n  path: {path}\n  columns:\n"
        "    labels: [label, marked]\n    date: null\n    title: null\n"
        "segmentation: {unit: document, min_words: 1}\n"
        "topics: {enabled: false}\nframing: {label: label, level: document, features: "
        "[tfidf_words, learned_cues], rationales: marked, n_bootstrap: 100}\n")
    return config, path


@pytest.mark.integration  # subprocesses or a whole run
def test_a_broken_rationale_cell_stops_the_run_with_one_line_naming_the_file(tmp_path,
                                                                           write_csv):
    import subprocess
    import sys

    docs = make_corpus()[0].documents
    docs.loc[3, "marked"] = "['unclosed"
    config, path = cues_config(tmp_path, write_csv, docs)
    done = subprocess.run([sys.executable, "-m", "stance", "-q", "run", str(config)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"column 'marked' of document d003 in {path} has" in lines[0]


@pytest.mark.integration
def test_a_run_writes_the_learned_lexicon(tmp_path, write_csv):
    config, _ = cues_config(tmp_path, write_csv, make_corpus()[0].documents)
    result = run_experiment(load_config(config), progress=False)
    lexicon = pd.read_csv(result.run_dir / "framing_learned_cues.csv")
    assert list(lexicon.columns) == ["word", "marked", "present", "rate"]
    assert set(lexicon["word"]) == set(LOADED)
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(result.run_dir / "report.pdf").pages)
    assert "Learned cues: a lexicon learned, inside each training part" in text
    assert f"Learned from all units: {len(LOADED)} words" in text

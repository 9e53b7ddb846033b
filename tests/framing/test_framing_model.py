"""Framing pipelines: features, fingerprint masking, explanations, skops persistence."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from stance.config import EmbeddingConfig, FramingConfig
from stance.errors import StanceError
from stance.framing import (
    FineTunedEmbeddings,
    FingerprintMasker,
    LexiconCounts,
    SentenceEmbeddings,
    build_lexicon_baseline,
    build_majority_baseline,
    build_pipeline,
    load_framing_model,
    predict_table,
    save_framing_model,
    top_features,
)
from stance.framing._pipeline import readable_feature

DELEGITIMISING = [
    "TSN.ua: the self-proclaimed president met the dictator in Minsk.",
    "The two dictators discussed the sham referendum, TSN.ua reports.",
    "The self-proclaimed leader and his regime fear the protests.",
    "Dictators Putin and Lukashenka met again; the regime needs money.",
    "The self-styled president flew to the dictator in Sochi.",
    "The illegitimate regime of the self-proclaimed president signed.",
]
OFFICIAL = [
    "According to BelTA, the President of Belarus held talks in Moscow.",
    "The press secretary of the President of Belarus told reporters.",
    "According to TASS, the press service reported an official visit.",
    "The President of Russia and the President of Belarus held talks.",
    "The spokeswoman said the official visit went well, BelTA reports.",
    "The press secretary said, according to TASS, talks were held.",
]
SPECULATIVE = [
    "Experts believe the army might possibly move north soon.",
    "Analysts say troops could perhaps cross the border.",
    "It is not excluded that the army may move; experts believe so.",
    "Reportedly the troops might cross; analysts say it is likely.",
    "Experts believe an offensive could possibly follow soon.",
    "Analysts say the army may perhaps attack, reportedly soon.",
]
TEXTS = DELEGITIMISING + OFFICIAL + SPECULATIVE
LABELS3 = ["delegitimising"] * 6 + ["official"] * 6 + ["speculative"] * 6
BINARY = slice(0, 12)
CFG = FramingConfig(features=["tfidf_words", "lexicon"])


def _fit(cfg=CFG, *, n_classes=3, **kwargs):
    labels = LABELS3 if n_classes == 3 else LABELS3[BINARY]
    texts = TEXTS if n_classes == 3 else TEXTS[BINARY]
    return build_pipeline(cfg, seed=0, **kwargs).fit(texts, labels)


@pytest.mark.parametrize("features", [["tfidf_words", "lexicon"], ["tfidf_chars"],
                                      ["lexicon"], ["tfidf_words", "tfidf_chars", "lexicon"]])
@pytest.mark.parametrize("classifier", ["logreg", "linearsvc"])
def test_pipeline_fits_and_predicts(features, classifier):
    cfg = FramingConfig(features=features, classifier=classifier)
    model = _fit(cfg, outlet_names=["TSN.ua", "BelTA"])
    predicted = model.predict(TEXTS)
    assert len(predicted) == len(TEXTS)
    assert set(predicted) <= set(LABELS3)
    assert (predicted == np.array(LABELS3)).mean() > 0.8  # training fit, not a score
    assert list(model.named_steps) == ["read", "features", "classifier"]


def test_outlet_names_never_become_features():
    model = _fit(outlet_names=["TSN.ua"])
    vocabulary = model.named_steps["features"].named_transformers_["words"].vocabulary_
    assert not [term for term in vocabulary if "tsn" in term]


def test_unknown_classifier_is_rejected_by_the_schema():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="logreg"):
        FramingConfig(classifier="xgboost")


@pytest.mark.parametrize("estimator", [
    FingerprintMasker(outlet_names=("TSN.ua", "News Rebeat")),
    LexiconCounts(extra={"economic": ["sanction*"]}, per_cue=False),
    SentenceEmbeddings(embedding={"model": "some/folder", "weights_sha256": "ab" * 32,
                                  "normalize": False, "batch_size": 8, "max_seq_length": 128,
                                  "threads": 2},
                       cache_dir="/tmp/cache", segmentation={"unit": "paragraph"}),
    FineTunedEmbeddings(embedding={"model": "some/folder", "normalize": False},
                        finetune={"steps": 7, "batch_size": 4, "learning_rate": 1e-4}, seed=3),
])
def test_custom_transformers_clone(estimator):
    params = estimator.get_params()
    copy = clone(estimator)
    assert copy is not estimator
    assert copy.get_params() == params
    assert type(copy)(**params).get_params() == params
    assert clone(copy.set_params(**params)).get_params() == params


def test_fitted_pipeline_clones_unfitted():
    model = _fit()
    copy = clone(model)
    assert copy.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert not hasattr(copy.named_steps["classifier"], "coef_")
    assert not hasattr(copy.named_steps["read"].lexicon, "lexicon_")


@pytest.mark.parametrize(("text", "gone", "kept"), [
    ("TSN.ua collected details. TSN says", ["TSN"], ["collected details", "says"]),
    ("tsn.UA reported it", ["tsn"], ["reported it"]),
    ("MINSK, Sept 26 (Reuters) - Lukashenko met Putin.", ["MINSK", "Reuters"],
     ["Lukashenko met Putin."]),
    ("MOSCOW (AP) \u2014 The Kremlin said", ["MOSCOW", "AP"], ["The Kremlin said"]),
    ("By John Smith\nPutin arrived in Minsk.", ["John Smith"], ["Putin arrived in Minsk."]),
    ("Written by Anna Petrova\nThe talks began.", ["Anna Petrova"], ["The talks began."]),
    ("Lukashenko (AFP) said (Reuters) no", ["AFP", "Reuters"], ["Lukashenko", "said", "no"]),
    ("By Monday, the talks will end.", [], ["By Monday, the talks will end."]),
    ("MINSK is the capital - of Belarus", [], ["MINSK is the capital - of Belarus"]),
    ("approved by Vladimir Putin on Monday", [], ["approved by Vladimir Putin on Monday"]),
])
def test_masker_removes_fingerprints(text, gone, kept):
    (masked,) = FingerprintMasker(outlet_names=("TSN.ua",)).fit([text]).transform([text])
    for word in gone:
        assert word.lower() not in masked.lower()
    for phrase in kept:
        assert phrase in masked


def test_masker_keeps_words_containing_a_name():
    (masked,) = FingerprintMasker(outlet_names=("TASS",)).transform(["Tassel and TASS"])
    assert masked.startswith("Tassel")


def test_lexicon_counts_names_and_values():
    counts = LexiconCounts(extra={"economic": ["sanction*"]}).fit(TEXTS)
    names = list(counts.get_feature_names_out())
    values = counts.transform(["The dictators and the dictator face sanctions"])
    assert names[:4] == ["lexicon:delegitimising", "lexicon:official", "lexicon:speculative",
                         "lexicon:economic"]
    assert values.shape == (1, len(names))
    row = dict(zip(names, values[0], strict=True))
    assert row["lexicon:delegitimising"] == pytest.approx(np.log1p(2))
    assert row["cue:dictator*"] == pytest.approx(np.log1p(2))
    assert row["cue:sanction*"] == pytest.approx(np.log1p(1))
    assert row["lexicon:official"] == 0
    assert LexiconCounts(per_cue=False).fit(TEXTS).transform(TEXTS).shape == (18, 3)


@pytest.mark.parametrize("classifier", ["logreg", "linearsvc"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_top_features(classifier, n_classes):
    model = _fit(FramingConfig(features=["tfidf_words", "lexicon"], classifier=classifier),
                 n_classes=n_classes)
    table = top_features(model, 5)
    assert list(table.columns) == ["class", "feature", "coefficient"]
    assert table["class"].value_counts().to_dict() == {c: 5 for c in model.classes_}
    for _, rows in table.groupby("class"):
        assert rows["coefficient"].is_monotonic_decreasing
    assert table["feature"].str.match(r"^(words|lexicon|cue): ").all()
    weights = top_features(model, 10_000).set_index(["class", "feature"])["coefficient"]
    assert weights["delegitimising", "lexicon: delegitimising"] > 0
    assert weights["official", "lexicon: official"] > 0


def test_top_features_binary_sign():
    model = _fit(n_classes=2)
    coef = model.named_steps["classifier"].coef_[0]
    table = top_features(model, len(coef))
    assert len(table) == 2 * len(coef)
    positive = table[table["class"] == model.classes_[1]]["coefficient"].to_numpy()
    negative = table[table["class"] == model.classes_[0]]["coefficient"].to_numpy()
    assert positive.max() == pytest.approx(coef.max())
    assert negative.max() == pytest.approx(-coef.min())


def test_top_features_averages_calibrated_models():
    features = build_pipeline(CFG, seed=0)[:-1]
    head = CalibratedClassifierCV(LinearSVC(class_weight="balanced"), cv=3)
    model = Pipeline([*features.steps, ("classifier", head)]).fit(TEXTS, LABELS3)
    table = top_features(model, 3).set_index(["class", "feature"])["coefficient"]
    mean = np.mean([c.estimator.coef_ for c in head.calibrated_classifiers_], axis=0)
    names = [readable_feature(f) for f in model[:-1].get_feature_names_out()]
    for k, label in enumerate(head.classes_):
        best = int(np.argmax(mean[k]))
        assert table[label, names[best]] == pytest.approx(mean[k, best])
    frozen = CalibratedClassifierCV(FrozenEstimator(model)).fit(TEXTS, LABELS3)
    pd.testing.assert_frame_equal(top_features(frozen, 3), top_features(model, 3))
    # Calibration around the whole pipeline: each fold has its own vocabulary.
    wrapped = CalibratedClassifierCV(build_pipeline(CFG, seed=0), cv=3).fit(TEXTS, LABELS3)
    assert top_features(wrapped, 4)["class"].value_counts().to_dict() == {
        c: 4 for c in wrapped.classes_}


def test_readable_feature_names():
    assert readable_feature("words__self proclaimed") == "words: self proclaimed"
    assert readable_feature("chars__ a: ") == "chars:  a: "
    assert readable_feature("lexicon__lexicon:delegitimising") == "lexicon: delegitimising"
    assert readable_feature("lexicon__cue:dictator*") == "cue: dictator*"
    assert readable_feature("embedding__embedding:dim 17") == "embedding: dim 17"
    assert readable_feature("cue:dictator*") == "cue: dictator*"


def test_baselines():
    majority = build_majority_baseline().fit(TEXTS[:8], LABELS3[:8])
    assert set(majority.predict(TEXTS)) == {"delegitimising"}
    lexicon = build_lexicon_baseline(CFG, seed=0).fit(TEXTS, LABELS3)
    assert (lexicon.predict(TEXTS) == np.array(LABELS3)).mean() > 0.8
    assert top_features(lexicon, 2)["feature"].str.match(r"^(lexicon|cue): ").all()
    assert clone(lexicon).get_params(deep=False).keys() == lexicon.get_params(deep=False).keys()


def test_predict_table():
    model = _fit()
    table = predict_table(model, TEXTS[:3], ["a", "b", "c"])
    assert list(table.columns) == ["id", "predicted", "proba_delegitimising", "proba_official",
                                   "proba_speculative"]
    assert np.allclose(table.filter(like="proba_").sum(axis=1), 1)
    # read once for the probabilities, each text gets the class predict gives it
    every = predict_table(model, TEXTS, [str(i) for i in range(len(TEXTS))])
    assert every["predicted"].tolist() == model.predict(TEXTS).tolist()
    svc = _fit(FramingConfig(features=["lexicon"], classifier="linearsvc"))
    assert predict_table(svc, TEXTS, list(map(str, range(len(TEXTS)))))["predicted"].tolist() \
        == svc.predict(TEXTS).tolist()
    # Uncalibrated LinearSVC has no probabilities, and the table does not invent them.
    assert predict_table(svc, TEXTS[:2], ["a", "b"]).filter(like="proba_").isna().all().all()
    with pytest.raises(ValueError, match="2 texts but 1 ids"):
        predict_table(model, TEXTS[:2], ["a"])


@pytest.mark.parametrize("features", [["tfidf_words", "lexicon"], ["tfidf_chars"]])
def test_skops_round_trip(tmp_path, features):
    model = _fit(FramingConfig(features=features), outlet_names=["TSN.ua"])
    path = save_framing_model(model, tmp_path / "framing_model.skops",
                              metadata={"label": "framing", "experiment": "toy"})
    loaded = load_framing_model(path)
    assert type(loaded) is Pipeline
    assert np.array_equal(loaded.predict(TEXTS), model.predict(TEXTS))
    assert np.array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    pd.testing.assert_frame_equal(top_features(loaded, 5), top_features(model, 5))
    sidecar = json.loads(path.with_suffix(".json").read_text())
    assert sidecar["classes"] == list(model.classes_)
    assert sidecar["features"] == features
    assert sidecar["label"] == "framing"
    assert sidecar["metadata"]["experiment"] == "toy"
    assert {"stance_version", "sklearn_version"} <= sidecar.keys()


def test_skops_round_trip_calibrated(tmp_path):
    cfg = FramingConfig(features=["tfidf_words", "lexicon"], classifier="linearsvc")
    model = CalibratedClassifierCV(build_pipeline(cfg, seed=0), cv=3).fit(TEXTS, LABELS3)
    loaded = load_framing_model(save_framing_model(model, tmp_path / "m.skops", metadata={}))
    assert np.array_equal(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))


class Shout(BaseEstimator, TransformerMixin):
    """A transformer stance does not know, standing in for a tampered file."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return [str(t).upper() for t in X]


def test_untrusted_type_is_refused(tmp_path):
    model = _fit()
    tampered = Pipeline([("shout", Shout()), *model.steps])
    path = tmp_path / "tampered.skops"
    sio.dump(tampered, path)
    with pytest.raises(StanceError, match=r"test_framing_model\.Shout"):
        load_framing_model(path)


def test_missing_or_broken_file_is_a_user_error(tmp_path):
    with pytest.raises(StanceError, match="no framing model"):
        load_framing_model(tmp_path / "absent.skops")
    broken = tmp_path / "broken.skops"
    broken.write_text("not a zip file")
    with pytest.raises(StanceError, match="not a readable skops file"):
        load_framing_model(broken)


@pytest.mark.integration
def test_embeddings_with_the_real_model(tmp_path):
    cache = tmp_path / "embeddings"
    cfg = FramingConfig(features=["embeddings"])
    model = build_pipeline(cfg, seed=0, embedding=EmbeddingConfig(), cache_dir=cache)
    model.fit(TEXTS, LABELS3)
    block = model.named_steps["read"].embeddings
    vectors = block.transform(TEXTS[:2])
    assert vectors.dtype == np.float32 and vectors.shape == (2, block.n_dims_)
    assert any(cache.rglob("*")), "vectors were cached to disk"
    assert "_embedder" not in block.__getstate__()
    assert top_features(model, 3)["feature"].str.match(r"^embedding: dim \d+$").all()
    path = save_framing_model(model, tmp_path / "framing_model.skops", metadata={})
    loaded = load_framing_model(path)
    assert np.array_equal(loaded.predict(TEXTS), model.predict(TEXTS))
    assert np.allclose(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS))
    # on a machine without the run's cache folder: the same answers, and no folder made
    expected = model.predict_proba(TEXTS)
    shutil.rmtree(cache)
    assert np.allclose(load_framing_model(path).predict_proba(TEXTS), expected, atol=1e-6)
    assert not cache.exists()

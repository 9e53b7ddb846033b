"""What a framing model reads of each text is computed once per evaluation, not per fold."""

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer

from stance.config import EmbeddingConfig, FramingConfig, SegmentationConfig
from stance.corpus import outlet_name_pattern, segment_corpus
from stance.data import Corpus
from stance.framing import build_pipeline, evaluate_framing, labelled_units
from stance.framing._folds import cross_predict, grouped_folds, split_reader
from stance.framing._pipeline import WORDS
from stance.framing._text_features import TextFeatures
from tests.framing.test_framing import balanced_plan, make_corpus

FEATURES = ["tfidf_words", "tfidf_chars", "lexicon"]


def _units(plan=None):
    corpus, segments = make_corpus(plan or balanced_plan(8))
    cfg = FramingConfig(features=FEATURES, level="document", n_bootstrap=100)
    units = labelled_units(corpus, segments, cfg)
    outlets = sorted(corpus.documents["outlet"].unique())
    return corpus, segments, cfg, units, outlets


@pytest.mark.parametrize("calibrate", [False, True])
def test_reading_once_predicts_as_the_whole_pipeline_fitted_per_fold(calibrate):
    _, _, cfg, units, outlets = _units()
    texts = units.table["text"].to_numpy(dtype=object)
    y = units.table["label"].to_numpy(dtype=str)
    groups = units.table["group"].to_numpy(dtype=object)
    _, folds = grouped_folds(y, groups, cfg.model_copy(update={"cv": "stratified_group_kfold",
                                                               "n_splits": 4}), seed=3)

    def whole():
        return build_pipeline(cfg, seed=3, outlet_names=outlets)

    reader, _ = split_reader(whole())
    read = reader.fit_transform(texts.tolist())
    common = {"calibration_groups": groups, "calibrate": calibrate, "seed": 3}
    once = cross_predict(lambda: split_reader(whole())[1], read, y, folds, units.classes,
                         **common)
    per_fold = cross_predict(whole, texts, y, folds, units.classes, **common)
    assert bool(once.calibrated_folds) == calibrate
    assert once.predicted.tolist() == per_fold.predicted.tolist()
    np.testing.assert_allclose(once.proba, per_fold.proba, rtol=1e-12, atol=1e-12)


def test_an_evaluation_reads_each_unit_once_per_model_that_reads(monkeypatch):
    corpus, segments, cfg, units, outlets = _units()
    read = []
    table = TextFeatures._table

    def counting(self, X, *, fitting):
        read.append(len(X))
        return table(self, X, fitting=fitting)

    monkeypatch.setattr(TextFeatures, "_table", counting)
    evaluate_framing(units, cfg, seed=0, outlet_names=outlets)
    # the classifier and the lexicon baseline read every unit once, for both splits and
    # the final fit; the folds reuse what they read
    assert read == [len(units.table)] * 2


def test_calibration_wraps_the_classifier_and_the_vocabulary_is_the_training_parts():
    corpus, segments, cfg, units, outlets = _units()
    result = evaluate_framing(units, cfg.model_copy(update={"calibrate": True}), seed=0,
                              outlet_names=outlets)
    model = result.model
    assert result.metrics["final_model"]["calibrated"]
    assert isinstance(model[-1], CalibratedClassifierCV)
    # one vocabulary, fitted on every training text (not one per inner calibration fold)
    masked = model.named_steps["read"].transform(units.table["text"].tolist())["text"]
    expected = TfidfVectorizer(**WORDS).fit(masked).vocabulary_
    assert model.named_steps["features"].named_transformers_["words"].vocabulary_ == expected


def test_calibration_is_off_unless_asked_for():
    assert FramingConfig().calibrate is False


@pytest.mark.integration
def test_document_vectors_are_the_mean_of_cached_segments_and_masking_reembeds_only_changes(
        tmp_path):
    from stance.embed import EmbeddingCache, embed_texts, load_embedder

    # each document: a paragraph naming its outlet, then two that do not
    corpus, _ = make_corpus(balanced_plan(4))
    docs = corpus.documents.copy()
    docs["text"] = [text.replace(f"\n\n{outlet} reports: ", "\n\n")
                    for text, outlet in zip(docs["text"], docs["outlet"], strict=True)]
    corpus = Corpus(docs, corpus.labels)
    segmentation = SegmentationConfig(min_words=1)
    segments = segment_corpus(corpus, segmentation)
    cfg = FramingConfig(features=["embeddings", "tfidf_words"], level="document",
                        n_bootstrap=100)
    embedding = EmbeddingConfig()
    embedder = load_embedder(embedding)
    pieces = segments.table["text"].tolist()
    vectors = embed_texts(pieces, embedder, tmp_path)  # the embedding stage
    cache = EmbeddingCache(tmp_path / embedder.cache_key())
    before = len(cache)
    units = labelled_units(corpus, segments, cfg)
    outlets = sorted(corpus.documents["outlet"].unique())
    result = evaluate_framing(units, cfg, seed=0, outlet_names=outlets, embedding=embedding,
                              cache_dir=tmp_path, segmentation=segmentation)
    assert result.metrics["embedded"] == "mean of the document's segment vectors"

    names = outlet_name_pattern(outlets)
    changed = {names.sub("", p).strip() for p in pieces if names.search(p)}
    assert 0 < len(changed) < len(set(pieces))
    assert len(cache) - before == len(changed)  # only the paragraphs masking changed

    # a document's vector: the mean of its segments' vectors, scaled to length 1
    reader = result.model.named_steps["read"]
    doc = corpus.documents.iloc[0]
    row = reader.transform([doc["text"]]).filter(like="embedding:").to_numpy()[0]
    own = segments.table["doc_id"].to_numpy() == doc["doc_id"]
    masked = [names.sub("", p).strip() for p in segments.table["text"][own]]
    mean = embed_texts(masked, embedder, tmp_path).mean(axis=0)
    np.testing.assert_allclose(row, mean / np.linalg.norm(mean), atol=1e-6)
    unchanged = [i for i, p in enumerate(pieces) if own[i] and not names.search(p)]
    assert unchanged, "some of its paragraphs came from the embedding stage's cache"
    np.testing.assert_allclose(embed_texts([pieces[i] for i in unchanged], embedder, tmp_path),
                               vectors[unchanged])

"""classifier: setfit: pair sampling, config checks, and the real local model fine-tuned."""

import io
import json
import socket
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.linear_model import LogisticRegression

from stance.config import EmbeddingConfig, FramingConfig, parse_config
from stance.errors import StanceError
from stance.framing import (
    FineTunedEmbeddings,
    build_pipeline,
    load_framing_model,
    save_framing_model,
    top_features,
)
from stance.framing._finetune import sample_pairs
from tests.framing.test_framing_model import LABELS3, TEXTS

SETFIT = {"classifier": "setfit", "features": ["embeddings"], "calibrate": False}
#: Held-out sentences in the style of each toy class (none appears in TEXTS).
NEW = {
    "delegitimising": "The self-proclaimed leader and the dictator met; the regime is scared.",
    "official": "According to TASS, the press secretary of the President held official talks.",
    "speculative": "Analysts believe the troops could possibly cross the border soon.",
}


def test_pairs_alternate_same_and_different_class():
    y = np.array(["a"] * 5 + ["b"] * 3 + ["c"] * 2)
    first, second, same = sample_pairs(y, 400, np.random.default_rng(0))
    assert same.tolist() == [1.0, 0.0] * 200
    assert (y[first] == y[second]).tolist() == (same == 1.0).tolist()
    assert set(first) == set(range(10)) and set(second) == set(range(10))


def test_pairs_follow_the_seed():
    y = np.array(["a", "b"] * 20)
    draw = [np.stack(sample_pairs(y, 50, np.random.default_rng(s))) for s in (1, 1, 2)]
    assert np.array_equal(draw[0], draw[1])
    assert not np.array_equal(draw[0], draw[2])


def test_pairs_need_two_classes_and_allow_a_single_text_class():
    with pytest.raises(ValueError, match="two classes"):
        sample_pairs(np.array(["a", "a"]), 4, np.random.default_rng(0))
    first, second, same = sample_pairs(np.array(["a", "b", "b"]), 40, np.random.default_rng(0))
    alone = (first == 0) & (same == 1.0)
    assert alone.any() and (second[alone] == 0).all()


def test_setfit_config_defaults_and_checks():
    cfg = FramingConfig(**SETFIT)
    assert (cfg.finetune.steps, cfg.finetune.batch_size) == (60, 16)
    # calibration refits the head alone (the tuned body is fitted once per fold)
    assert FramingConfig(classifier="setfit", features=["embeddings"], calibrate=True)
    with pytest.raises(ValidationError, match="add embeddings to framing.features"):
        FramingConfig(classifier="setfit", features=["tfidf_words"])
    for bad in ({"steps": 0}, {"batch_size": 1}, {"learning_rate": 0}, {"epochs": 2}):
        with pytest.raises(ValidationError):
            FramingConfig(**SETFIT, finetune=bad)


def test_setfit_config_errors_name_the_setting():
    data = {"name": "x", "corpus": {"path": "."},
            "framing": {"classifier": "setfit", "features": ["tfidf_words"]}}
    with pytest.raises(StanceError, match=r"framing.*add embeddings to framing.features"):
        parse_config(data)
    data["framing"]["features"] = ["embeddings"]
    data["framing"]["finetune"] = {"step": 10}
    with pytest.raises(StanceError, match=r"framing\.finetune\.step.*did you mean steps"):
        parse_config(data)


def test_setfit_pipeline_tunes_the_embeddings_block():
    cfg = FramingConfig(**{**SETFIT, "features": ["embeddings", "tfidf_words"]},
                        finetune={"steps": 9, "batch_size": 4, "learning_rate": 1e-4})
    model = build_pipeline(cfg, seed=7, embedding=EmbeddingConfig(max_seq_length=64))
    block = {name: t for name, t, _ in model.named_steps["features"].transformers}["embedding"][0]
    assert isinstance(block, FineTunedEmbeddings)
    assert (block.finetune["steps"], block.finetune["batch_size"],
            block.finetune["learning_rate"], block.seed,
            block.embedding["max_seq_length"]) == (9, 4, 1e-4, 7, 64)
    assert isinstance(model.named_steps["classifier"], LogisticRegression)


def test_missing_training_packages_are_a_one_line_error(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "accelerate" else real(name, *a))
    with pytest.raises(StanceError, match=r"needs accelerate; .*\.\[finetune\]") as err:
        build_pipeline(FramingConfig(**SETFIT), seed=0)
    assert "\n" not in str(err.value)


def test_body_is_needed_and_checked(tmp_path):
    block = FineTunedEmbeddings()
    block.n_dims_ = 384
    with pytest.raises(StanceError, match="not loaded"):
        block.transform(["text"])
    with pytest.raises(StanceError, match="no model.safetensors"):
        block.load_body(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"x")
    (tmp_path / "modules.json").write_text('[{"type": "evil.module.Payload"}]')
    with pytest.raises(StanceError, match="evil.module.Payload"):
        block.load_body(tmp_path)


@pytest.fixture(scope="module")
def offline():
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    patch = pytest.MonkeyPatch()
    patch.setattr(socket.socket, "connect", refuse)
    yield
    patch.undo()


TINY = FramingConfig(**SETFIT, finetune={"steps": 8, "batch_size": 8, "learning_rate": 1e-4})


@pytest.fixture(scope="module")
def tuned(offline):
    """The toy classes fine-tuned on the real local model for a few steps (seconds)."""
    return build_pipeline(TINY, seed=3, outlet_names=["TSN.ua"]).fit(TEXTS, LABELS3)


def _separation(vectors: np.ndarray) -> float:
    """Mean cosine of same-class pairs minus that of different-class pairs."""
    y = np.array(LABELS3)
    similarity = vectors @ vectors.T
    same = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)
    return float(similarity[same].mean() - similarity[y[:, None] != y[None, :]].mean())


@pytest.mark.integration
def test_fine_tuning_separates_the_classes(tuned):
    from stance.embed import load_embedder

    block = tuned.named_steps["features"].named_transformers_["embedding"][0]
    masked = tuned.named_steps["read"].transform(TEXTS)["text"].tolist()
    before = _separation(load_embedder(EmbeddingConfig()).encode(masked))
    after = _separation(block.transform(masked))
    assert after > before + 0.1
    assert tuned.predict(list(NEW.values())).tolist() == list(NEW)
    assert top_features(tuned, 3)["feature"].str.match(r"^finetuned: dim \d+$").all()


@pytest.mark.integration
def test_one_seed_gives_identical_probabilities(tuned):
    again = build_pipeline(TINY, seed=3, outlet_names=["TSN.ua"]).fit(TEXTS, LABELS3)
    assert np.array_equal(again.predict_proba(TEXTS), tuned.predict_proba(TEXTS))


@pytest.mark.integration
def test_saved_setfit_model_predicts_identically(tuned, tmp_path):
    path = save_framing_model(tuned, tmp_path / "framing_model.skops", metadata={})
    body = tmp_path / "framing_model_body"
    assert (body / "model.safetensors").is_file()
    assert not [p for p in body.rglob("*") if p.suffix in (".bin", ".pkl", ".pt", ".pth")]
    loaded = load_framing_model(path)
    assert np.array_equal(loaded.predict_proba(TEXTS), tuned.predict_proba(TEXTS))

    article = tmp_path / "new.txt"
    article.write_text(NEW["official"])
    done = subprocess.run([sys.executable, "-m", "stance", "-q", "predict", str(path),
                           str(article), "--format", "csv"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(io.StringIO(done.stdout))["predicted"].tolist() == ["official"]

    with (body / "model.safetensors").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(StanceError, match="does not belong to this model file"):
        load_framing_model(path)


@pytest.mark.integration
def test_a_setfit_model_from_the_stage_cache_is_copied_with_its_body(tuned, tmp_path):
    from stance.data import FramingResult
    from stance.run._framing_store import (
        SavedFramingModel,
        load_framing_result,
        save_framing_result,
        store_model,
    )

    cache, run = tmp_path / "cache", tmp_path / "run"
    cache.mkdir()
    result = FramingResult({"label": "framing", "classes": sorted(NEW)}, pd.DataFrame(
        {"unit_id": ["u1"], "predicted": ["official"]}), top_features(tuned, 3), tuned)
    save_framing_result(result, cache)
    cached = load_framing_result(cache)
    assert cached.metrics == result.metrics and cached.learned_cues is None
    assert cached.predictions.equals(result.predictions)
    assert isinstance(cached.model, SavedFramingModel)  # not loaded: no skops import
    saved = store_model(cached.model, run, metadata={"label": "framing", "experiment": "x"})
    weights = [folder / "framing_model_body" / "model.safetensors" for folder in (run, cache)]
    assert weights[0].read_bytes() == weights[1].read_bytes()
    sidecar = json.loads((run / "framing_model.json").read_text())
    assert sidecar["label"] == "framing" and sidecar["metadata"]["experiment"] == "x"
    assert sidecar["finetuned_bodies"] == ["framing_model_body"]
    assert np.array_equal(saved.load().predict_proba(TEXTS), tuned.predict_proba(TEXTS))
    with pytest.raises(ValueError, match="keeps its file name"):
        cached.model.copy_to(run / "other.skops", metadata={})
    # a body changed or added to in the cache is not reused: the stage cache recomputes it
    extra = cache / "framing_model_body" / "extra.txt"
    extra.write_text("x")
    with pytest.raises(ValueError, match=r"^framing_model_body/extra.txt: missing, added"):
        load_framing_result(cache)
    extra.unlink()
    data = weights[1].read_bytes()
    weights[1].write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size
    with pytest.raises(ValueError, match=r"^framing_model_body/model.safetensors: missing, "):
        load_framing_result(cache)

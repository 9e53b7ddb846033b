"""The static backend: a model2vec model distilled once from the packaged model, offline."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from stance.config import EmbeddingConfig
from stance.embed import load_embedder, resolve_model
from stance.embed._static import RECORD, static_key, static_model_dir


def test_the_distilled_model_is_keyed_by_teacher_and_settings(tmp_path):
    info = resolve_model(EmbeddingConfig())
    other_teacher = replace(info, weights_sha256="0" * 64)
    assert static_key(info, 256) != static_key(info, 128)
    assert static_key(info, 256) != static_key(other_teacher, 256)
    assert static_model_dir(info, 256, tmp_path).parent == tmp_path


def test_static_vectors_have_their_own_model_id_and_cache_folder(tmp_path):
    torch = load_embedder(EmbeddingConfig(cache_dir=tmp_path))
    static = load_embedder(EmbeddingConfig(backend="static", cache_dir=tmp_path))
    assert static.model_id.startswith(torch.model_id + "+static256-")
    assert static.cache_key() != torch.cache_key()
    assert static.describe()["static_model"]["distilled"] is None  # nothing distilled yet


@pytest.mark.integration  # distils the packaged MiniLM: about 20 s
def test_static_backend_distils_once_offline_and_encodes(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = EmbeddingConfig(backend="static", cache_dir=tmp_path)
    embedder = load_embedder(cfg)
    texts = ["Lukashenko met Putin in Sochi to talk about gas prices.",
             "Лукашенко встретился с Путиным в Сочи.",
             "The central bank raised interest rates again."]
    vectors = embedder.encode(texts)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-3)
    folder = tmp_path / "static-models"
    assert [p.name for p in folder.iterdir()] == [static_model_dir(
        embedder.info, 256, folder).name]  # no staging folder left behind
    record = embedder.describe()["static_model"]["distilled"]
    assert record["teacher_weights_sha256"] == embedder.info.weights_sha256
    assert len(record["weights_sha256"]) == 64 and record["pca_dims"] == 256
    written = (static_model_dir(embedder.info, 256, folder) / RECORD).stat().st_mtime_ns
    again = load_embedder(cfg)  # a new process would find the folder and not distil again
    assert np.array_equal(again.encode(texts), vectors)
    assert (static_model_dir(embedder.info, 256, folder) / RECORD).stat().st_mtime_ns == written
    # like texts are nearer than unlike ones
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.integration
def test_static_backend_encodes_no_texts_as_no_rows(tmp_path):
    embedder = load_embedder(EmbeddingConfig(backend="static", cache_dir=tmp_path))
    assert embedder.encode([]).shape == (0, 256)


@pytest.mark.integration  # two fresh interpreters, one of which distils (about 20 s)
def test_distilling_leaves_torch_out_of_the_process_that_encodes(tmp_path):
    import subprocess
    import sys

    script = (
        "import sys; from stance.config import EmbeddingConfig; "
        "from stance.embed import load_embedder; "
        f"e = load_embedder(EmbeddingConfig(backend='static', cache_dir=r'{tmp_path}')); "
        "v = e.encode(['Лукашенко встретился с Путиным.']); "
        "print(v.shape[1], 'torch' in sys.modules, 'transformers' in sys.modules)")
    for _ in ("distils", "finds it"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split() == ["256", "False", "False"]


def test_a_distillation_that_fails_is_one_clear_error(tmp_path):
    from stance.embed._static import distilled_model
    from stance.errors import StanceError

    info = resolve_model(EmbeddingConfig())
    missing_teacher = replace(info, path=tmp_path / "no-model-here")
    with pytest.raises(StanceError, match="distilling .* failed"):
        distilled_model(missing_teacher, 256, tmp_path / "static-models")
    assert not (tmp_path / "static-models").exists() or not any(
        (tmp_path / "static-models").iterdir())

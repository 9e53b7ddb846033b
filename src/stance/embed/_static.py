"""The static backend: a model2vec model distilled once from the configured model, offline.

Distillation (model2vec's ``distill``) encodes every token of the teacher's vocabulary with
the teacher and reduces the vectors by PCA; a text's vector is then the mean of its tokens'
vectors, with no transformer pass. It runs once per teacher and setting, in a child
process (so the process that encodes never loads torch), and is kept in a folder keyed by
the teacher's weights sha256, the settings and model2vec's version, written under a
temporary name and renamed into place, so two processes (or Dask workers) that distil at
once never leave a half-written model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np

from stance.embed._model import ModelInfo
from stance.errors import StanceError

#: Written beside the distilled model: what it was distilled from and how.
RECORD = "distilled.json"


def distill_settings(info: ModelInfo, dims: int) -> dict:
    """Everything that changes the distilled model."""
    return {"teacher": info.name, "teacher_weights_sha256": info.weights_sha256,
            "pca_dims": dims, "model2vec": metadata.version("model2vec")}


def static_key(info: ModelInfo, dims: int) -> str:
    """A short digest of :func:`distill_settings`: the distilled model's identity."""
    text = json.dumps(distill_settings(info, dims), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def static_model_dir(info: ModelInfo, dims: int, root: Path) -> Path:
    """Where the model distilled from ``info`` with ``dims`` dimensions lives under ``root``."""
    return Path(root) / f"{Path(info.name).name}-static{dims}-{static_key(info, dims)}"


def distilled_model(info: ModelInfo, dims: int, root: Path) -> Path:
    """The distilled model's folder, distilling it first when it is not there yet.

    Distillation runs in a child process: it loads torch, transformers and the teacher
    (about 0.5 GB that the parent would keep for the rest of a run), and encoding with
    the distilled model needs none of them.

    Raises:
        StanceError: the child could not distil (its last line of error output says why).
    """
    folder = static_model_dir(info, dims, root)
    if (folder / RECORD).is_file():
        return folder
    job = json.dumps({"info": {**dataclasses.asdict(info), "path": str(info.path),
                               "weights_file": str(info.weights_file)},
                      "dims": dims, "root": str(root)})
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "stance.embed._distil", job], env=env,
                          capture_output=True, text=True)
    if done.returncode or not (folder / RECORD).is_file():
        why = (done.stderr.strip().splitlines() or ["no error output"])[-1]
        raise StanceError(f"embedding.backend static: distilling {info.name} into {folder} "
                          f"failed ({why}); check that the folder is writable")
    return folder


def distilled_record(folder: Path) -> dict | None:
    """The distilled model's record (settings and weights sha256), or None before distilling."""
    path = Path(folder) / RECORD
    return json.loads(path.read_text()) if path.is_file() else None


class StaticEncoder:
    """Encodes texts with a distilled static model: a token-vector lookup and a mean."""

    def __init__(self, folder: Path, max_tokens: int) -> None:
        from model2vec import StaticModel

        self.model = StaticModel.from_pretrained(str(folder), force_download=False)
        self.max_tokens = max_tokens

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return int(self.model.dim)

    def encode(self, texts: Sequence[str], *, batch_size: int, normalize: bool) -> np.ndarray:
        """float32 rows in order; in this process (the caller chunks and parallelises)."""
        if not texts:  # model2vec cannot stack no rows
            return np.empty((0, self.dimension), np.float32)
        vectors = self.model.encode(list(texts), batch_size=batch_size, normalize=normalize,
                                    max_length=self.max_tokens, use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)


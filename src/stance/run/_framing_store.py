"""A framing result with its fitted model, written to a folder and read back (the stage cache).

Metrics go through JSON, as the run folder keeps them, so a cached stage writes the same
framing_metrics.json bytes as the stage that computed it; tables go through Parquet,
which keeps their dtypes. The model is saved as the run folder saves it and read back as
a :class:`SavedFramingModel`: a cached stage copies its files into the run folder without
loading them, which would import skops and the pipeline's libraries.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from stance.data import FramingResult
from stance.framing import load_framing_model, save_framing_model
from stance.framing._persist import restamp_sidecar
from stance.run._cache import files_sha256
from stance.run._outputs import FRAMING_MODEL

#: sha256 of every file of the saved model, by path relative to the folder.
_CHECKSUMS = "model_files.json"


class SavedFramingModel:
    """A model saved by :func:`~stance.framing.save_framing_model`, not loaded."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self):
        """The fitted pipeline (:func:`~stance.framing.load_framing_model`)."""
        return load_framing_model(self.path)

    def files(self) -> list[Path]:
        """The model file, its sidecar and every file of its fine-tuned bodies."""
        sidecar = self.path.with_suffix(".json")
        bodies = json.loads(sidecar.read_text())["finetuned_bodies"]
        return [self.path, sidecar, *(f for name in bodies
                                      for f in sorted((self.path.parent / name).rglob("*"))
                                      if f.is_file())]

    def copy_to(self, path: Path, *, metadata: dict[str, Any]) -> SavedFramingModel:
        """Copy the model to ``path`` (the same file name) with a sidecar for ``metadata``."""
        path = Path(path)
        if path.name != self.path.name:  # the skops file names its body folders
            raise ValueError(f"a saved model keeps its file name {self.path.name}, not {path.name}")
        path.parent.mkdir(parents=True, exist_ok=True)
        for name in json.loads(self.path.with_suffix(".json").read_text())["finetuned_bodies"]:
            if (path.parent / name).is_dir():  # a model saved here before: no stale files
                shutil.rmtree(path.parent / name)
            shutil.copytree(self.path.parent / name, path.parent / name)
        shutil.copyfile(self.path, path)
        restamp_sidecar(self.path, path, metadata=metadata)
        return SavedFramingModel(path)


def save_framing_result(result: FramingResult, folder: Path) -> None:
    """Write every part of ``result`` into ``folder`` (an existing, empty folder)."""
    folder = Path(folder)
    (folder / "metrics.json").write_text(json.dumps(result.metrics, default=str))
    result.predictions.to_parquet(folder / "predictions.parquet", index=False)
    result.top_features.to_parquet(folder / "top_features.parquet", index=False)
    if result.learned_cues is not None:
        result.learned_cues.to_parquet(folder / "learned_cues.parquet", index=False)
    saved = store_model(result.model, folder, metadata={})
    (folder / _CHECKSUMS).write_text(json.dumps(_checksums(saved, folder)))


def load_framing_result(folder: Path) -> FramingResult:
    """Read a result written by :func:`save_framing_result`; its model stays on disk.

    Raises:
        ValueError, OSError: a model file is missing, added or differs from the one saved
            (the stage cache then computes the stage again).
    """
    folder = Path(folder)
    saved = SavedFramingModel(folder / FRAMING_MODEL)
    expected = json.loads((folder / _CHECKSUMS).read_text())
    found = _checksums(saved, folder)  # a missing model file or sidecar raises here
    changed = sorted(name for name in expected.keys() | found.keys()
                     if expected.get(name) != found.get(name))
    if changed:
        raise ValueError(f"{', '.join(changed)}: missing, added or changed since the model "
                         "was saved")
    cues = folder / "learned_cues.parquet"
    return FramingResult(
        metrics=json.loads((folder / "metrics.json").read_text()),
        predictions=pd.read_parquet(folder / "predictions.parquet"),
        top_features=pd.read_parquet(folder / "top_features.parquet"),
        model=saved,
        learned_cues=pd.read_parquet(cues) if cues.is_file() else None)


def store_model(model: Any, folder: Path, *, metadata: dict[str, Any]) -> SavedFramingModel:
    """Put the framing model in ``folder``: save a fitted pipeline, copy a saved one."""
    path = Path(folder) / FRAMING_MODEL
    if isinstance(model, SavedFramingModel):
        return model.copy_to(path, metadata=metadata)
    return SavedFramingModel(save_framing_model(model, path, metadata=metadata))


def _checksums(saved: SavedFramingModel, folder: Path) -> dict[str, str]:
    """sha256 of each of the model's files by its path in ``folder``, read afresh (no memo)."""
    return {str(f.relative_to(folder)): files_sha256([("", f)]) for f in saved.files()}

"""A framing result with its fitted model, written to a folder and read back (the stage cache).

Metrics go through JSON, as the run folder keeps them, so a cached stage writes the same
framing_metrics.json bytes as the stage that computed it; tables go through Parquet,
which keeps their dtypes. The model goes through skops (and a fine-tuned embedding body
through safetensors), as :func:`stance.framing_model.save_framing_model` saves it, and
is read back as a :class:`~stance.framing_model.SavedFramingModel`: a cached stage copies
the model's files into the run folder without loading them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from stance.framing import FramingResult
from stance.framing_model import SavedFramingModel, save_framing_model

#: The run folder's name for the model: its skops file names its body folders after it.
MODEL_FILE = "framing_model.skops"


def save_framing_result(result: FramingResult, folder: Path) -> None:
    """Write every part of ``result`` into ``folder`` (an existing, empty folder)."""
    folder = Path(folder)
    (folder / "metrics.json").write_text(json.dumps(result.metrics, default=str))
    result.predictions.to_parquet(folder / "predictions.parquet", index=False)
    result.top_features.to_parquet(folder / "top_features.parquet", index=False)
    if result.learned_cues is not None:
        result.learned_cues.to_parquet(folder / "learned_cues.parquet", index=False)
    save_framing_model(result.model, folder / MODEL_FILE, metadata={})


def load_framing_result(folder: Path) -> FramingResult:
    """Read a result written by :func:`save_framing_result`; its model stays on disk."""
    folder = Path(folder)
    cues = folder / "learned_cues.parquet"
    return FramingResult(
        metrics=json.loads((folder / "metrics.json").read_text()),
        predictions=pd.read_parquet(folder / "predictions.parquet"),
        top_features=pd.read_parquet(folder / "top_features.parquet"),
        model=SavedFramingModel(folder / MODEL_FILE),
        learned_cues=pd.read_parquet(cues) if cues.is_file() else None)

"""A topics stage result with its fitted model, written to a folder and read back.

The model goes through BERTopic's safetensors serialization (no pickle) and is read back
as a :class:`SavedTopicModel`, the folder it is saved in: a cached stage copies the folder
into the run folder without loading BERTopic (which first builds the embedding model the
folder names). UMAP and HDBSCAN are not kept, which nothing after the topics stage needs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from stance.data import TopicResult
from stance.topics import load_topic_model, save_topic_model

_TABLES = ("topics", "terms", "assignments", "ranked_terms", "refits")


class SavedTopicModel:
    """A topic model saved by :func:`stance.topics.save_topic_model`, not loaded."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def load(self, encoder):
        """The BERTopic model, embedding with ``encoder``."""
        return load_topic_model(self.folder, encoder)


def store_topic_model(model, folder: Path, embedder_path: Path) -> SavedTopicModel:
    """Put the topic model in ``folder``: save a fitted one, copy one saved elsewhere."""
    if isinstance(model, SavedTopicModel):
        if model.folder.resolve() == Path(folder).resolve():  # saved there on a worker
            return model
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(model.folder, folder)
    else:
        save_topic_model(model, folder, embedder_path)
    return SavedTopicModel(folder)


def save_topic_result(result: TopicResult, folder: Path, embedder_path: Path) -> None:
    """Write every part of ``result`` into ``folder`` (an existing, empty folder)."""
    for name in _TABLES:
        getattr(result, name).to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "params.json").write_text(json.dumps(result.params, sort_keys=True))
    store_topic_model(result.model, folder / "model", embedder_path)


def load_topic_result(folder: Path) -> TopicResult:
    """Read a result written by :func:`save_topic_result`; its model stays on disk."""
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in _TABLES}
    return TopicResult(**tables, params=json.loads((folder / "params.json").read_text()),
                       model=SavedTopicModel(folder / "model"))

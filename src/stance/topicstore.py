"""A fitted topic model with its tables, written to a folder and read back (the stage cache).

The model goes through BERTopic's safetensors serialization (no pickle); UMAP and HDBSCAN
are not kept, which nothing after the topics stage needs: topics of new texts come from
the topic embeddings.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from stance.topics import TopicModelResult, load_topic_model, save_topic_model


def save_topic_result(result: TopicModelResult, folder: Path, embedder_path: str | Path) -> None:
    """Write every part of ``result`` into ``folder`` (an existing, empty folder)."""
    folder = Path(folder)
    result.topics.to_parquet(folder / "topics.parquet", index=False)
    result.terms.to_parquet(folder / "terms.parquet", index=False)
    result.assignments.to_parquet(folder / "assignments.parquet", index=False)
    (folder / "params.json").write_text(json.dumps(result.params, sort_keys=True))
    save_topic_model(result.model, folder / "model", embedder_path)


def load_topic_result(folder: Path, embedder) -> TopicModelResult:
    """Read a result written by :func:`save_topic_result`; the model embeds with ``embedder``."""
    folder = Path(folder)
    return TopicModelResult(
        topics=pd.read_parquet(folder / "topics.parquet"),
        terms=pd.read_parquet(folder / "terms.parquet"),
        assignments=pd.read_parquet(folder / "assignments.parquet"),
        model=load_topic_model(folder / "model", embedder),
        params=json.loads((folder / "params.json").read_text()))

"""How each cached stage's output is written to its cache folder and read back."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from stance.data import ActorStance
from stance.run._framing_store import load_framing_result, save_framing_result
from stance.run._outputs import read_cleaned, read_segments, write_cleaned, write_segments
from stance.run._stages import Store
from stance.run._topic_store import load_topic_result, save_topic_result


def _save_cleaned(value, folder: Path) -> None:
    cleaned, digest = value
    write_cleaned(cleaned, folder)
    (folder / "corpus.sha256").write_text(digest)


def _load_cleaned(folder: Path):
    return read_cleaned(folder), (folder / "corpus.sha256").read_text()


#: The corpus stage's output: the cleaned corpus and the sha256 of the data read.
CORPUS_STORE = Store(_save_cleaned, _load_cleaned)
SEGMENTS_STORE = Store(write_segments, read_segments)
TRUNCATION_STORE = Store(lambda value, folder: (folder / "cut.json").write_text(json.dumps(value)),
                         lambda folder: json.loads((folder / "cut.json").read_text()))
MAP_STORE = Store(lambda value, folder: np.save(folder / "coordinates.npy", value),
                  lambda folder: np.load(folder / "coordinates.npy"))


def _save_actor_stance(value: ActorStance, folder: Path) -> None:
    value.mentions.to_parquet(folder / "mentions.parquet", index=False)
    if value.labelled is not None:
        value.labelled.to_parquet(folder / "labelled.parquet", index=False)
    (folder / "evaluation.json").write_text(json.dumps(value.evaluation))


def _load_actor_stance(folder: Path) -> ActorStance:
    labelled = folder / "labelled.parquet"
    return ActorStance(pd.read_parquet(folder / "mentions.parquet"),
                       json.loads((folder / "evaluation.json").read_text()),
                       pd.read_parquet(labelled) if labelled.is_file() else None)


#: The actor stance stage's output, before its shares are tabulated.
ACTOR_STANCE_STORE = Store(_save_actor_stance, _load_actor_stance)


def topics_store(embedder_path: Path) -> Store:
    """The topics stage's output; its model points at the embedding model's folder."""
    return Store(lambda value, folder: save_topic_result(value, folder, embedder_path),
                 load_topic_result)


def framing_store() -> Store:
    """The framing stage's output, its model saved as the run folder saves it."""
    return Store(save_framing_result, load_framing_result)

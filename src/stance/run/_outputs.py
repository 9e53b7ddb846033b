"""A run folder's files: every name defined once, and how each result is written and read.

A table of one row per segment (or mention) longer than :data:`PART_ROWS` rows is written as
a partitioned Parquet dataset: a folder of the same name holding ``part-00000.parquet``, ...
(a CSV table's folder is named ``<stem>.parquet``). pandas, pyarrow and DuckDB read the
folder as one table, and so does :func:`read_table`. docs/run-folder.md describes each file
for users.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from stance.data import Audit, CleanedCorpus, Corpus, Segments

CONFIG = "config.yaml"
MANIFEST = "manifest.json"
FAILED = "FAILED.txt"
CORPUS = "corpus.parquet"
CORPUS_LABELS = "corpus.labels"
AUDIT = "audit.csv"
CLEANING = "cleaning.csv"
SEGMENTS = "segments.parquet"
TOPICS = "topics.csv"
TOPIC_TERMS = "topic_terms.csv"
ASSIGNMENTS = "segment_topics.parquet"
TOPIC_MAP = "segment_map.parquet"
TOPIC_MODEL = "topic_model"
PREVALENCE = "topic_prevalence.csv"
OVER_TIME = "topics_over_time.csv"
METRICS = "metrics.json"
FRAMING_METRICS = "framing_metrics.json"
PREDICTIONS = "predictions.parquet"
TOP_FEATURES = "framing_top_features.csv"
LEARNED_CUES = "framing_learned_cues.csv"
FRAMING_MODEL = "framing_model.skops"
FRAMING_CORPUS = "framing_corpus.parquet"
FRAMING_OUTLETS = "framing_outlets.csv"
ACTOR_MENTIONS = "actor_mentions.csv"
ACTORS = "actors.csv"
ACTOR_STANCE = "actor_stance.csv"
ACTOR_STANCE_OUTLETS = "actor_stance_outlets.csv"
ACTOR_STANCE_TIME = "actor_stance_over_time.csv"
ACTOR_STANCE_EVALUATION = "actor_stance.json"
ACTOR_STANCE_LABELS = "actor_stance_labels.csv"
DISTINCTIVE_TERMS = "distinctive_terms.csv"
FIGURES = "figures"
REPORT = "report.pdf"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON (non-JSON values as strings)."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON file's data, or None when the file is absent."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_cleaned(cleaned: CleanedCorpus, folder: Path) -> None:
    """corpus.parquet (with corpus.labels, its label columns), audit.csv and cleaning.csv."""
    frame = cleaned.corpus.documents.copy()
    frame.attrs = {}
    frame.to_parquet(folder / CORPUS, index=False)
    (folder / CORPUS_LABELS).write_text("\n".join(cleaned.corpus.labels))
    cleaned.audit.documents.to_csv(folder / AUDIT, index=False)
    cleaned.audit.removals.to_csv(folder / CLEANING, index=False)


def read_cleaned(folder: Path) -> CleanedCorpus:
    """What :func:`write_cleaned` wrote."""
    labels = tuple(x for x in (folder / CORPUS_LABELS).read_text().splitlines() if x)
    corpus = Corpus(pd.read_parquet(folder / CORPUS), labels)
    documents = pd.read_csv(folder / AUDIT, dtype=str, keep_default_na=False)
    removals = pd.read_csv(folder / CLEANING, dtype={"doc_id": str})
    return CleanedCorpus(corpus, Audit(documents, removals))


#: Rows per part of a partitioned table; a longer table is written in parts.
PART_ROWS = 250_000


def write_rows(frame: pd.DataFrame, path: Path) -> None:
    """A long table at ``path``: one file, or above :data:`PART_ROWS` rows a Parquet dataset.

    A ``.csv`` path stays CSV while the table is short; its dataset is ``<stem>.parquet``.
    """
    starts = range(0, max(len(frame), 1), PART_ROWS)
    for start, part in zip(starts, part_paths(path, len(starts)), strict=True):
        write_part(frame.iloc[start:start + PART_ROWS], part)


def part_paths(path: Path, parts: int) -> list[Path]:
    """Where each of ``parts`` parts of the table named ``path`` is written.

    One part is the file itself; more are the files of its dataset folder
    (``<stem>.parquet``), which is created.
    """
    if parts == 1:
        return [path]
    dataset = path.with_suffix(".parquet")
    dataset.mkdir()
    return [dataset / part_name(number) for number in range(parts)]


def write_part(frame: pd.DataFrame, path: Path) -> None:
    """One part of a table: CSV or Parquet, as ``path`` is named."""
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)


def part_name(number: int) -> str:
    """The file name of part ``number`` of a partitioned dataset."""
    return f"part-{number:05d}.parquet"


def dataset_files(path: Path) -> list[Path]:
    """The Parquet files of a table: its parts in order, or the file itself."""
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def written_path(path: Path) -> Path | None:
    """Where the table named ``path`` was written: the file, its dataset folder, or None."""
    for candidate in (path, path.with_suffix(".parquet")):
        if candidate.is_file() or (candidate.suffix == ".parquet" and candidate.is_dir()):
            return candidate
    return None


def write_segments(segments: Segments, folder: Path) -> None:
    """segments.parquet."""
    write_rows(segments.table, folder / SEGMENTS)


def read_segments(folder: Path) -> Segments:
    """What :func:`write_segments` wrote."""
    return Segments(pd.read_parquet(folder / SEGMENTS))


#: CSV columns holding strings from the data, read back literally ("007" stays "007", an
#: outlet named "NA" stays "NA").
TEXT_COLUMNS = ("doc_id", "seg_id", "outlet", "actor", "alias", "mention", "sentence",
                "context", "label", "stance", "rationale", "descriptor", "term", "group")


def read_table(path: Path) -> pd.DataFrame | None:
    """A CSV or Parquet table (or its partitioned dataset), or None when it is absent."""
    path = written_path(path)
    if path is None:
        return None
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str), keep_default_na=False,
                       na_values=[""])

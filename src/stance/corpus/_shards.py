"""A folder of Parquet or JSON Lines shards, read and validated one shard at a time.

Each shard is read and normalised on its own (on the cluster's workers when there is one),
so the Python objects of reading live one shard at a time and the driver receives only
Arrow-backed tables. What needs every shard at once is done after: the column checks on
the union of the shards' columns (as one concatenated table would have them), and repeated
ids.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stance.config import CorpusConfig
from stance.corpus._tables import read_table_file, shards
from stance.corpus._tasks import map_in_order
from stance.corpus._validate import Problem, check_columns, duplicate_id_problems, normalise
from stance.errors import StanceError


@dataclass(frozen=True)
class ShardRows:
    """One shard's normalised rows, their problems (indices from 0) and the columns it had."""

    frame: pd.DataFrame
    problems: tuple[Problem, ...]
    columns: tuple[str, ...]


def read_shards(cfg: CorpusConfig, fmt: str, problems: list[Problem], *,
                client=None) -> pd.DataFrame:
    """Every shard's normalised rows in shard order, indexed from 0 across the shards.

    Appends each row's problems to ``problems``, duplicate ids across shards included.
    """
    paths = shards(cfg.path, fmt)
    pieces = map_in_order(client, read_shard, paths, "reading shards", cfg=cfg, fmt=fmt)
    columns = dict.fromkeys(c for piece in pieces for c in piece.columns)
    check_columns(pd.DataFrame(columns=list(columns)), cfg)
    # a shard without a column others have is read again with it empty, as one table of
    # every shard would have it (a JSON Lines shard none of whose records has a title)
    wanted = set(_configured(cfg)) & set(columns)
    again = [i for i, piece in enumerate(pieces) if not wanted <= set(piece.columns)]
    if again:
        redone = map_in_order(client, read_shard, [paths[i] for i in again], "reading shards",
                              cfg=cfg, fmt=fmt, present=frozenset(columns))
        for i, piece in zip(again, redone, strict=True):
            pieces[i] = piece
    frames, offset = [], 0
    for piece in pieces:
        frames.append(piece.frame.set_axis(pd.RangeIndex(offset, offset + len(piece.frame))))
        problems += [dataclasses.replace(p, index=p.index + offset) for p in piece.problems]
        offset += len(piece.frame)
    frames = [frame for frame in frames if not frame.empty]
    if not frames:
        raise StanceError(f"{cfg.path}: the corpus is empty; add articles")
    frame = pd.concat(frames)
    problems += duplicate_id_problems(frame, cfg)  # over every shard: "first at" the first
    return frame


def read_shard(path: Path, *, cfg: CorpusConfig, fmt: str,
               present: frozenset[str] = frozenset()) -> ShardRows:
    """One shard read and normalised; of the columns ``present`` names, those it lacks are empty.

    Without every configured text and label column it is read as nothing: the driver stops
    on the columns of all shards together.
    """
    problems: list[Problem] = []
    raw = read_table_file(path, cfg, fmt, problems)
    columns = tuple(c for c in raw.columns if c != "_where")
    missing = {c: None for c in _configured(cfg) if c in present and c not in raw.columns}
    raw = raw.assign(**missing)
    required = [cfg.columns.text, *cfg.columns.labels]
    if raw.empty or not set(required) <= set(raw.columns):
        return ShardRows(pd.DataFrame(), (), columns)
    frame = normalise(raw, cfg, problems, check_ids=False)  # the driver checks them all
    return ShardRows(frame, tuple(problems), columns)


def _configured(cfg: CorpusConfig) -> list[str]:
    """The input columns the config reads."""
    cols = cfg.columns
    named = [cols.text, cols.id, cols.outlet, cols.title, cols.date, *cols.labels,
             cfg.outlet_from_url]
    return [c for c in named if c is not None]

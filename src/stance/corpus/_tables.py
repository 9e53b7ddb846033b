"""One table file of a corpus (CSV, JSON Lines or Parquet) as rows, each with where it was read."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pandas as pd

from stance.config import CorpusConfig
from stance.corpus._files import parse_csv, read_text_file
from stance.corpus._validate import Problem
from stance.errors import StanceError

#: Formats a folder of shards may hold, with their suffixes.
SHARDED = {"parquet": (".parquet", ".pq"), "jsonl": (".jsonl", ".ndjson")}


def is_pattern(path: Path) -> bool:
    """Whether ``corpus.path`` is a glob pattern of files (``shards/part-*.parquet``)."""
    return not path.exists() and any(c in str(path) for c in "*?[")


def is_sharded(path: Path) -> bool:
    """Whether ``corpus.path`` names many files: a folder, or a pattern."""
    return path.is_dir() or is_pattern(path)


def matching_files(pattern: Path) -> list[Path]:
    """The files a pattern matches, in name order (``**`` reaches into subfolders)."""
    return sorted(Path(p) for p in glob.glob(str(pattern), recursive=True) if Path(p).is_file())


def shards(path: Path, fmt: str) -> list[Path]:
    """The shard files of a sharded corpus (a folder or a pattern), in name order."""
    found = matching_files(path) if is_pattern(path) else sorted(path.iterdir())
    return [p for p in found if p.suffix.lower() in SHARDED[fmt] and not p.name.startswith(".")]


def require_corpus_path(path: Path) -> None:
    """Raise the user's error when ``corpus.path`` names nothing on disk."""
    if is_pattern(path):
        if not matching_files(path):
            raise StanceError(f"{path}: corpus.path matches no file; fix the pattern")
    elif not path.exists():
        raise StanceError(f"{path}: corpus.path does not exist; point it at a folder or file")


def read_csv_table(path: Path, cfg: CorpusConfig) -> pd.DataFrame:
    """A CSV (or TSV) file's cells as strings, verbatim."""
    sep = "\t" if path.suffix.lower() == ".tsv" and cfg.csv_separator == "," else cfg.csv_separator
    text = read_text_file(path, cfg.encoding_fallbacks, binary="binary file, not CSV text; "
                          "check corpus.path", empty="empty file; add a header row and articles")
    return parse_csv(text, path, invalid="not valid CSV",
                     remedy="check the quoting of that line and corpus.csv_separator", sep=sep)


def read_table_file(path: Path, cfg: CorpusConfig, fmt: str,
                    problems: list[Problem]) -> pd.DataFrame:
    """The rows of one file, with ``_where`` (file and row); unreadable lines go to ``problems``.

    Problem indices count this file's rows from 0.
    """
    if fmt == "csv":
        frame = read_csv_table(path, cfg)
        frame["_where"] = [f"{path}:row {i}" for i in range(1, len(frame) + 1)]
    elif fmt == "jsonl":
        frame = _read_jsonl(path, cfg, problems)
    else:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise StanceError(f"{path}: not a readable Parquet file ({exc})") from None
        frame["_where"] = [f"{path}:row {i}" for i in range(1, len(frame) + 1)]
    return frame


def _read_jsonl(path: Path, cfg: CorpusConfig, problems: list[Problem]) -> pd.DataFrame:
    """The file's JSON objects, one row per non-blank line.

    A line that is not a JSON object stops the read under ``on_invalid: error``; under
    ``drop`` it becomes an empty row with that problem, so audit.csv lists it.
    """
    text = read_text_file(path, cfg.encoding_fallbacks,
                          binary="binary file, not JSON Lines; check corpus.path", empty=None)
    records, where, broken = [], [], []
    # "\n" only: str.splitlines also breaks at U+2028, U+0085 and others, which JSON allows
    # raw inside strings
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            problem = None if isinstance(record, dict) else "expected a JSON object per line"
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON ({exc.msg}); each line must be one JSON object"
        if problem is not None:
            if cfg.on_invalid == "error":
                raise StanceError(f"{path}:{number}: {problem}") from None
            broken.append(Problem(f"{path}:{number}", len(records), problem))
            record = {}
        records.append(record)
        where.append(f"{path}:{number}")
    if len(broken) == len(records):  # nothing readable: the first problem says why
        raise StanceError(broken[0].line() if broken else
                          f"{path}: empty file; add one JSON object per article")
    problems.extend(broken)
    # object columns: a column of ids or codes with one null would otherwise turn to floats
    # (7 -> "7.0", and large ids lose digits)
    frame = pd.DataFrame(records, dtype=object)
    frame["_where"] = where
    return frame

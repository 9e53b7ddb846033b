"""Comparing two run folders of one config, output by output.

Settings and metrics (metrics.json, framing_metrics.json) are compared key by key, flattened
to dotted keys, with a tolerance of 1e-9; segments, topic assignments, map coordinates and
framing predictions (out-of-fold and over the corpus) id by id; the tables behind the
figures and the report (topics, terms, prevalence, topics over time, framing features,
learned cues and shares per outlet, distinctive terms, actor naming and mentions) cell by
cell, as written; figures by the sha256 of their SVG, which the same data drawn by the
same matplotlib gives byte for byte (:func:`stance.report.save_figure`). Figures drawn by
another matplotlib version are compared only by which files exist, and the check says so.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from stance.errors import StanceError
from stance.run import _outputs as files

#: Floats this close count as equal: summation order may differ in the last bits.
TOLERANCE = 1e-9
#: Differences kept per check to show; the count covers all of them.
MAX_EXAMPLES = 5

#: Outputs in pipeline order: (file, id column, compared columns); JSON files and the CSV
#: tables (compared cell by cell, rows in order) have neither.
_OUTPUTS = (
    (files.SEGMENTS, "seg_id", ("text",)),
    (files.ASSIGNMENTS, "seg_id", ("topic",)),
    (files.TOPIC_MAP, "seg_id", ("x", "y")),
    (files.TOPICS, "", ()),
    (files.TOPIC_TERMS, "", ()),
    (files.PREVALENCE, "", ()),
    (files.OVER_TIME, "", ()),
    (files.METRICS, "", ()),
    (files.PREDICTIONS, "unit_id", ("predicted",)),
    (files.FRAMING_METRICS, "", ()),
    (files.FRAMING_CORPUS, "unit_id", ("predicted",)),
    (files.FRAMING_OUTLETS, "", ()),
    (files.TOP_FEATURES, "", ()),
    (files.LEARNED_CUES, "", ()),
    (files.DISTINCTIVE_TERMS, "", ()),
    (files.ACTORS, "", ()),
    (files.ACTOR_MENTIONS, "", ()),
    (files.ACTOR_STANCE, "", ()),
    (files.ACTOR_STANCE_OUTLETS, "", ()),
    (files.ACTOR_STANCE_TIME, "", ()),
    (files.ACTOR_STANCE_EVALUATION, "", ()),
    (files.ACTOR_STANCE_LABELS, "", ()),
)
#: The check of the figures' bytes; and of which figures exist, where the bytes are not
#: compared.
FIGURES_CHECK = "figures (SVG sha256)"
FIGURE_FILES_CHECK = "figures (SVG files)"
#: A CSV cell that is a whole number (ASCII digits).
_INTEGER = r"[+-]?[0-9]+"

#: Settings naming where files live, left out of the config comparison: the corpus is
#: compared by its sha256, and a re-run writes to a temporary folder.
_LOCATIONS = ("output_dir", "corpus.path", "corpus.metadata", "embedding.cache_dir")
#: Settings of where the work runs (a Dask cluster or this process), which must not change
#: a result: left out of the config comparison, so the outputs say whether they did.
_WHERE_IT_RAN = "compute."


@dataclass(frozen=True)
class Difference:
    """One key or id whose value differs (``None``: absent on that side)."""

    key: str
    expected: Any
    found: Any


@dataclass(frozen=True)
class Check:
    """The comparison of one output: how many values were compared and which differ."""

    name: str
    n_compared: int
    n_different: int
    examples: tuple[Difference, ...] = ()
    #: Why nothing was compared (then the check neither passes nor fails a run).
    not_compared: str = ""

    @property
    def ok(self) -> bool:
        """Whether every compared value matched."""
        return self.n_different == 0

    @property
    def status(self) -> str:
        """'ok', 'MISMATCH', or 'not compared: ' and why."""
        if self.not_compared:
            return f"not compared: {self.not_compared}"
        return "ok" if self.ok else "MISMATCH"



#: Manifest entries of the environment a run's numbers depend on.
_ENVIRONMENT = ("python", "platform", "machine", "packages", "numeric_env")


def environment_differences(expected: Path, found: Path) -> tuple[Difference, ...]:
    """Where the environments recorded in two run folders' manifests differ."""
    sides = [_load_json(Path(run) / files.MANIFEST) for run in (expected, found)]
    left, right = (flatten({k: side.get(k) for k in _ENVIRONMENT}) for side in sides)
    return tuple(_differences(left, right))


def compare_runs(expected: Path, found: Path) -> tuple[Check, ...]:
    """Compare the outputs of two run folders of one config.

    Outputs absent from both folders (a stage that did not run) are skipped.
    """
    expected, found = Path(expected), Path(found)
    inputs = [{"corpus_sha256": _load_json(run / files.MANIFEST).get("corpus_sha256")}
              for run in (expected, found)]
    checks = [_compare_values(files.CONFIG, _settings(expected), _settings(found)),
              _compare_values("input corpus", *inputs)]
    for name, id_column, columns in _OUTPUTS:
        left, right = files.written_path(expected / name), files.written_path(found / name)
        if left is None and right is None:
            continue
        if left is None or right is None:
            checks += [Check(f"{name} {column}".strip(), 1, 1,
                             (Difference("file", _present(left), _present(right)),))
                       for column in columns or ("",)]
        elif id_column:
            checks += _compare_table(left, right, id_column, columns)
        elif name.endswith(".csv"):
            checks.append(_compare_cells(left, right, name))
        else:
            checks.append(_compare_values(name, flatten(_load_json(left)),
                                          flatten(_load_json(right))))
    figures = _figure_digests(expected), _figure_digests(found)
    if any(figures):
        drawn_by = [(_load_json(run / files.MANIFEST).get("packages") or {}).get("matplotlib")
                    or "unknown" for run in (expected, found)]
        if drawn_by[0] != drawn_by[1]:  # the same data drawn by another version: other bytes
            checks.append(_compare_values(FIGURE_FILES_CHECK,
                                          *({name: "present" for name in side}
                                            for side in figures)))
            checks.append(Check(FIGURES_CHECK, 0, 0, not_compared=(
                f"drawn by matplotlib {drawn_by[0]} and {drawn_by[1]}")))
        else:
            checks.append(_compare_values(FIGURES_CHECK, *figures))
    return tuple(checks)


def _figure_digests(run_dir: Path) -> dict[str, str]:
    """sha256 of each figure's SVG, by file name."""
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted((run_dir / files.FIGURES).glob("*.svg"))}


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one dict of dotted keys (list items by index)."""
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _compare_values(name: str, expected: dict[str, Any], found: dict[str, Any]) -> Check:
    differ = _differences(expected, found)
    n_keys = len(expected.keys() | found.keys())
    return Check(name, n_keys, len(differ), tuple(differ[:MAX_EXAMPLES]))


def _differences(expected: dict[str, Any], found: dict[str, Any]) -> list[Difference]:
    """Every key absent on one side or whose values differ beyond rounding, in key order."""
    keys = dict.fromkeys([*expected, *found])
    return [Difference(k, expected.get(k), found.get(k)) for k in keys
            if k not in expected or k not in found or not _same(expected[k], found[k])]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    return a == b


def _compare_table(expected: Path, found: Path, id_column: str,
                   columns: tuple[str, ...]) -> list[Check]:
    """One check per column of two tables, row by row matched on ``id_column``."""
    wanted = [id_column, *columns]
    left, right = pd.read_parquet(expected), pd.read_parquet(found)
    for path, table in ((expected, left), (found, right)):
        if not set(wanted) <= set(table.columns):
            raise StanceError(f"{path}: expected columns {', '.join(wanted)}, found "
                              f"{list(table.columns)}; was it written by another stance version?")
    merged = left[wanted].merge(right[wanted], on=id_column, how="outer",
                                suffixes=("_expected", "_found"), indicator=True)
    checks = []
    for column in columns:
        a, b = merged[f"{column}_expected"], merged[f"{column}_found"]
        differ = merged[(merged["_merge"] != "both") | ~_equal(a, b)]
        examples = tuple(Difference(f"{id_column} {row[id_column]}",
                                    _cell(row, "expected", column), _cell(row, "found", column))
                         for _, row in differ.head(MAX_EXAMPLES).iterrows())
        checks.append(Check(f"{expected.name} {column}", len(merged), len(differ), examples))
    return checks


def _compare_cells(expected: Path, found: Path, name: str) -> Check:
    """Two tables of one layout, row by row in order, each cell as written.

    A column whose every cell, on both sides, is a number or empty and not all whole
    numbers is compared as numbers within the tolerance ("0.30000000000000004" and "0.3");
    every other column as text ("007" and "7" differ, as do "1.10" and "1.1" in a column
    of section numbers beside "2.a").
    """
    left, right = (_read_cells(path) for path in (expected, found))
    if list(left.columns) != list(right.columns):
        return Check(name, 1, 1, (Difference("columns", list(left.columns),
                                                      list(right.columns)),))
    rows = min(len(left), len(right))
    differ = [Difference("rows", len(left), len(right))] if len(left) != len(right) else []
    n_different = len(differ)
    for column in left.columns:
        a, b = left[column].iloc[:rows], right[column].iloc[:rows]
        if _decimal_column(left[column], right[column]):  # then "0.3" is "0.30000000000000004"
            a, b = pd.to_numeric(a), pd.to_numeric(b)
        mismatched = (~_equal(a, b)).to_numpy().nonzero()[0]
        n_different += len(mismatched)
        differ += [Difference(f"row {i} {column}", a.iat[i], b.iat[i])
                   for i in mismatched[:MAX_EXAMPLES]]
    return Check(name, rows * len(left.columns) + (len(left) != len(right)),
                 n_different, tuple(differ[:MAX_EXAMPLES]))


def _read_cells(path: Path) -> pd.DataFrame:
    """Every cell as the text written (empty: missing); a file with no columns is empty."""
    if path.suffix == ".parquet":  # a long CSV table written as a dataset
        return pd.read_parquet(path).astype("string").astype(object).where(lambda t: t.notna())
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def _decimal_column(*sides: pd.Series) -> bool:
    """Whether every cell of the column is a number or empty, and some are not whole."""
    cells = pd.concat(sides).dropna()
    numbers = pd.to_numeric(cells, errors="coerce")
    return (not cells.empty and bool(numbers.notna().all())
            and not bool(cells.str.fullmatch(_INTEGER).all()))


def _equal(a: pd.Series, b: pd.Series) -> pd.Series:
    """Element by element: equal, both missing, or floats within the tolerance."""
    same = (a == b) | (a.isna() & b.isna())
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        same |= pd.Series(np.isclose(a, b, rtol=TOLERANCE, atol=TOLERANCE), index=a.index)
    return same


def _cell(row: pd.Series, side: str, column: str) -> Any:
    absent = row["_merge"] == ("right_only" if side == "expected" else "left_only")
    return None if absent else row[f"{column}_{side}"]


def _settings(run_dir: Path) -> dict[str, Any]:
    """The run's settings as dotted keys, without the ones naming where files live."""
    flat = flatten(yaml.safe_load((run_dir / files.CONFIG).read_text(encoding="utf-8")))
    return {k: v for k, v in flat.items()
            if k not in _LOCATIONS and not k.startswith(_WHERE_IT_RAN)}


def _load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _present(path: Path | None) -> str:
    return "absent" if path is None else "present"

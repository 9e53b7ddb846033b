"""Validate and normalise the rows read from a corpus: ids, outlets, dates, labels, texts.

Each problem a row has is recorded with where it was read, so the corpus stage can stop
with one line per problem (``corpus.on_invalid: error``) or drop the row with that reason.
"""

from __future__ import annotations

import hashlib
import logging
import numbers
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from stance.config import Columns, CorpusConfig
from stance.corpus._dates import parse_dates
from stance.errors import StanceError

log = logging.getLogger(__name__)

#: Second-level labels under which a country code names no site (bbc.co.uk, abc.net.au).
GENERIC_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "net", "org"})


@dataclass(frozen=True)
class Problem:
    """Why one input row is invalid, and where it was read."""

    where: str
    index: int
    message: str

    def line(self) -> str:
        """The problem as the one line an error shows."""
        return f"{self.where}: {self.message}"


def _require_column(frame: pd.DataFrame, column: str, key: str, source: Path) -> None:
    if column not in frame.columns:
        # a folder corpus's text column comes from its files, not from metadata.csv
        read = frame.attrs.get("columns_read", frame.columns)
        # quoted where spaces would hide why a name does not match
        found = ", ".join(repr(c) if c != c.strip() else c for c in read
                          if not c.startswith("_"))
        raise StanceError(f"{source}: no column '{column}' ({key}); found {found}; "
                          f"set {key} to the right column")


#: What a run does without each optional column.
_WITHOUT = {"id": "ids from the text", "outlet": "one outlet, corpus.default_outlet",
            "date": "no dates, so no topics over time", "title": "no titles"}


def _check_optional_columns(raw: pd.DataFrame, cfg: CorpusConfig, source: Path) -> None:
    """Stop on an id, outlet, date or title column the config names but the input lacks.

    Left at its default name, an absent column is only logged: a corpus may have no dates
    or titles.
    """
    defaults, absent = Columns(), []
    for key, without in _WITHOUT.items():
        column = getattr(cfg.columns, key)
        if column is None or column in raw.columns:
            continue
        if column != getattr(defaults, key):
            _require_column(raw, column, f"corpus.columns.{key}", source)
        derived = ((key == "id" and "_default_id" in raw.columns)
                   or (key == "outlet" and cfg.outlet_from_url is not None))
        if not derived:
            absent.append(f"'{column}' (corpus.columns.{key}: {without})")
    if absent and source.is_dir() and "_default_id" in raw.columns:  # no metadata.csv
        log.warning("%s: no metadata.csv, so %s; add a metadata.csv (a row per file: file, "
                    "outlet, date, title) or set these columns to null to silence this",
                    source, ", ".join(absent))
    elif absent:
        log.warning("%s: no column %s; name the right columns, or set them to null to silence "
                    "this", source, ", ".join(absent))


def check_columns(raw: pd.DataFrame, cfg: CorpusConfig) -> None:
    """Stop on a text, label or named optional column the input lacks; log absent defaults."""
    source = raw.attrs.get("source", cfg.path)
    _require_column(raw, cfg.columns.text, "corpus.columns.text", source)
    for label in cfg.columns.labels:
        _require_column(raw, label, "corpus.columns.labels", source)
    _check_optional_columns(raw, cfg, source)


def normalise(raw: pd.DataFrame, cfg: CorpusConfig, problems: list[Problem], *,
              check_ids: bool = True) -> pd.DataFrame:
    """Map configured columns onto the standard ones and record per-row problems.

    ``raw`` has passed :func:`check_columns`. Text columns come back as Arrow strings.
    ``check_ids: False`` leaves repeated ids to the caller (one shard of many).
    """
    cols = cfg.columns
    source = raw.attrs.get("source", cfg.path)
    out = pd.DataFrame(index=raw.index)
    out["source"] = raw["_where"]
    # in a fixed order: a row's first problem is the reason audit.csv records. Label
    # columns may hold lists (the words annotators marked), kept as their repr.
    for column in dict.fromkeys([cols.text, cols.id, cols.outlet, cols.title, cols.date]):
        if column is not None and column in raw.columns:
            _flag_non_scalars(raw[column], column, out, problems)
    _flag_non_strings(raw[cols.text], cols.text, out, problems)
    out["text"] = as_text(raw[cols.text], strings_only=True).astype("str")
    out["doc_id"] = doc_ids(raw, cfg, out["text"])
    if cols.id is not None and cols.id in raw.columns:
        for index in out.index[out["doc_id"] == ""]:
            problems.append(Problem(out.at[index, "source"], index,
                                     f"column '{cols.id}': empty id; give every document an "
                                     "id, or set corpus.columns.id: null to derive them from "
                                     "the text"))
    for name, column in (("outlet", cols.outlet), ("title", cols.title)):
        present = column is not None and column in raw.columns
        out[name] = as_text(raw[column]) if present else ""
    if cfg.outlet_from_url is not None:
        out["outlet"] = _outlets_from_urls(raw, cfg.outlet_from_url, out, problems, source)
    outlets = out["outlet"].str.strip().replace(cfg.outlet_names)
    unnamed = outlets == ""
    out["outlet"] = outlets.replace("", cfg.default_outlet).astype("str")
    out["title"] = out["title"].astype("str")
    out["date"] = _parse_dates(raw, cols.date, out, problems, cfg.date_format)
    for label in cols.labels:
        out[label] = _label_values(as_text(raw[label]).str.strip(), label, cfg, source)
    already = {p.index for p in problems}
    for index in out.index[out["text"].str.strip() == ""]:
        if index not in already:
            problems.append(Problem(out.at[index, "source"], index,
                                     f"column '{cols.text}': empty text; add the article "
                                     "text or remove the row"))
    if check_ids:
        problems += duplicate_id_problems(out, cfg)
    read = cfg.outlet_from_url is not None or (cols.outlet is not None
                                                and cols.outlet in raw.columns)
    valid = ~out.index.isin([p.index for p in problems])  # the others are dropped or stop
    if read and (unnamed & valid).any():  # without the column, _check_optional_columns said so
        log.warning("%s: %d of %d documents name no outlet; they share the outlet '%s' "
                    "(corpus.default_outlet)", source, int((unnamed & valid).sum()),
                    int(valid.sum()), cfg.default_outlet)
    # Arrow strings, not Python objects: a million ids or outlets as objects hold ~100 MB
    return out.astype({name: "str" for name in out.columns if out[name].dtype == object})


def duplicate_id_problems(out: pd.DataFrame, cfg: CorpusConfig) -> list[Problem]:
    """A problem for each row whose id an earlier row has."""
    duplicated = out["doc_id"].duplicated(keep="first") & (out["doc_id"] != "")
    if not duplicated.any():
        return []
    first_seen = out.drop_duplicates("doc_id").set_index("doc_id")["source"]
    column = cfg.columns.id or "id"
    return [Problem(out.at[index, "source"], index,
                    f"column '{column}': duplicate id '{doc_id}' (first at "
                    f"{first_seen[doc_id]}); make ids unique")
            for index, doc_id in out.loc[duplicated, "doc_id"].items()]


#: Label cells that mean "no label" in exported tables (pandas' own default NA markers): a
#: label column read as text would otherwise make "NA" or "null" a framing class.
MISSING_LABELS = frozenset({"#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                            "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
                            "n/a", "nan", "null"})


def _label_values(values: pd.Series, label: str, cfg: CorpusConfig, source: str) -> pd.Series:
    """A label column after ``corpus.label_names``; a missing-value marker is no label ('').

    A marker named in ``label_names`` or ``keep_labels`` is a class, as the config says.
    """
    names = cfg.label_names.get(label, {})
    values = blank_missing_labels(
        values, names.keys() | set(cfg.keep_labels.get(label, [])),
        f"{source}: {{}} documents have {{}} in label column '{label}': read as no label (to "
        f"make one a class, name it in corpus.label_names.{label})")
    return values.replace(names).astype("str")


def blank_missing_labels(values: pd.Series, classes: AbstractSet[str],
                         warning: str) -> pd.Series:
    """``values`` with each missing-value marker not among ``classes`` as '' (no label).

    ``warning`` (with two ``{}``: "3 of 40", "'NA', 'null'") is logged when any is found.
    """
    missing = values.isin(MISSING_LABELS - classes)
    if missing.any():
        markers = ", ".join(f"'{m}'" for m in sorted(values[missing].unique()))
        log.warning(warning.format(f"{int(missing.sum())} of {len(values)}", markers))
    return values.mask(missing, "")


def doc_ids(raw: pd.DataFrame, cfg: CorpusConfig, texts: pd.Series) -> pd.Series:
    """Each row's id: its id column, stripped; a folder's file-path id; or one from ``texts``.

    An id from the text is stable: the same text gets the same id in every run. A row
    with no text (an unreadable JSON Lines line, an empty cell) gets none: it is dropped, or
    stops the run, and audit.csv names it by its source line.
    """
    column = cfg.columns.id
    if column is not None and column in raw.columns:
        return as_text(raw[column]).str.strip().astype("str")
    if "_default_id" in raw.columns:
        return raw["_default_id"]
    return pd.Series([hashlib.sha256(t.encode()).hexdigest()[:16] if t.strip() else ""
                      for t in texts], index=raw.index, dtype=object)


def as_text(values: pd.Series, *, strings_only: bool = False) -> pd.Series:
    """Cells as text, '' for missing: 7 and 7.0 (a number column with a gap) give '7'.

    ``strings_only`` leaves '' for anything but a string (a text cell that is a number,
    a list or a mapping, which :func:`_flag_non_scalars` and the empty-text check report).
    Otherwise a list (or array) becomes the repr of its items as strings, and a mapping ''.
    """
    def text(value: object) -> str:
        if isinstance(value, str):
            return value
        if not pd.api.types.is_scalar(value) and not isinstance(value, dict) and not strings_only:
            return repr([str(v) for v in value])  # a list of marked words, as JSON gave it
        if strings_only or value is None or _is_missing(value) or isinstance(value, dict):
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    if _holds_strings(values):  # CSV columns: no cell to convert one by one
        return values.fillna("").astype("string")
    return values.map(text).astype("string")


def _holds_strings(values: pd.Series) -> bool:
    """Whether every cell is a string or missing (a string dtype, as CSV columns are read)."""
    return isinstance(values.dtype, pd.StringDtype)


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays: not a missing scalar
        return False


def _flag_non_scalars(values: pd.Series, column: str, out: pd.DataFrame,
                      problems: list[Problem]) -> None:
    """A problem for each cell holding a list or mapping (JSON, Parquet), not one value."""
    if _holds_strings(values):
        return
    for index, value in values.items():
        if not pd.api.types.is_scalar(value) and value is not None:
            kind = "a mapping" if isinstance(value, dict) else "a list"
            problems.append(Problem(out.at[index, "source"], index,
                                     f"column '{column}': {kind}, not a single value; give "
                                     "one string (join the parts) or remove the row"))


def _flag_non_strings(texts: pd.Series, column: str, out: pd.DataFrame,
                      problems: list[Problem]) -> None:
    """A problem for each text cell holding a number, a truth value or bytes (JSON, Parquet)."""
    if _holds_strings(texts):
        return
    for index, value in texts.items():
        if isinstance(value, numbers.Number | bytes | np.bool_) and not _is_missing(value):
            problems.append(Problem(out.at[index, "source"], index,
                                     f"column '{column}': {type(value).__name__} {value!r:.40}, "
                                     "not text; give the article text as a string"))


def site_domain(url: str) -> str | None:
    """The site's registered domain of ``url``, or None without a host.

    Subdomains name sections and editions of one outlet, not outlets, so they are
    dropped: ``edition.cnn.com`` and ``money.cnn.com`` are both ``cnn.com``.

    Example:
        >>> site_domain("https://www.bbc.co.uk/news/world-1")
        'bbc.co.uk'
    """
    url = url.strip()
    try:
        host = urlsplit(url if "//" in url else f"//{url}").hostname
    except ValueError:  # e.g. an unbalanced [ in the host
        return None
    parts = (host or "").rstrip(".").split(".")
    if len(parts) < 2 or not all(parts):
        return None
    keep = 3 if (len(parts) >= 3 and len(parts[-1]) == 2
                 and parts[-2] in GENERIC_SECOND_LEVEL) else 2
    return ".".join(parts[-keep:])


def _outlets_from_urls(raw, column, out, problems, source) -> pd.Series:
    _require_column(raw, column, "corpus.outlet_from_url", source)
    urls = raw[column].astype("string").fillna("")
    domains = urls.map(site_domain)
    for index in urls.index[domains.isna()]:
        problems.append(Problem(out.at[index, "source"], index,
                                 f"column '{column}': '{urls[index]}' is not a URL with a "
                                 "site; fix it or remove the row"))
    return domains.fillna("").astype("string")


def unwanted_labels(frame: pd.DataFrame, cfg: CorpusConfig) -> dict[int, str]:
    """Rows whose label is not among ``corpus.keep_labels``, with the reason they go."""
    reasons: dict[int, str] = {}
    for column, kept in cfg.keep_labels.items():
        values = frame[column]
        for index in values.index[~values.isin(kept)]:
            reasons.setdefault(index, f"{column} '{values[index]}' not in keep_labels")
    return reasons


def _parse_dates(raw, column, out, problems, date_format: str) -> pd.Series:
    if column is None or column not in raw.columns:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    parsed, failures = parse_dates(as_text(raw[column]).str.strip(), date_format)
    for index, reason in failures.items():
        problems.append(Problem(out.at[index, "source"], index, f"column '{column}': {reason}"))
    return parsed

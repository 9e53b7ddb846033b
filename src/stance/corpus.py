"""Load a corpus from a folder of text files, CSV, JSONL or Parquet, and validate it.

Every input document is accounted for: it is loaded (``kept``) or, with
``corpus.on_invalid: drop``, dropped with a reason in the audit. With the
default ``on_invalid: error`` any invalid document stops the run with one line
per problem naming file, row, column and what to do. Documents whose label is
not among ``corpus.keep_labels`` are always dropped, with that reason.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from stance.config import Columns, CorpusConfig
from stance.data import AUDIT_COLUMNS, Corpus
from stance.errors import StanceError
from stance.progress import track

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
MAX_PROBLEMS_SHOWN = 20
# A NUL byte in the first 8 KiB marks a binary file, the heuristic git and grep use.
BINARY_SNIFF_BYTES = 8192
#: Second-level labels under which a country code names no site (bbc.co.uk, abc.net.au).
GENERIC_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "net", "org"})


@dataclass(frozen=True)
class LoadedCorpus:
    """A validated corpus plus the audit rows of every input document."""

    corpus: Corpus
    audit: pd.DataFrame
    digest: str


@dataclass(frozen=True)
class _Problem:
    where: str
    index: int
    message: str

    def line(self) -> str:
        return f"{self.where}: {self.message}"


def load_corpus(cfg: CorpusConfig) -> LoadedCorpus:
    """Read, validate and normalise the corpus named by ``cfg``.

    Returns:
        The corpus (columns doc_id, outlet, date, title, text, labels...,
        source), the audit of every input row, and a sha256 digest of the
        loaded data.

    Raises:
        StanceError: missing files or columns, an empty corpus, or invalid
            documents under ``on_invalid: error``.

    Example:
        >>> loaded = load_corpus(load_config("experiments/seeds.yaml").corpus)  # doctest: +SKIP
        >>> len(loaded.corpus)
        5
    """
    fmt = _detect_format(cfg)
    problems: list[_Problem] = []
    notes: dict[int, str] = {}
    if fmt == "folder":
        raw = _read_folder(cfg, problems, notes)
    else:
        raw = _read_table(cfg, fmt, notes)
    if cfg.limit is not None:
        raw = raw.iloc[: cfg.limit]
    frame = _normalise(raw, cfg, problems)
    frame, audit = _apply_problems(frame, problems, notes, cfg, _unwanted_labels(frame, cfg))
    if frame.empty:
        raise StanceError(
            f"{cfg.path}: the corpus has no usable documents "
            f"({len(audit)} read); add articles or check corpus.columns"
        )
    labels = tuple(cfg.columns.labels)
    corpus = Corpus(frame.reset_index(drop=True), labels)
    return LoadedCorpus(corpus, audit, _digest(corpus))


def require_corpus_path(path: Path) -> None:
    """Raise the user's error when ``corpus.path`` names nothing on disk."""
    if not path.exists():
        raise StanceError(f"{path}: corpus.path does not exist; point it at a folder or file")


def _detect_format(cfg: CorpusConfig) -> str:
    path = cfg.path
    require_corpus_path(path)
    if cfg.format != "auto":
        expected_dir = cfg.format == "folder"
        if path.is_dir() != expected_dir:
            kind = "a folder" if expected_dir else "a file"
            raise StanceError(f"{path}: corpus.format '{cfg.format}' needs {kind} at corpus.path")
        return cfg.format
    if path.is_dir():
        return "folder"
    by_suffix = {".csv": "csv", ".tsv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
                 ".parquet": "parquet", ".pq": "parquet"}
    fmt = by_suffix.get(path.suffix.lower())
    if fmt is None:
        raise StanceError(
            f"{path}: cannot tell the format from '{path.suffix}'; "
            "set corpus.format to folder, csv, jsonl or parquet"
        )
    return fmt


def decode_text(data: bytes, where: str,
                fallbacks: list[str]) -> tuple[str | None, str | None]:
    """Decode bytes as UTF-8, else the first fallback that works; return (text, note)."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    for encoding in fallbacks:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        note = f"not UTF-8; decoded as {encoding}"
        log.warning("%s: %s (re-save it as UTF-8 to silence this)", where, note)
        return text, note
    return None, None


def _read_folder(cfg: CorpusConfig, problems: list[_Problem], notes: dict[int, str]):
    root = cfg.path
    metadata_path = cfg.metadata or root / "metadata.csv"
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in TEXT_SUFFIXES
                   and p.is_file() and p.name.lower() != "readme.md")
    if not files and not metadata_path.exists():
        raise StanceError(f"{root}: no .txt or .md files and no metadata.csv; add articles "
                          "or point corpus.path at a CSV, JSONL or Parquet file")
    if metadata_path.exists():
        meta = _read_csv(metadata_path, cfg)
        file_col = cfg.columns.file
        if file_col not in meta.columns:
            raise StanceError(
                f"{metadata_path}: no column '{file_col}' naming each text file "
                f"(corpus.columns.file); found {', '.join(meta.columns)}"
            )
        listed = {str(root / name) for name in meta[file_col]}
        for path in files:
            if str(path) not in listed:
                log.warning("%s: not listed in %s; ignored", path, metadata_path.name)
    else:
        meta = pd.DataFrame({cfg.columns.file: [str(p.relative_to(root)) for p in files]})
        file_col = cfg.columns.file
    texts = []
    names = track(meta[file_col], "reading files", total=len(meta))
    for row_number, name in enumerate(names, start=2):
        path = root / str(name)
        where = str(path)
        text = None
        if not path.is_file():
            problems.append(_Problem(f"{metadata_path}:{row_number}", len(texts),
                                     f"column '{file_col}': file '{name}' not found; "
                                     "fix the name or remove the row"))
        else:
            data = path.read_bytes()
            if b"\x00" in data[:BINARY_SNIFF_BYTES]:
                problems.append(_Problem(where, len(texts), "binary file, not text; remove it "
                                         "or convert it to UTF-8 text"))
            else:
                text, note = decode_text(data, where, cfg.encoding_fallbacks)
                if text is None:
                    problems.append(_Problem(where, len(texts), "cannot be decoded as UTF-8 or "
                                             f"{'/'.join(cfg.encoding_fallbacks)}; re-save it "
                                             "as UTF-8"))
                elif note:
                    notes[len(texts)] = note
        texts.append(text)
    meta = meta.copy()
    if cfg.columns.text in meta.columns:
        raise StanceError(f"{metadata_path}: has a '{cfg.columns.text}' column; in folder "
                          "format the text comes from the files, so drop that column")
    meta[cfg.columns.text] = texts
    meta["_where"] = [str(root / str(n)) for n in meta[file_col]]
    meta.attrs["columns_read"] = [c for c in meta.columns if c != cfg.columns.text]
    if cfg.columns.id is None or cfg.columns.id not in meta.columns:
        # Folder corpora have a natural id: the file name without suffix.
        meta["_default_id"] = [Path(str(n)).stem for n in meta[file_col]]
    return meta


def _read_csv(path: Path, cfg: CorpusConfig) -> pd.DataFrame:
    sep = "\t" if path.suffix.lower() == ".tsv" and cfg.csv_separator == "," else cfg.csv_separator
    data = path.read_bytes()
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise StanceError(f"{path}: binary file, not CSV text; check corpus.path")
    text, _ = decode_text(data, str(path), cfg.encoding_fallbacks)
    if text is None:
        raise StanceError(f"{path}: cannot be decoded as text; re-save it as UTF-8")
    if not text.strip():
        raise StanceError(f"{path}: empty file; add a header row and articles")
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise StanceError(f"{path}: not valid CSV ({exc}); check corpus.csv_separator") from None


def _read_table(cfg: CorpusConfig, fmt: str, notes: dict[int, str]) -> pd.DataFrame:
    path = cfg.path
    if fmt == "csv":
        frame = _read_csv(path, cfg)
        frame["_where"] = [f"{path}:row {i}" for i in range(1, len(frame) + 1)]
    elif fmt == "jsonl":
        frame = _read_jsonl(path, cfg)
    else:
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise StanceError(f"{path}: not a readable Parquet file ({exc})") from None
        frame["_where"] = [f"{path}:row {i}" for i in range(1, len(frame) + 1)]
    return frame


def _read_jsonl(path: Path, cfg: CorpusConfig) -> pd.DataFrame:
    data = path.read_bytes()
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise StanceError(f"{path}: binary file, not JSON Lines; check corpus.path")
    text, _ = decode_text(data, str(path), cfg.encoding_fallbacks)
    if text is None:
        raise StanceError(f"{path}: cannot be decoded as text; re-save it as UTF-8")
    records, where = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StanceError(f"{path}:{number}: not valid JSON ({exc.msg}); "
                              "each line must be one JSON object") from None
        if not isinstance(record, dict):
            raise StanceError(f"{path}:{number}: expected a JSON object per line")
        records.append(record)
        where.append(f"{path}:{number}")
    if not records:
        raise StanceError(f"{path}: empty file; add one JSON object per article")
    frame = pd.DataFrame.from_records(records)
    frame["_where"] = where
    return frame


def _require_column(frame: pd.DataFrame, column: str, key: str, source: Path) -> None:
    if column not in frame.columns:
        # a folder corpus's text column comes from its files, not from metadata.csv
        read = frame.attrs.get("columns_read", frame.columns)
        found = ", ".join(c for c in read if not c.startswith("_"))
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
    if absent:
        log.warning("%s: no column %s; name the right columns, or set them to null to silence "
                    "this", source, ", ".join(absent))


def _normalise(raw: pd.DataFrame, cfg: CorpusConfig, problems: list[_Problem]) -> pd.DataFrame:
    """Map configured columns onto the standard ones and record per-row problems."""
    cols = cfg.columns
    source = (cfg.metadata or cfg.path / "metadata.csv") if cfg.path.is_dir() else cfg.path
    if raw.empty:
        raise StanceError(f"{cfg.path}: the corpus is empty; add articles")
    _require_column(raw, cols.text, "corpus.columns.text", source)
    for label in cols.labels:
        _require_column(raw, label, "corpus.columns.labels", source)
    _check_optional_columns(raw, cfg, source)
    out = pd.DataFrame(index=raw.index)
    texts = raw[cols.text].astype("string").fillna("")
    out["text"] = texts.astype(object)
    out["source"] = raw["_where"]
    if cols.id is not None and cols.id in raw.columns:
        out["doc_id"] = raw[cols.id].astype(str)
    elif "_default_id" in raw.columns:
        out["doc_id"] = raw["_default_id"]
    else:
        # Stable ids from content: the same text gets the same id in every run.
        out["doc_id"] = [hashlib.sha256(t.encode()).hexdigest()[:16] for t in out["text"]]
    for name, column in (("outlet", cols.outlet), ("title", cols.title)):
        present = column is not None and column in raw.columns
        out[name] = raw[column].astype("string").fillna("") if present else ""
    if cfg.outlet_from_url is not None:
        out["outlet"] = _outlets_from_urls(raw, cfg.outlet_from_url, out, problems, source)
    outlets = out["outlet"].str.strip().replace(cfg.outlet_names)
    unnamed = int((outlets == "").sum())
    read = cfg.outlet_from_url is not None or (cols.outlet is not None
                                                and cols.outlet in raw.columns)
    if unnamed and read:  # without an outlet column, _check_optional_columns said so
        log.warning("%s: %d of %d documents name no outlet; they share the outlet '%s' "
                    "(corpus.default_outlet)", source, unnamed, len(outlets), cfg.default_outlet)
    out["outlet"] = outlets.replace("", cfg.default_outlet).astype(object)
    out["title"] = out["title"].astype(object)
    out["date"] = _parse_dates(raw, cols.date, out, problems)
    for label in cols.labels:
        values = raw[label].astype("string").fillna("").str.strip()
        out[label] = values.replace(cfg.label_names.get(label, {})).astype(object)
    already = {p.index for p in problems}
    for index in out.index[out["text"].str.strip() == ""]:
        if index not in already:
            problems.append(_Problem(out.at[index, "source"], index,
                                     f"column '{cols.text}': empty text; add the article "
                                     "text or remove the row"))
    duplicated = out["doc_id"].duplicated(keep="first")
    first_seen = out.drop_duplicates("doc_id").set_index("doc_id")["source"]
    for index in out.index[duplicated]:
        doc_id = out.at[index, "doc_id"]
        problems.append(_Problem(out.at[index, "source"], index,
                                 f"column '{cols.id or 'id'}': duplicate id '{doc_id}' "
                                 f"(first at {first_seen[doc_id]}); make ids unique"))
    return out


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
        problems.append(_Problem(out.at[index, "source"], index,
                                 f"column '{column}': '{urls[index]}' is not a URL with a "
                                 "site; fix it or remove the row"))
    return domains.fillna("").astype("string")


def _unwanted_labels(frame: pd.DataFrame, cfg: CorpusConfig) -> dict[int, str]:
    """Rows whose label is not among ``corpus.keep_labels``, with the reason they go."""
    reasons: dict[int, str] = {}
    for column, kept in cfg.keep_labels.items():
        values = frame[column]
        for index in values.index[~values.isin(kept)]:
            reasons.setdefault(index, f"{column} '{values[index]}' not in keep_labels")
    return reasons


def _parse_dates(raw, column, out, problems) -> pd.Series:
    if column is None or column not in raw.columns:
        return pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    values = raw[column].astype("string").fillna("").str.strip()
    parsed = pd.to_datetime(values.replace("", None), format="ISO8601", errors="coerce")
    for index in values.index[(values != "") & parsed.isna()]:
        problems.append(_Problem(out.at[index, "source"], index,
                                 f"column '{column}': '{values[index]}' is not an ISO date "
                                 "(YYYY-MM-DD); fix it or leave it empty"))
    return parsed.dt.tz_localize(None) if parsed.dt.tz is not None else parsed


def _apply_problems(frame, problems, notes, cfg, unwanted) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stop on problems (on_invalid: error) or drop the rows with a reason.

    ``unwanted`` rows (a label outside keep_labels) are dropped either way: the
    config asked for it, so they are not errors.
    """
    problems = sorted(problems, key=lambda p: p.index)  # in input order, whatever found them
    if problems and cfg.on_invalid == "error":
        lines = [p.line() for p in problems[:MAX_PROBLEMS_SHOWN]]
        if len(problems) > MAX_PROBLEMS_SHOWN:
            lines.append(f"... and {len(problems) - MAX_PROBLEMS_SHOWN} more problems")
        lines.append("(set corpus.on_invalid: drop to drop invalid documents with a reason)")
        raise StanceError(*lines)
    reasons: dict[int, str] = {}
    for problem in problems:
        reasons.setdefault(problem.index, problem.message)
    for index, reason in unwanted.items():
        reasons.setdefault(index, reason)
    audit = pd.DataFrame({
        "doc_id": frame["doc_id"],
        "source": frame["source"],
        "status": ["dropped" if i in reasons else "kept" for i in frame.index],
        "reason": [reasons.get(i) or notes.get(i, "") for i in frame.index],
        "duplicate_of": "",
    })[list(AUDIT_COLUMNS)]
    kept = frame.drop(index=list(reasons))
    if problems:
        log.warning("%s: dropped %d of %d documents as invalid (corpus.on_invalid: drop); "
                    "audit.csv gives each reason", cfg.path, len({p.index for p in problems}),
                    len(frame))
    return kept, audit.reset_index(drop=True)


def _digest(corpus: Corpus) -> str:
    """sha256 over every document's id, metadata and text, in order."""
    h = hashlib.sha256()
    columns = ["doc_id", "outlet", "date", "title", "text", *corpus.labels]
    frame = corpus.documents[columns].astype("string").fillna("")
    for row in frame.itertuples(index=False):
        h.update("\x1f".join(row).encode())
        h.update(b"\x1e")
    return h.hexdigest()

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
import numbers
import os
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
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
    if cfg.metadata is not None and fmt != "folder":
        raise StanceError(f"{cfg.metadata}: corpus.metadata is read only for a folder corpus; "
                          f"{cfg.path} is a {fmt} file, so remove corpus.metadata")
    problems: list[_Problem] = []
    notes: dict[int, str] = {}
    ignored: list[tuple] = []  # audit rows of files a folder's metadata.csv does not list
    if fmt == "folder":
        raw = _read_folder(cfg, problems, notes, ignored)
    else:
        raw = _read_table(cfg, fmt, problems)
    beyond = _beyond_limit(raw, cfg)
    if cfg.limit is not None:
        raw = raw.iloc[: cfg.limit]
        # a bad line past the limit is not read into the run: its audit row says so
        problems = [p for p in problems if p.index < cfg.limit]
    frame = _normalise(raw, cfg, problems)
    unwanted = _unwanted_labels(frame, cfg)
    frame, audit = _apply_problems(frame, problems, notes, cfg, unwanted)
    if frame.empty:
        why = f"{len(unwanted)} not in corpus.keep_labels, " if unwanted else ""
        raise StanceError(
            f"{cfg.path}: the corpus has no usable documents ({len(audit)} read: {why}"
            f"{len(audit) - len(unwanted)} invalid); add articles or check corpus.columns"
            + (" and corpus.keep_labels" if unwanted else ""))
    audit = pd.concat([audit, *(pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))
                               for rows in (beyond, ignored) if rows)], ignore_index=True)
    labels = tuple(cfg.columns.labels)
    corpus = Corpus(frame.reset_index(drop=True), labels)
    return LoadedCorpus(corpus, audit, _digest(corpus))


def _beyond_limit(raw: pd.DataFrame, cfg: CorpusConfig) -> list[tuple]:
    """Audit rows of the input documents past ``corpus.limit``: read, but not in the run."""
    if cfg.limit is None or len(raw) <= cfg.limit:
        return []
    rest = raw.iloc[cfg.limit:]
    text = rest.get(cfg.columns.text, pd.Series("", index=rest.index))
    ids = _doc_ids(rest, cfg, _as_text(text, strings_only=True))  # as a run would give them
    log.warning("%s: corpus.limit %d: the run reads the first %d of %d documents; audit.csv "
                "lists the rest", cfg.path, cfg.limit, cfg.limit, len(raw))
    return [(doc_id, where, "dropped", f"beyond corpus.limit {cfg.limit}", "")
            for doc_id, where in zip(ids, rest["_where"], strict=True)]


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
    """Decode bytes as UTF-8; lines that are not, by the first fallback that decodes them.

    Line by line, so one stray Latin-1 byte does not turn every UTF-8 line of the file into
    mojibake. Returns (text, note); (None, None) when a line decodes by no encoding.
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    lines = data.removeprefix(b"\xef\xbb\xbf").removesuffix(b"\n").split(b"\n")
    decoded, fallen = [], []
    for number, line in enumerate(lines, start=1):
        for encoding in ("utf-8", *fallbacks):
            try:
                decoded.append(line.decode(encoding))
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8":
                fallen.append((number, encoding))
            break
        else:
            return None, None
    used = "/".join(dict.fromkeys(encoding for _, encoding in fallen))
    note = (f"{len(fallen)} of {len(lines)} lines not UTF-8 (first: line {fallen[0][0]}); "
            f"decoded as {used}")
    log.warning("%s: %s (re-save it as UTF-8 to silence this)", where, note)
    return "\n".join(decoded), note


def _read_folder(cfg: CorpusConfig, problems: list[_Problem], notes: dict[int, str],
                 ignored: list[tuple]):
    root = cfg.path
    if cfg.metadata is not None and not cfg.metadata.is_file():
        raise StanceError(f"{cfg.metadata}: corpus.metadata file not found; fix the path "
                          "(a relative one starts at the config's folder) or remove the key")
    metadata_path = cfg.metadata or root / "metadata.csv"
    files, others = _folder_files(root)
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
        listed = {os.path.normpath(root / str(name)) for name in meta[file_col]}
        unlisted = [p for p in files if os.path.normpath(p) not in listed]
        others = [p for p in others if os.path.normpath(root / p) not in listed
                  and root / p != metadata_path]
        if unlisted:
            log.warning("%s: text files not listed in %s, so not read: %d (first: %s); "
                        "audit.csv lists them", root, metadata_path.name, len(unlisted),
                        unlisted[0].relative_to(root))
        ids = dict(zip(files, _file_ids([p.relative_to(root).as_posix() for p in files]),
                       strict=True))
        ignored += [(ids[p], str(p), "dropped", f"not listed in {metadata_path.name}", "")
                    for p in unlisted]
    else:
        meta = pd.DataFrame({cfg.columns.file: [p.relative_to(root).as_posix() for p in files]})
        file_col = cfg.columns.file
    if others:
        log.warning("%s: files that are not .txt or .md articles (or are hidden, or broken "
                    "links), so not read: %d (first: %s)", root, len(others), others[0])
    _refuse_outside(root, meta[file_col], metadata_path if metadata_path.exists() else None,
                    file_col)
    texts = []
    names = track(meta[file_col], "reading files", total=len(meta))
    for row_number, name in enumerate(names, start=2):
        path = root / str(name)
        where = str(path)
        text = None
        if cfg.limit is not None and len(texts) >= cfg.limit:
            pass  # past corpus.limit: not read, so neither checked (audit.csv lists it)
        elif not path.is_file():
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
                    tried = "/".join(["UTF-8", *cfg.encoding_fallbacks])
                    problems.append(_Problem(where, len(texts), f"cannot be decoded as {tried}; "
                                             "re-save it as UTF-8"))
                elif note:
                    notes[len(texts)] = note
        texts.append(text)
    meta = meta.copy()
    # where its columns come from: metadata.csv, or the folder itself when there is none
    meta.attrs["source"] = metadata_path if metadata_path.exists() else root
    if cfg.columns.text in meta.columns:
        raise StanceError(f"{metadata_path}: has a '{cfg.columns.text}' column; in folder "
                          "format the text comes from the files, so drop that column")
    meta[cfg.columns.text] = texts
    meta["_where"] = [str(root / str(n)) for n in meta[file_col]]
    meta.attrs["columns_read"] = [c for c in meta.columns if c != cfg.columns.text]
    if cfg.columns.id is None or cfg.columns.id not in meta.columns:
        # Folder corpora have a natural id: the file's path in the folder, without suffix
        names = [Path(str(n)).as_posix() for n in meta[file_col]]
        meta["_default_id"] = _file_ids(names)
    return meta


def _refuse_outside(root: Path, names: pd.Series, metadata: Path | None, column: str) -> None:
    """Stop if a file to read lies outside ``root``: an absolute path, ``..`` or a symlink out.

    A corpus is the folder it names: a row pointing at /etc/passwd or ../../secret would put
    that file's text into the run folder and the report.
    """
    inside = root.resolve()
    outside = [(number, str(name)) for number, name in enumerate(names, start=2)
               if not (root / str(name)).resolve().is_relative_to(inside)]
    if not outside:
        return
    number, name = outside[0]
    where = f"{metadata}:{number} column '{column}'" if metadata else f"{root / name}:"
    more = f" ({len(outside) - 1} more such rows)" if len(outside) > 1 else ""
    raise StanceError(f"{where} '{name}' is outside the corpus folder {root} (an absolute "
                      f"path, '..' or a link out of it){more}; copy the file into the folder "
                      "and name it by its path there")


def _folder_files(root: Path) -> tuple[list[Path], list[Path]]:
    """The .txt and .md files under ``root``, and the other entries (relative paths).

    Hidden files and folders (.git, .DS_Store, editor backups) are never articles: each
    is one other entry, its contents not walked.
    """
    found, others = [], []
    for folder, subfolders, names in os.walk(root):
        base = Path(folder)
        others += [(base / d).relative_to(root) for d in sorted(subfolders) if d.startswith(".")]
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        for name in sorted(names):
            path = base / name
            if (not name.startswith(".") and path.suffix.lower() in TEXT_SUFFIXES
                    and path.is_file()):
                if name.lower() != "readme.md":
                    found.append(path)
            elif path.relative_to(root) != Path("metadata.csv"):
                others.append(path.relative_to(root))
    return sorted(found), others


def _file_ids(names: list[str]) -> list[str]:
    """'a/1.txt' -> 'a/1'; the suffix stays where two files would share an id."""
    stems = [str(Path(name).with_suffix("")) for name in names]
    shared = Counter(stems)
    return [name if shared[stem] > 1 else stem for name, stem in zip(names, stems, strict=True)]


def read_text_file(path: Path, fallbacks: list[str], *, binary: str, empty: str | None,
                   where: str | None = None) -> str:
    """A whole input file as text (see :func:`decode_text`); a file it cannot be is one line.

    ``binary`` and ``empty`` end the messages for a binary file (NUL in its first 8 KiB)
    and a blank one (None: blank is allowed); ``where`` names the file in the warning.
    """
    data = path.read_bytes()
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise StanceError(f"{path}: {binary}")
    text, _ = decode_text(data, where or str(path), fallbacks)
    if text is None:
        raise StanceError(f"{path}: cannot be decoded as text; re-save it as UTF-8")
    if empty is not None and not text.strip():
        raise StanceError(f"{path}: {empty}")
    return text


def parse_csv(text: str, path: Path, *, invalid: str, remedy: str, **options) -> pd.DataFrame:
    """CSV text as a table of strings, every cell kept verbatim ("NA" stays "NA").

    A file pandas cannot parse is one line: ``{path}: {invalid} (pandas' reason); {remedy}``.
    """
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **options)
    except pd.errors.ParserError as exc:
        reason = " ".join(str(exc).split())  # pandas ends some messages with a newline
        raise StanceError(f"{path}: {invalid} ({reason}); {remedy}") from None


def _read_csv(path: Path, cfg: CorpusConfig) -> pd.DataFrame:
    sep = "\t" if path.suffix.lower() == ".tsv" and cfg.csv_separator == "," else cfg.csv_separator
    text = read_text_file(path, cfg.encoding_fallbacks, binary="binary file, not CSV text; "
                          "check corpus.path", empty="empty file; add a header row and articles")
    return parse_csv(text, path, invalid="not valid CSV",
                     remedy="check the quoting of that line and corpus.csv_separator", sep=sep)


def _read_table(cfg: CorpusConfig, fmt: str, problems: list[_Problem]) -> pd.DataFrame:
    path = cfg.path
    if fmt == "csv":
        frame = _read_csv(path, cfg)
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


def _read_jsonl(path: Path, cfg: CorpusConfig, problems: list[_Problem]) -> pd.DataFrame:
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
            broken.append(_Problem(f"{path}:{number}", len(records), problem))
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
    if absent and source.is_dir():  # a folder without metadata.csv
        log.warning("%s: no metadata.csv, so %s; add a metadata.csv (a row per file: file, "
                    "outlet, date, title) or set these columns to null to silence this",
                    source, ", ".join(absent))
    elif absent:
        log.warning("%s: no column %s; name the right columns, or set them to null to silence "
                    "this", source, ", ".join(absent))


def _normalise(raw: pd.DataFrame, cfg: CorpusConfig, problems: list[_Problem]) -> pd.DataFrame:
    """Map configured columns onto the standard ones and record per-row problems."""
    cols = cfg.columns
    source = raw.attrs.get("source", cfg.path)
    if raw.empty:
        raise StanceError(f"{cfg.path}: the corpus is empty; add articles")
    _require_column(raw, cols.text, "corpus.columns.text", source)
    for label in cols.labels:
        _require_column(raw, label, "corpus.columns.labels", source)
    _check_optional_columns(raw, cfg, source)
    out = pd.DataFrame(index=raw.index)
    out["source"] = raw["_where"]
    # in a fixed order: a row's first problem is the reason audit.csv records. Label
    # columns may hold lists (the words annotators marked), kept as their repr.
    for column in dict.fromkeys([cols.text, cols.id, cols.outlet, cols.title, cols.date]):
        if column is not None and column in raw.columns:
            _flag_non_scalars(raw[column], column, out, problems)
    _flag_non_strings(raw[cols.text], cols.text, out, problems)
    out["text"] = _as_text(raw[cols.text], strings_only=True).astype(object)
    out["doc_id"] = _doc_ids(raw, cfg, out["text"])
    if cols.id is not None and cols.id in raw.columns:
        for index in out.index[out["doc_id"] == ""]:
            problems.append(_Problem(out.at[index, "source"], index,
                                     f"column '{cols.id}': empty id; give every document an "
                                     "id, or set corpus.columns.id: null to derive them from "
                                     "the text"))
    for name, column in (("outlet", cols.outlet), ("title", cols.title)):
        present = column is not None and column in raw.columns
        out[name] = _as_text(raw[column]) if present else ""
    if cfg.outlet_from_url is not None:
        out["outlet"] = _outlets_from_urls(raw, cfg.outlet_from_url, out, problems, source)
    outlets = out["outlet"].str.strip().replace(cfg.outlet_names)
    unnamed = outlets == ""
    out["outlet"] = outlets.replace("", cfg.default_outlet).astype(object)
    out["title"] = out["title"].astype(object)
    out["date"] = _parse_dates(raw, cols.date, out, problems)
    for label in cols.labels:
        out[label] = _label_values(_as_text(raw[label]).str.strip(), label, cfg, source)
    already = {p.index for p in problems}
    for index in out.index[out["text"].str.strip() == ""]:
        if index not in already:
            problems.append(_Problem(out.at[index, "source"], index,
                                     f"column '{cols.text}': empty text; add the article "
                                     "text or remove the row"))
    duplicated = out["doc_id"].duplicated(keep="first") & (out["doc_id"] != "")
    first_seen = out.drop_duplicates("doc_id").set_index("doc_id")["source"]
    for index in out.index[duplicated]:
        doc_id = out.at[index, "doc_id"]
        problems.append(_Problem(out.at[index, "source"], index,
                                 f"column '{cols.id or 'id'}': duplicate id '{doc_id}' "
                                 f"(first at {first_seen[doc_id]}); make ids unique"))
    read = cfg.outlet_from_url is not None or (cols.outlet is not None
                                                and cols.outlet in raw.columns)
    valid = ~out.index.isin([p.index for p in problems])  # the others are dropped or stop
    if read and (unnamed & valid).any():  # without the column, _check_optional_columns said so
        log.warning("%s: %d of %d documents name no outlet; they share the outlet '%s' "
                    "(corpus.default_outlet)", source, int((unnamed & valid).sum()),
                    int(valid.sum()), cfg.default_outlet)
    return out


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
    return values.replace(names).astype(object)


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


def _doc_ids(raw: pd.DataFrame, cfg: CorpusConfig, texts: pd.Series) -> pd.Series:
    """Each row's id: its id column, stripped; a folder's file-path id; or one from ``texts``.

    An id from the text is stable: the same text gets the same id in every run. A row
    with no text (an unreadable JSON Lines line, an empty cell) gets none: it is dropped, or
    stops the run, and audit.csv names it by its source line.
    """
    column = cfg.columns.id
    if column is not None and column in raw.columns:
        return _as_text(raw[column]).str.strip().astype(object)
    if "_default_id" in raw.columns:
        return raw["_default_id"]
    return pd.Series([hashlib.sha256(t.encode()).hexdigest()[:16] if t.strip() else ""
                      for t in texts], index=raw.index, dtype=object)


def _as_text(values: pd.Series, *, strings_only: bool = False) -> pd.Series:
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
                      problems: list[_Problem]) -> None:
    """A problem for each cell holding a list or mapping (JSON, Parquet), not one value."""
    if _holds_strings(values):
        return
    for index, value in values.items():
        if not pd.api.types.is_scalar(value) and value is not None:
            kind = "a mapping" if isinstance(value, dict) else "a list"
            problems.append(_Problem(out.at[index, "source"], index,
                                     f"column '{column}': {kind}, not a single value; give "
                                     "one string (join the parts) or remove the row"))


def _flag_non_strings(texts: pd.Series, column: str, out: pd.DataFrame,
                      problems: list[_Problem]) -> None:
    """A problem for each text cell holding a number, a truth value or bytes (JSON, Parquet)."""
    if _holds_strings(texts):
        return
    for index, value in texts.items():
        if isinstance(value, numbers.Number | bytes | np.bool_) and not _is_missing(value):
            problems.append(_Problem(out.at[index, "source"], index,
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
    values = _as_text(raw[column]).str.strip()
    # each date keeps its local time and its offset is dropped: an article of 00:30+02:00
    # stays on its own day, and dates with different offsets (or none) share one column
    local = values.str.replace(_UTC_OFFSET, r"\1", regex=True)
    parsed = pd.to_datetime(local.replace("", None), format="ISO8601", errors="coerce")
    for index in values.index[(values != "") & parsed.isna()]:
        problems.append(_Problem(out.at[index, "source"], index,
                                 f"column '{column}': '{values[index]}' is not an ISO date "
                                 "(YYYY-MM-DD); fix it or leave it empty"))
    return parsed


#: A UTC offset (Z, +02:00, -0500, +02) after a time of day, kept as group 1 without it.
_UTC_OFFSET = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


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

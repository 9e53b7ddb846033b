"""Load a corpus from a folder of text files, CSV, JSONL or Parquet, and validate it.

Every input document is accounted for: it is loaded (``kept``) or, with
``corpus.on_invalid: drop``, dropped with a reason in the audit. With the
default ``on_invalid: error`` any invalid document stops the run with one line
per problem naming file, row, column and what to do. Documents whose label is
not among ``corpus.keep_labels`` are always dropped, with that reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from stance.config import CorpusConfig
from stance.corpus._files import BINARY_SNIFF_BYTES, TEXT_SUFFIXES, decode_text
from stance.corpus._shards import read_shards
from stance.corpus._tables import (
    SHARDED,
    is_pattern,
    is_sharded,
    read_csv_table,
    read_table_file,
    require_corpus_path,
    shards,
)
from stance.corpus._validate import (
    Problem,
    as_text,
    check_columns,
    doc_ids,
    normalise,
    unwanted_labels,
)
from stance.data import AUDIT_COLUMNS, Corpus
from stance.errors import StanceError
from stance.progress import track

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 20
#: Documents converted to text at a time while the corpus digest is computed.
DIGEST_ROWS = 50_000


@dataclass(frozen=True)
class LoadedCorpus:
    """A validated corpus plus the audit rows of every input document."""

    corpus: Corpus
    audit: pd.DataFrame
    digest: str



def load_corpus(cfg: CorpusConfig, *, other_inputs: Sequence[Path] = (),
                client=None) -> LoadedCorpus:
    """Read, validate and normalise the corpus named by ``cfg``.

    ``other_inputs``: files in a corpus folder that other settings read, not reported as
    files left unread. A folder of shards is read shard by shard (on the workers of a Dask
    ``client`` if given; not with ``corpus.limit``, which reads the first documents).

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
    problems: list[Problem] = []
    notes: dict[int, str] = {}
    ignored: list[tuple] = []  # audit rows of files a folder's metadata.csv does not list
    beyond: list[tuple] = []
    if fmt in SHARDED and is_sharded(cfg.path) and cfg.limit is None:
        frame = read_shards(cfg, fmt, problems, client=client)
    else:
        if fmt == "folder":
            raw = _read_folder(cfg, problems, notes, ignored, other_inputs)
        else:
            raw = _read_whole(cfg, fmt, problems)
        beyond = _beyond_limit(raw, cfg)
        if cfg.limit is not None:
            raw = raw.iloc[: cfg.limit]
            # a bad line past the limit is not read into the run: its audit row says so
            problems = [p for p in problems if p.index < cfg.limit]
        if raw.empty:
            raise StanceError(f"{cfg.path}: the corpus is empty; add articles")
        check_columns(raw, cfg)
        frame = normalise(raw, cfg, problems)
    unwanted = unwanted_labels(frame, cfg)
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
    ids = doc_ids(rest, cfg, as_text(text, strings_only=True))  # as a run would give them
    log.warning("%s: corpus.limit %d: the run reads the first %d of %d documents; audit.csv "
                "lists the rest", cfg.path, cfg.limit, cfg.limit, len(raw))
    return [(doc_id, where, "dropped", f"beyond corpus.limit {cfg.limit}", "")
            for doc_id, where in zip(ids, rest["_where"], strict=True)]


def _read_whole(cfg: CorpusConfig, fmt: str, problems: list[Problem]) -> pd.DataFrame:
    """One table file, or every shard of a folder as one table (problem indices across them)."""
    if not is_sharded(cfg.path):
        return read_table_file(cfg.path, cfg, fmt, problems)
    frames, offset = [], 0
    for shard in shards(cfg.path, fmt):
        found: list[Problem] = []
        frames.append(read_table_file(shard, cfg, fmt, found))
        problems += [dataclasses.replace(p, index=p.index + offset) for p in found]
        offset += len(frames[-1])
    return pd.concat(frames, ignore_index=True)


def _detect_format(cfg: CorpusConfig) -> str:
    path = cfg.path
    require_corpus_path(path)
    if is_pattern(path) and cfg.format not in SHARDED:
        raise StanceError(f"{path}: a pattern of shard files needs corpus.format parquet or "
                          "jsonl")
    if cfg.format in SHARDED and is_sharded(path):
        if not shards(path, cfg.format):
            where = "matching this pattern" if is_pattern(path) else "in this folder"
            raise StanceError(f"{path}: no {' or '.join(SHARDED[cfg.format])} shards {where} "
                              f"for corpus.format '{cfg.format}'")
        return cfg.format
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


def _read_folder(cfg: CorpusConfig, problems: list[Problem], notes: dict[int, str],
                 ignored: list[tuple], other_inputs: Sequence[Path]):
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
        meta = read_csv_table(metadata_path, cfg)
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
    known = {Path(p).resolve() for p in other_inputs}
    others = [p for p in others if (root / p).resolve() not in known]
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
            problems.append(Problem(f"{metadata_path}:{row_number}", len(texts),
                                     f"column '{file_col}': file '{name}' not found; "
                                     "fix the name or remove the row"))
        else:
            data = path.read_bytes()
            if b"\x00" in data[:BINARY_SNIFF_BYTES]:
                problems.append(Problem(where, len(texts), "binary file, not text; remove it "
                                         "or convert it to UTF-8 text"))
            else:
                text, note = decode_text(data, where, cfg.encoding_fallbacks)
                if text is None:
                    tried = "/".join(["UTF-8", *cfg.encoding_fallbacks])
                    problems.append(Problem(where, len(texts), f"cannot be decoded as {tried}; "
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
    documents = corpus.documents
    for start in range(0, len(documents), DIGEST_ROWS):  # a block at a time: one copy is small
        frame = documents.iloc[start:start + DIGEST_ROWS][columns].astype("string").fillna("")
        for row in frame.itertuples(index=False):
            h.update("\x1f".join(row).encode())
            h.update(b"\x1e")
    return h.hexdigest()

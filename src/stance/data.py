"""Frozen data passed between stages; each checks its invariants when created.

Tables are pandas DataFrames so every stage scales to millions of rows; the
dataclasses around them fix the columns and the id alignment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DOCUMENT_COLUMNS = ("doc_id", "outlet", "date", "title", "text")
SEGMENT_COLUMNS = ("seg_id", "doc_id", "outlet", "position", "start", "end", "text")
AUDIT_COLUMNS = ("doc_id", "source", "status", "reason", "duplicate_of")
REMOVAL_COLUMNS = ("doc_id", "pattern", "n_chars", "text")

#: Fates of an input document in audit.csv: every input ends in exactly one.
DOCUMENT_STATUSES = ("kept", "dropped", "merged")


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; has {list(frame.columns)}")


def _require_unique(values: pd.Series, what: str) -> None:
    if not values.is_unique:
        dupes = values[values.duplicated()].unique()[:5].tolist()
        raise ValueError(f"{what} ids are not unique, e.g. {dupes}")


@dataclass(frozen=True)
class Corpus:
    """One row per document: doc_id, outlet, date, title, text, plus label columns.

    ``date`` is a pandas datetime column (NaT when unknown); ``labels`` names the
    extra label columns carried along (e.g. ``framing``).
    """

    documents: pd.DataFrame
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_columns(self.documents, DOCUMENT_COLUMNS + self.labels, "Corpus")
        _require_unique(self.documents["doc_id"], "Corpus document")

    def __len__(self) -> int:
        return len(self.documents)

    def with_documents(self, documents: pd.DataFrame) -> Corpus:
        """Return a corpus with new document rows and the same label columns."""
        return Corpus(documents.reset_index(drop=True), self.labels)

    def save(self, folder: Path) -> None:
        """Write corpus.parquet into ``folder``."""
        frame = self.documents.copy()
        frame.attrs = {}
        frame.to_parquet(Path(folder) / "corpus.parquet", index=False)
        (Path(folder) / "corpus.labels").write_text("\n".join(self.labels))

    @classmethod
    def load(cls, folder: Path) -> Corpus:
        """Read what :meth:`save` wrote."""
        labels_file = Path(folder) / "corpus.labels"
        labels = tuple(x for x in labels_file.read_text().splitlines() if x)
        return cls(pd.read_parquet(Path(folder) / "corpus.parquet"), labels)


@dataclass(frozen=True)
class Audit:
    """What happened to every input document, and what cleaning removed.

    ``documents`` has one row per *input* document (status kept, dropped or
    merged, with a reason); ``removals`` one row per removed piece of text.
    """

    documents: pd.DataFrame
    removals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(REMOVAL_COLUMNS))
    )

    def __post_init__(self) -> None:
        _require_columns(self.documents, AUDIT_COLUMNS, "Audit")
        _require_columns(self.removals, REMOVAL_COLUMNS, "Audit removals")
        bad = set(self.documents["status"]) - set(DOCUMENT_STATUSES)
        if bad:
            raise ValueError(f"Audit has unknown statuses {sorted(bad)}")

    def counts(self) -> dict[str, int]:
        """Number of documents per status."""
        return {s: int((self.documents["status"] == s).sum()) for s in DOCUMENT_STATUSES}


@dataclass(frozen=True)
class CleanedCorpus:
    """A corpus after cleaning and de-duplication, with its audit."""

    corpus: Corpus
    audit: Audit

    def save(self, folder: Path) -> None:
        """Write corpus.parquet, audit.csv and cleaning.csv into ``folder``."""
        self.corpus.save(folder)
        self.audit.documents.to_csv(Path(folder) / "audit.csv", index=False)
        self.audit.removals.to_csv(Path(folder) / "cleaning.csv", index=False)

    @classmethod
    def load(cls, folder: Path) -> CleanedCorpus:
        """Read what :meth:`save` wrote."""
        folder = Path(folder)
        documents = pd.read_csv(folder / "audit.csv", dtype=str, keep_default_na=False)
        removals = pd.read_csv(folder / "cleaning.csv", dtype={"doc_id": str})
        return cls(Corpus.load(folder), Audit(documents, removals))


@dataclass(frozen=True)
class Segments:
    """One row per unit of analysis (paragraph, sentence or window).

    ``start``/``end`` are character offsets into the document's cleaned text, so
    ``text == documents.text[start:end]`` for every row.
    """

    table: pd.DataFrame

    def __post_init__(self) -> None:
        _require_columns(self.table, SEGMENT_COLUMNS, "Segments")
        _require_unique(self.table["seg_id"], "Segment")

    def __len__(self) -> int:
        return len(self.table)

    def split_counts(self) -> tuple[int, int]:
        """Units split because the model reads less, and the segments they became."""
        piece = self.table["piece"] if "piece" in self.table.columns else pd.Series([], int)
        return int((piece == 1).sum()), int((piece > 0).sum())

    def save(self, folder: Path) -> None:
        """Write segments.parquet into ``folder``."""
        self.table.to_parquet(Path(folder) / "segments.parquet", index=False)

    @classmethod
    def load(cls, folder: Path) -> Segments:
        """Read what :meth:`save` wrote."""
        return cls(pd.read_parquet(Path(folder) / "segments.parquet"))


@dataclass(frozen=True)
class Embeddings:
    """Vectors aligned with segment ids: row i embeds ``seg_ids[i]``."""

    vectors: np.ndarray
    seg_ids: tuple[str, ...]
    model_id: str
    normalized: bool

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.seg_ids):
            raise ValueError(
                f"Embeddings: vectors of shape {self.vectors.shape} do not match "
                f"{len(self.seg_ids)} segment ids"
            )
        if self.vectors.dtype != np.float32:
            raise ValueError(f"Embeddings must be float32, got {self.vectors.dtype}")

    def __len__(self) -> int:
        return len(self.seg_ids)

"""The units the framing classifier learns from: labelled segments or documents, fold groups.

Labels are data: ``framing.label`` names a corpus label column, segments inherit
their document's label unless ``framing.segment_labels`` gives their own, and the
classes are those found (or ``framing.classes``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stance.config import DEFAULT_ENCODING_FALLBACKS, FramingConfig
from stance.corpus import blank_missing_labels, parse_csv, read_text_file
from stance.data import UNIT_COLUMNS, Corpus, LabelledUnits, Segments
from stance.errors import StanceError
from stance.framing._cues import parse_rationale
from stance.framing._folds import merge_groups


def labelled_units(corpus: Corpus, segments: Segments, cfg: FramingConfig, *,
                   source: Path | None = None) -> LabelledUnits:
    """Units with their labels and fold groups; unlabelled units are dropped and counted.

    ``source``, the corpus file or folder, is named in errors about a cell's value.

    Raises:
        StanceError: a missing label or group column, an unknown class, fewer than two
            classes, or a class with too few documents (unless ``rare_classes: drop``).

    Example:
        >>> cfg = FramingConfig(level="document")
        >>> labelled_units(corpus, segments, cfg).classes  # doctest: +SKIP
        ('delegitimising', 'official-sourced')
    """
    docs = corpus.documents
    _check_columns(docs, corpus.labels, cfg)
    labels = docs[cfg.label].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    if cfg.level == "document":
        if cfg.segment_labels is not None:
            raise StanceError("framing.segment_labels is set but framing.level is document; "
                              "set framing.level: segment or remove framing.segment_labels")
        table = pd.DataFrame({"unit_id": docs["doc_id"], "doc_id": docs["doc_id"],
                              "text": docs["text"], "label": labels})
    else:
        seg = segments.table
        doc_label = pd.Series(labels, index=docs["doc_id"].to_numpy())
        table = pd.DataFrame({"unit_id": seg["seg_id"], "doc_id": seg["doc_id"],
                              "text": seg["text"], "label": seg["doc_id"].map(doc_label)})
        if cfg.segment_labels is not None:
            table = _apply_segment_labels(table, cfg)
    table["label"] = table["label"].fillna("")
    unlabelled = table["label"] == ""
    table = table[~unlabelled]
    classes, dropped = _check_classes(table, cfg)
    table = table[table["label"].isin(classes)].reset_index(drop=True)
    table = _add_groups(table, docs, cfg)
    columns = list(UNIT_COLUMNS)
    if cfg.rationales is not None:
        table["rationale"] = _rationales(table, docs, cfg.rationales, source)
        columns.append("rationale")
    return LabelledUnits(table[columns], classes, cfg.level, dropped, int(unlabelled.sum()))


def _check_columns(docs: pd.DataFrame, labels: tuple[str, ...], cfg: FramingConfig) -> None:
    if cfg.label not in labels or cfg.label not in docs.columns:
        raise StanceError(f"framing.label '{cfg.label}': no such label column in the corpus "
                          f"(label columns: {list(labels)}); add it to corpus.columns.labels "
                          "or set framing.label to one of them")
    if cfg.rationales is not None and (cfg.rationales not in labels
                                       or cfg.rationales not in docs.columns):
        raise StanceError(f"framing.rationales '{cfg.rationales}': no such label column in the "
                          f"corpus (label columns: {list(labels)}); add it to "
                          "corpus.columns.labels")
    if cfg.group not in docs.columns:
        raise StanceError(f"framing.group '{cfg.group}': no such document column (columns: "
                          f"{', '.join(docs.columns)}); set framing.group to one of them")


def _rationales(table: pd.DataFrame, docs: pd.DataFrame, column: str,
                source: Path | None) -> list[set[str]]:
    """Each unit's annotated words: its document's (a segment uses those it contains).

    Only the documents kept are read: a broken cell in a dropped document is not an error.
    """
    kept = set(table["doc_id"])
    within = f" in {source}" if source is not None else ""
    marked = {doc: parse_rationale(value, where=f"column '{column}' of document {doc}{within}")
              for doc, value in zip(docs["doc_id"], docs[column], strict=True) if doc in kept}
    return [marked[doc] for doc in table["doc_id"]]


def _apply_segment_labels(table: pd.DataFrame, cfg: FramingConfig) -> pd.DataFrame:
    """Segment labels from the file replace inherited ones (an empty one unlabels)."""
    path = Path(cfg.segment_labels)
    if not path.is_file():
        raise StanceError(f"{path}: framing.segment_labels file not found; give a CSV or "
                          "Parquet file with seg_id and label columns")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise StanceError(f"{path}: framing.segment_labels must be .csv or .parquet")
    given = _read_segment_labels(path)
    for column in ("seg_id", cfg.label):
        if column not in given.columns:
            raise StanceError(f"{path}: no column '{column}' (columns: "
                              f"{', '.join(map(str, given.columns))}); add it")
    ids = given["seg_id"].astype(str)
    if not ids.is_unique:
        raise StanceError(f"{path}: seg_id '{ids[ids.duplicated()].iloc[0]}' is listed twice; "
                          "give each segment one label")
    unknown = ~ids.isin(table["unit_id"])
    if unknown.any():
        raise StanceError(f"{path}: {int(unknown.sum())} seg_id(s) are not segments of this "
                          f"corpus (e.g. '{ids[unknown].iloc[0]}'); segment ids depend on the "
                          "segmentation settings, so regenerate the file for them")
    override = pd.Series(given[cfg.label].fillna("").astype(str).str.strip().to_numpy(),
                         index=ids.to_numpy())
    # as in the corpus's label columns: a marker that is not one of its classes is no label
    override = blank_missing_labels(override, set(table["label"]),
                                    f"{path}: {{}} segments have {{}} as their label: read as "
                                    "no label")
    listed = table["unit_id"].isin(override.index)
    table = table.assign(from_file=listed)
    table.loc[listed, "label"] = table.loc[listed, "unit_id"].map(override)
    return table


def _read_segment_labels(path: Path) -> pd.DataFrame:
    """The segment labels table; a file that cannot be read is one StanceError."""
    remedy = "give a CSV or Parquet file with seg_id and label columns"
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):  # pyarrow's errors for a bad file subclass these
            raise StanceError(f"{path}: framing.segment_labels is not a readable Parquet file; "
                              f"re-save it, or {remedy}") from None
    text = read_text_file(path, list(DEFAULT_ENCODING_FALLBACKS),
                          binary=f"framing.segment_labels is a binary file, not CSV text; {remedy}",
                          empty=f"framing.segment_labels file is empty; {remedy}",
                          where=f"{path} (framing.segment_labels)")
    return parse_csv(text, path, invalid="framing.segment_labels is not valid CSV",
                     remedy="fix the line it names")


def _check_classes(table: pd.DataFrame, cfg: FramingConfig) -> tuple[tuple[str, ...],
                                                                      dict[str, int]]:
    """Class order and the classes dropped for too few documents (with their counts)."""
    found = sorted(table["label"].unique())
    if cfg.classes is not None:
        unknown = ~table["label"].isin(cfg.classes)
        if unknown.any():
            row = table[unknown].iloc[0]
            where = (f"{cfg.segment_labels}: segment '{row['unit_id']}'"
                     if row.get("from_file", False) else f"document '{row['doc_id']}'")
            raise StanceError(f"framing.classes: {where} has label '{row['label']}', not one "
                              f"of {cfg.classes}; fix the label or add it to framing.classes")
    classes = list(cfg.classes) if cfg.classes is not None else found
    documents = table.groupby("label")["doc_id"].nunique().reindex(classes, fill_value=0)
    rare = documents[documents < cfg.min_documents_per_class]
    if len(rare) and cfg.rare_classes == "error" and len(found) >= 2:
        listed = ", ".join(f"'{c}' ({n} document{'s' * (n != 1)})" for c, n in rare.items())
        raise StanceError(f"framing.label '{cfg.label}': classes {listed} have fewer than "
                          f"{cfg.min_documents_per_class} documents, too few to be both trained "
                          "and tested; label more documents or set framing.rare_classes: drop")
    dropped = {str(c): int(n) for c, n in rare.items()} if cfg.rare_classes == "drop" else {}
    kept = tuple(c for c in classes if c not in dropped)
    present = [c for c in kept if documents[c] > 0]
    if len(present) < 2:
        after = f" after dropping rare classes {dropped}" if dropped else ""
        raise StanceError(f"framing.label '{cfg.label}': {len(present)} class(es) {present} "
                          f"among labelled units{after}; a classifier needs at least two, so "
                          "label documents of another class")
    return kept, dropped


def _add_groups(table: pd.DataFrame, docs: pd.DataFrame, cfg: FramingConfig) -> pd.DataFrame:
    """Outlet and fold group of each unit, over the documents that still have units."""
    kept = docs[docs["doc_id"].isin(table["doc_id"])]
    dup = kept["dup_group"] if "dup_group" in kept.columns else kept["doc_id"]
    # Copies of one wire story across outlets must share a fold, or the model is tested on
    # text it was trained on: join their outlets into one group.
    group = pd.Series(merge_groups(kept[cfg.group].astype(str).tolist(), dup.astype(str).tolist()),
                      index=kept["doc_id"].to_numpy())
    outlet = pd.Series(kept["outlet"].astype(str).to_numpy(), index=kept["doc_id"].to_numpy())
    copies = pd.Series(dup.astype(str).to_numpy(), index=kept["doc_id"].to_numpy())
    return table.assign(outlet=table["doc_id"].map(outlet), group=table["doc_id"].map(group),
                        dup_group=table["doc_id"].map(copies))

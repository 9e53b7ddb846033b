"""A user's own labelled mentions: read, checked row by row, and matched to the found mentions."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stance.data import STANCE_CLASSES
from stance.errors import StanceError

LABEL_COLUMNS = ("doc_id", "sentence", "mention", "stance")
OPTIONAL_COLUMNS = ("start", "end", "rationale")


def read_stance_labels(path: Path) -> pd.DataFrame:
    """Labelled mentions: doc_id, sentence, mention, start, end (in the sentence), stance.

    ``start`` and ``end`` may be left out (or blank) when the mention occurs once in its
    sentence; ``rationale`` is kept for the report.

    Raises:
        StanceError: the file is missing or unreadable, a column is missing, or a row has an
            unknown class, offsets outside its sentence, or a mention its offsets do not hold.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise StanceError(f"actor_stance.labels: cannot read {path} ({exc}); give a UTF-8 "
                          f"CSV with columns {', '.join(LABEL_COLUMNS)}") from None
    missing = [c for c in LABEL_COLUMNS if c not in table.columns]
    if missing:
        raise StanceError(f"{path}: no column {', '.join(missing)}; the labels need "
                          f"{', '.join(LABEL_COLUMNS)} (and optionally start, end, rationale)")
    rows = []
    for line, row in zip(range(2, len(table) + 2), table.to_dict("records"), strict=True):
        where = f"{path}:{line}"
        stance = row["stance"].strip().lower()
        if stance not in STANCE_CLASSES:
            raise StanceError(f"{where}: stance {row['stance']!r} is not one of "
                              f"{', '.join(STANCE_CLASSES)}; correct it")
        start, end = _offsets(row, where)
        rows.append((row["doc_id"].strip(), row["sentence"], row["mention"], start, end,
                     stance, row.get("rationale", "")))
    return pd.DataFrame(rows, columns=["doc_id", "sentence", "mention", "start", "end",
                                       "stance", "rationale"]).astype(
        {"start": "int64", "end": "int64"})


def _offsets(row: dict[str, str], where: str) -> tuple[int, int]:
    sentence, mention = row["sentence"], row["mention"]
    if not mention:
        raise StanceError(f"{where}: the mention is empty; give the actor's name as it "
                          "appears in the sentence")
    given = (row.get("start", "").strip(), row.get("end", "").strip())
    if not any(given):
        found = [i for i in range(len(sentence)) if sentence.startswith(mention, i)]
        if len(found) != 1:
            how = "does not occur" if not found else f"occurs {len(found)} times"
            raise StanceError(f"{where}: the mention {mention!r} {how} in the sentence; "
                              "give start and end (character offsets in the sentence)")
        return found[0], found[0] + len(mention)
    try:
        start, end = int(given[0]), int(given[1])
    except ValueError:
        raise StanceError(f"{where}: start and end must be whole numbers (found "
                          f"{given[0]!r}, {given[1]!r}); give both or neither") from None
    if not 0 <= start < end <= len(sentence):
        raise StanceError(f"{where}: offsets {start}-{end} lie outside the sentence "
                          f"({len(sentence)} characters); count from 0 within the sentence")
    if sentence[start:end] != mention:
        raise StanceError(f"{where}: offsets {start}-{end} hold {sentence[start:end]!r}, not "
                          f"the mention {mention!r}; correct the offsets or the mention")
    return start, end


def match_labels(labels: pd.DataFrame, mentions: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The labels (stance renamed ``label``) joined to the found mentions they name.

    A label names a mention by document, sentence and the mention's offsets in it.

    Raises:
        StanceError: a label names a mention the actors stage did not find.
    """
    found = mentions.rename(columns={"mention_start": "start", "mention_end": "end"}).drop(
        columns=["mention"])
    joined = labels.rename(columns={"stance": "label"}).merge(
        found, on=["doc_id", "sentence", "start", "end"], how="left", indicator=True,
        validate="one_to_one")
    lost = joined.index[joined["_merge"] == "left_only"]
    if len(lost):
        row = labels.loc[lost[0]]
        raise StanceError(
            f"{path}:{lost[0] + 2}: no actor mention {row['mention']!r} at {row['start']}-"
            f"{row['end']} in that sentence of document {row['doc_id']} ({len(lost)} label(s) "
            "match none); copy doc_id, sentence, mention_start and mention_end from "
            "actor_stance.csv, and name the actor under actors: with that alias")
    return joined.drop(columns=["_merge"])

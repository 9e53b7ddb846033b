"""NewsMTSC (Hamborg & Donnay 2021): news sentences labelled with the sentiment toward a person."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from stance.errors import StanceError

#: The split files of ../shared/data/newsmtsc: training, and real-world (rw) and
#: multi-target (mt) development and test sets.
NEWSMTSC_FILES = ("train", "rw-dev", "mt-dev", "rw-test", "mt-test")
_POLARITY = {-1: "negative", 0: "neutral", 1: "positive"}


def read_newsmtsc(folder: Path, split: str) -> pd.DataFrame:
    """One split as a table: sentence, start, end (the mention's offsets), stance, id.

    Raises:
        StanceError: the file is missing, or a row's offsets do not hold its mention.
    """
    path = Path(folder) / f"{split}.jsonl"
    if not path.is_file():
        raise StanceError(f"{path}: not found; give the NewsMTSC folder holding "
                          f"{', '.join(f + '.jsonl' for f in NEWSMTSC_FILES)}")
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            row = json.loads(line)
            start, end, sentence = row["from"], row["to"], row["sentence"]
            if sentence[start:end] != row["mention"] or row["polarity"] not in _POLARITY:
                raise StanceError(f"{path}:{line_no}: the offsets {start}-{end} do not hold "
                                  f"the mention {row['mention']!r}, or the polarity "
                                  f"{row['polarity']!r} is not -1, 0 or 1; fix the row")
            rows.append((sentence, start, end, _POLARITY[row["polarity"]], row["id"]))
    return pd.DataFrame(rows, columns=["sentence", "start", "end", "stance", "id"])

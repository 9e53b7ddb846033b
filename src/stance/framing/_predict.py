"""Label new texts with a saved framing model: text files or a CSV column in, a table out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from stance.config import DEFAULT_ENCODING_FALLBACKS
from stance.corpus import TEXT_SUFFIXES, parse_csv, read_text_file
from stance.errors import StanceError

log = logging.getLogger(__name__)

#: Ids of skipped rows named in the warning, at most.
MAX_SHOWN = 5


def read_texts(paths: Sequence[str | Path], *, column: str = "text",
               id_column: str | None = None) -> tuple[list[str], list[str]]:
    """Ids and texts from .txt/.md files (id: file name) and CSV files (one text per row).

    Raises:
        StanceError: a missing, empty or binary file, an unknown suffix, a CSV that cannot
            be parsed, lacks the column or has no text in it.
        CSV rows with empty text are skipped with a warning naming them.
    """
    ids: list[str] = []
    texts: list[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise StanceError(f"{path}: file not found; give .txt/.md files or a .csv file")
        if path.suffix.lower() not in (*TEXT_SUFFIXES, ".csv"):
            raise StanceError(f"{path}: unknown suffix '{path.suffix}'; give .txt, .md or .csv")
        text = _read_text(path)
        if path.suffix.lower() == ".csv":
            file_ids, file_texts = _csv_rows(path, text, column, id_column)
            ids += file_ids
            texts += file_texts
        else:
            ids.append(path.name)
            texts.append(text)
    return ids, texts


def _read_text(path: Path) -> str:
    """The file decoded as text; a binary or empty file is refused."""
    return read_text_file(path, list(DEFAULT_ENCODING_FALLBACKS),
                          binary="binary file, not text; give .txt/.md files or a .csv file",
                          empty="file is empty; give a file with text")


def _csv_rows(path: Path, text: str, column: str,
              id_column: str | None) -> tuple[list[str], list[str]]:
    """Ids and texts of the CSV rows with text; the others are named in a warning."""
    # blank lines are rows too: skipped silently, they would shift every row number
    frame = parse_csv(text, path, invalid="not valid CSV", remedy="fix the line it names",
                      skip_blank_lines=False)
    for name in (column, id_column):
        if name is not None and name not in frame.columns:
            raise StanceError(f"{path}: no column '{name}' (columns: "
                              f"{', '.join(frame.columns)}); name it with --column "
                              "or --id-column")
    rows = pd.Series([f"{path.name}:row {i + 2}" for i in range(len(frame))], dtype=object)
    empty = frame[column].str.strip().eq("").to_numpy()
    if empty.all():
        raise StanceError(f"{path}: nothing to label; no row has text in column '{column}'; "
                          "add rows with text or name the text column with --column")
    if empty.any():
        # rows, not ids, name them: a blank line has no id
        shown = ", ".join(rows[empty][:MAX_SHOWN])
        more = f" and {empty.sum() - MAX_SHOWN} more" if empty.sum() > MAX_SHOWN else ""
        log.warning("%s: %d rows with empty text in column '%s' are skipped (%s%s)",
                    path, empty.sum(), column, shown, more)
    row_ids = frame[id_column] if id_column else rows
    return row_ids[~empty].tolist(), frame.loc[~empty, column].tolist()


def predict_files(model_path: str | Path, paths: Sequence[str | Path], *, column: str = "text",
                  id_column: str | None = None) -> pd.DataFrame:
    """Predicted label and class probabilities for every text in ``paths``.

    Example:
        >>> predict_files("reports/seeds/latest/framing_model.skops",
        ...               ["article.txt"])  # doctest: +SKIP
    """
    from stance.framing._persist import load_framing_model
    from stance.framing._pipeline import predict_table

    model = load_framing_model(Path(model_path))
    ids, texts = read_texts(paths, column=column, id_column=id_column)
    return predict_table(model, texts, ids)

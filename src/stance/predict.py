"""Label new texts with a saved framing model: text files or a CSV column in, a table out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from stance.config import CorpusConfig
from stance.corpus import decode_text
from stance.errors import StanceError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
#: Ids of skipped rows named in the warning, at most.
MAX_SHOWN = 5
#: The corpus loader's default fallbacks; latin-1 decodes any bytes, so text is never None.
_FALLBACKS = CorpusConfig.model_fields["encoding_fallbacks"].get_default(
    call_default_factory=True)


def read_texts(paths: Sequence[str | Path], *, column: str = "text",
               id_column: str | None = None) -> tuple[list[str], list[str]]:
    """Ids and texts from .txt/.md files (id: file name) and CSV files (one text per row).

    Raises:
        StanceError: a missing or empty file, an unknown suffix, or a CSV without the column.
        CSV rows with empty text are skipped with a warning naming them.
    """
    ids: list[str] = []
    texts: list[str] = []
    for path in map(Path, paths):
        if not path.is_file():
            raise StanceError(f"{path}: file not found; give .txt/.md files or a .csv file")
        if path.suffix.lower() in TEXT_SUFFIXES:
            text, _ = decode_text(path.read_bytes(), str(path), _FALLBACKS)
            if not text.strip():
                raise StanceError(f"{path}: file is empty; give a file with text")
            ids.append(path.name)
            texts.append(text)
        elif path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            for name in (column, id_column):
                if name is not None and name not in frame.columns:
                    raise StanceError(f"{path}: no column '{name}' (columns: "
                                      f"{', '.join(frame.columns)}); name it with --column "
                                      "or --id-column")
            row_ids = pd.Series([str(i) for i in frame[id_column]] if id_column else
                                [f"{path.name}:row {i + 2}" for i in range(len(frame))])
            empty = frame[column].str.strip().eq("").to_numpy()
            if empty.any():
                shown = ", ".join(row_ids[empty][:MAX_SHOWN])
                more = f" and {empty.sum() - MAX_SHOWN} more" if empty.sum() > MAX_SHOWN else ""
                log.warning("%s: %d rows with empty text in column '%s' are skipped (%s%s)",
                            path, empty.sum(), column, shown, more)
            ids += row_ids[~empty].tolist()
            texts += frame.loc[~empty, column].tolist()
        else:
            raise StanceError(f"{path}: unknown suffix '{path.suffix}'; give .txt, .md or .csv")
    return ids, texts


def predict_files(model_path: str | Path, paths: Sequence[str | Path], *, column: str = "text",
                  id_column: str | None = None) -> pd.DataFrame:
    """Predicted label and class probabilities for every text in ``paths``.

    Example:
        >>> predict_files("reports/seeds/latest/framing_model.skops",
        ...               ["article.txt"])  # doctest: +SKIP
    """
    from stance.framing_model import load_framing_model, predict_table

    model = load_framing_model(Path(model_path))
    ids, texts = read_texts(paths, column=column, id_column=id_column)
    return predict_table(model, texts, ids)

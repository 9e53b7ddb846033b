"""The framing model over every segment (or document) of a run, part by part.

Each part of the run folder's segments (or cleaned corpus) is predicted where it lies: on
a Dask worker when the run has a cluster, else in this process, one part at a time. A part's
rows are written into the run folder (framing_corpus.parquet; above
:data:`~stance.run._outputs.PART_ROWS` rows a dataset of parts) and only its counts per
document come back, which the outlet shares are computed from.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

import pandas as pd

from stance.analysis import document_counts, sum_counts
from stance.framing import predict_units, unit_columns
from stance.progress import track
from stance.run import _outputs as files
from stance.run._framing_store import SavedFramingModel
from stance.run._parts import read_rows, row_parts


def predict_corpus_framing(model: SavedFramingModel, run_dir: Path,
                           level: Literal["document", "segment"], classes: list[str], *,
                           client=None) -> pd.DataFrame:
    """Predict every unit of the run with ``model``; write the rows, return counts per document.

    Args:
        model: the framing model as saved in ``run_dir``, which the workers read.
        run_dir: the run folder holding the segments and the cleaned corpus.
        level: segments or documents, as the model was trained.
        classes: the model's classes, the count columns.
        client: a ``distributed.Client`` to predict the parts on its workers, or None.

    Returns:
        outlet, doc_id and one count column per class (see
        :func:`stance.analysis.document_counts`).
    """
    name = files.SEGMENTS if level == "segment" else files.CORPUS
    parts = row_parts(files.written_path(run_dir / name))
    targets = files.part_paths(run_dir / files.FRAMING_CORPUS, len(parts))
    jobs = list(zip(parts, targets, strict=True))
    shown = dict(description="framing over the corpus", work=sum(b - a for _, a, b in parts))
    if client is None:
        pipeline = model.load()
        counts = [predict_part(pipeline, part, level, out, classes)
                  for part, out in track(jobs, **shown)]
    else:
        futures = [client.submit(_predict_part_on_worker, str(model.path), part, level, out,
                                 classes, pure=False) for part, out in jobs]
        counts = [f.result() for f in track(futures, **shown)]
    return sum_counts(counts, classes, by=["outlet"])


def predict_part(pipeline, part: tuple[Path, int, int], level: Literal["document", "segment"],
                 out: Path, classes: list[str]) -> pd.DataFrame:
    """Predict one part's rows, write them to ``out``; their counts per outlet and document."""
    rows = read_rows(*part, columns=unit_columns(level))
    table = predict_units(pipeline, rows, level)
    table.to_parquet(out, index=False)
    return document_counts(table, "predicted", classes, by=["outlet"])


def _predict_part_on_worker(model_path: str, part: tuple[Path, int, int],
                            level: Literal["document", "segment"], out: Path,
                            classes: list[str]) -> pd.DataFrame:
    return predict_part(_worker_model(model_path), part, level, out, classes)


@lru_cache(maxsize=1)  # a worker of a long-lived cluster serves run after run
def _worker_model(path: str):
    """The framing model at ``path``, loaded once per worker process and kept for its run."""
    return SavedFramingModel(Path(path)).load()

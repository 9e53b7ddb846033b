"""actor_stance.csv written part by part, each mention's texts cut where its segments lie.

The stance stage keeps each mention as offsets into its segment. Its rows with their texts
(the mention, its sentence, the context the model read) are cut from the segments and
written a part at a time: on a Dask worker, which reads the part's rows of the run folder's
segments, when the run has a cluster; else here, one part after another. Above
:data:`~stance.run._outputs.PART_ROWS` mentions the table is a dataset of parts
(actor_stance.parquet).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from stance.data import Segments
from stance.progress import track
from stance.run import _outputs as files
from stance.run._parts import read_row_range
from stance.sentiment import stance_rows


def write_actor_stance_rows(predicted: pd.DataFrame, segments: Segments, run_dir: Path, *,
                            client=None) -> Path:
    """Write every predicted mention with its texts into ``run_dir``; where they went.

    Args:
        predicted: the stance stage's mentions (offsets into the segments, stance,
            probabilities), in segment order.
        segments: the run's segments, as written in ``run_dir``.
        run_dir: the run folder.
        client: a ``distributed.Client`` to write the parts on its workers, or None.
    """
    starts = range(0, max(len(predicted), 1), files.PART_ROWS)
    targets = files.part_paths(run_dir / files.ACTOR_STANCE, len(starts))
    parts = [predicted.iloc[start:start + files.PART_ROWS] for start in starts]
    shown = dict(description="actor stance rows", work=len(predicted))
    if client is None:
        texts = segments.table.set_index("seg_id")["text"]
        for part, target in track(list(zip(parts, targets, strict=True)), **shown):
            files.write_part(stance_rows(part, texts), target)
    else:
        positions = pd.Index(segments.table["seg_id"]).get_indexer(predicted["seg_id"])
        source = files.written_path(run_dir / files.SEGMENTS)
        futures = [client.submit(_write_part_on_worker, client.scatter(part), source,
                                 _row_range(positions[start:start + len(part)]), target,
                                 pure=False)
                   for start, part, target in zip(starts, parts, targets, strict=True)]
        for future in track(futures, **shown):
            future.result()
    return files.written_path(run_dir / files.ACTOR_STANCE)


def _row_range(positions: np.ndarray) -> tuple[int, int]:
    """The segments' rows a part's mentions lie in (mentions come in segment order)."""
    return int(positions.min()), int(positions.max()) + 1


def _write_part_on_worker(part: pd.DataFrame, segments: Path, rows: tuple[int, int],
                          target: Path) -> None:
    """On a worker: cut one part's texts from its segments' rows and write it."""
    texts = read_row_range(segments, *rows, columns=["seg_id", "text"]).set_index(
        "seg_id")["text"]
    files.write_part(stance_rows(part, texts), target)

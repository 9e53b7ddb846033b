"""Reading a run folder's long tables a part at a time, by row numbers.

A stage that works part by part (on a Dask worker, or here one part after another) names
each part by its rows in a Parquet file or dataset folder and decodes only what it needs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from stance.run import _outputs as files

#: Rows decoded at a time when a part is cut from a larger Parquet file.
_BATCH_ROWS = 65_536


def row_parts(path: Path) -> list[tuple[Path, int, int]]:
    """(file, first row, end row) of every part of a Parquet file or dataset folder.

    A file longer than ``PART_ROWS`` rows is cut into parts of that many rows.
    """
    parts = []
    for file, n_rows in _files_with_rows(path):
        parts += [(file, start, min(n_rows, start + files.PART_ROWS))
                  for start in range(0, max(n_rows, 1), files.PART_ROWS)]
    return parts


def read_rows(path: Path, start: int, stop: int, *, columns: list[str]) -> pd.DataFrame:
    """Rows ``start`` to ``stop`` of a Parquet file, decoding a batch at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    if start == 0 and stop == file.metadata.num_rows:
        return file.read(columns=columns).to_pandas()
    batches, seen = [], 0
    for batch in file.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
        lo, hi = max(start - seen, 0), min(stop - seen, batch.num_rows)
        if lo < hi:
            batches.append(batch.slice(lo, hi - lo))
        seen += batch.num_rows
        if seen >= stop:
            break
    return pa.Table.from_batches(batches).to_pandas()


def read_row_range(path: Path, start: int, stop: int, *, columns: list[str]) -> pd.DataFrame:
    """Rows ``start`` to ``stop`` of a Parquet file or dataset folder, counted across parts."""
    frames, offset = [], 0
    for file, n_rows in _files_with_rows(path):
        lo, hi = max(start - offset, 0), min(stop - offset, n_rows)
        if lo < hi:
            frames.append(read_rows(file, lo, hi, columns=columns))
        offset += n_rows
        if offset >= stop:
            break
    return pd.concat(frames, ignore_index=True)


def _files_with_rows(path: Path) -> list[tuple[Path, int]]:
    import pyarrow.parquet as pq

    return [(file, pq.ParquetFile(file).metadata.num_rows)
            for file in files.dataset_files(path)]

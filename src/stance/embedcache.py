"""An append-only on-disk store of embeddings keyed by text hash.

Each write adds one *shard*: ``<id>.vecs.npy`` (float32 rows) then
``<id>.keys.npy`` (the rows' 32-byte sha256 keys), each written to a temporary
name and renamed into place, keys last. A shard counts only once its keys file
exists, so a run killed mid-write leaves at most an ignored temporary file, and
runs sharing a cache never write the same file. Vectors are memory-mapped, so a
lookup reads only the rows it returns.

Hand-written rather than a key-value store (diskcache, LMDB) because a lookup of
a million keys is then one vectorised pandas index join, and the format is plain
NumPy that any tool can read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

KEY_DTYPE = np.dtype("S32")


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha256 of each text (UTF-8) as fixed 32-byte keys."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype=KEY_DTYPE)


class EmbeddingCache:
    """The shards of one model setting, in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def lookup(self, keys: np.ndarray, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(found, vectors)``: a mask over ``keys`` and the found rows in key order."""
        index, owners, rows, shards = self._index()
        if not shards:
            return np.zeros(len(keys), bool), np.empty((0, dim or 0), np.float32)
        position = index.get_indexer(pd.Index(keys, dtype=object))
        found = position >= 0
        owner, row = owners[position[found]], rows[position[found]]
        vectors = np.empty((int(found.sum()), shards[0].shape[1]), np.float32)
        for shard_no in np.unique(owner):
            take = owner == shard_no
            vectors[take] = shards[shard_no][row[take]]
        return found, vectors

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store new rows as one shard, atomically."""
        if len(keys) == 0:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        shard = f"{uuid.uuid4().hex}"
        _atomic_save(self.folder / f"{shard}.vecs.npy", np.ascontiguousarray(vectors, np.float32))
        _atomic_save(self.folder / f"{shard}.keys.npy", np.asarray(keys, KEY_DTYPE))

    def __len__(self) -> int:
        return len(self._index()[0])

    def _index(self) -> tuple[pd.Index, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Unique keys of every complete shard, each key's shard and row, and the shards."""
        all_keys, shards, owners, rows = [], [], [], []
        for keys_file in sorted(self.folder.glob("*.keys.npy")) if self.folder.is_dir() else []:
            vecs_file = keys_file.with_name(keys_file.name.replace(".keys.", ".vecs."))
            try:
                keys = np.load(keys_file)
                vectors = np.load(vecs_file, mmap_mode="r")
                if keys.dtype != KEY_DTYPE or len(keys) != len(vectors):
                    raise ValueError("keys and vectors disagree")
            except (OSError, ValueError) as exc:
                log.warning("embedding cache: skipping unreadable shard %s (%s)", keys_file, exc)
                continue
            owners.append(np.full(len(keys), len(shards), np.int32))
            rows.append(np.arange(len(keys), dtype=np.int64))
            shards.append(vectors)
            all_keys.append(keys)
        if not shards:
            return pd.Index([], dtype=object), np.empty(0, np.int32), np.empty(0, np.int64), []
        index = pd.Index(np.concatenate(all_keys), dtype=object)
        first = ~index.duplicated()  # two runs may have cached the same text; the first copy wins
        return (index[first], np.concatenate(owners)[first], np.concatenate(rows)[first], shards)


def _atomic_save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".tmp-{uuid.uuid4().hex}-{path.name}")
    with open(tmp, "wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)

"""An append-only store of embeddings keyed by text hash, checked on every read.

Each write adds one *shard*: ``<id>.vecs.npy`` (float32 rows), ``<id>.keys.npy`` (the
rows' 32-byte sha256 keys) and last ``<id>.json``, a sidecar with the row count, the
vector length and the sha256 of the vector bytes. Each file is written to a temporary name
and renamed into place, so a run killed mid-write leaves a shard without its sidecar,
which counts as not written; runs sharing a cache never write the same file. A lookup
reads one shard at a time (a local one memory-mapped) and copies its rows straight into
the caller's array.

The store is a local folder or any fsspec URL (``s3://bucket/cache``, ``gs://...``; the
filesystem's fsspec package must be installed), so workers without a shared filesystem
can share one cache. On an object store the rename is a copy, and the sidecar written
last still marks a complete shard.

A shard that supplies rows is checked against its sidecar first (once per process and
file state): a truncated file, keys that disagree with the vectors, or vector bytes whose
sha256 is not the one written with them is moved to ``damaged/`` with one warning, and
its texts are encoded again. A changed cache is never used silently.

Hand-written rather than a key-value store (diskcache, LMDB) because a lookup of
a million keys is then one vectorised pandas index join, and the format is plain
NumPy that any tool can read.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

KEY_DTYPE = np.dtype("S32")
#: Where shards that fail their check are moved, inside the cache folder.
DAMAGED = "damaged"
#: A cache folder: a local path, or an fsspec URL (a str holding ``://``).
CacheLocation = Path | str


def is_url(location: CacheLocation) -> bool:
    """Whether ``location`` is an fsspec URL rather than a local path."""
    return isinstance(location, str) and "://" in location


def cache_folder(cache_dir: CacheLocation, name: str) -> CacheLocation:
    """The folder ``name`` inside ``cache_dir``, a URL staying a URL."""
    return f"{cache_dir.rstrip('/')}/{name}" if is_url(cache_dir) else Path(cache_dir) / name


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """sha256 of each text (UTF-8) as fixed 32-byte keys."""
    return np.array([hashlib.sha256(t.encode("utf-8")).digest() for t in texts], dtype=KEY_DTYPE)


class DamagedShard(Exception):
    """A shard whose files do not match its sidecar."""


@dataclass(frozen=True)
class _Shard:
    name: str
    keys: np.ndarray
    dim: int
    vectors_sha256: str


class EmbeddingCache:
    """The shards of one model setting, in one folder (a local path or an fsspec URL)."""

    def __init__(self, folder: CacheLocation) -> None:
        from fsspec.core import url_to_fs
        from fsspec.implementations.local import LocalFileSystem

        self.folder = folder if is_url(folder) else Path(folder)
        self.fs, self.root = url_to_fs(str(self.folder))
        self.local = isinstance(self.fs, LocalFileSystem)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(found, vectors)``: a mask over ``keys`` and the found rows in key order."""
        vectors = np.empty((len(keys), self.dimension() or 0), np.float32)
        found = self.fill(keys, vectors)
        return found, vectors[found]

    def dimension(self) -> int | None:
        """Length of the cached vectors, or None while the cache is empty.

        Read from one sidecar: the whole index (every shard's keys) is read by ``fill``.
        """
        for sidecar in self._sidecars():
            try:
                return int(json.loads(self.fs.cat_file(sidecar))["dim"])
            except (OSError, ValueError, KeyError, TypeError):  # damaged: fill sets it aside
                continue
        return None

    def fill(self, keys: np.ndarray, out: np.ndarray, at: np.ndarray | None = None) -> np.ndarray:
        """Write the vector of each cached key into ``out``; return the mask of keys found.

        Key ``j`` goes to row ``at[j]`` of ``out`` (row ``j`` without ``at``). Shards are
        read one at a time (a local one memory-mapped and unmapped once read), so a lookup
        of every segment holds the cache in memory no more than ``out`` itself.
        """
        at = np.arange(len(keys)) if at is None else np.asarray(at)
        while True:
            index, owners, rows, shards = self._index()
            if not shards:
                return np.zeros(len(keys), bool)
            position = index.get_indexer(pd.Index(keys, dtype=object))
            found = position >= 0
            owner, row, target = owners[position[found]], rows[position[found]], at[found]
            order = np.argsort(owner, kind="stable")
            owner, row, target = owner[order], row[order], target[order]
            bounds = np.flatnonzero(np.diff(owner)) + 1
            damaged = False
            for part in np.split(np.arange(len(owner)), bounds):
                if not len(part):
                    continue
                shard = shards[owner[part[0]]]
                if not self._read(shard, row[part], out, target[part]):
                    damaged = True  # moved aside; its texts are looked up (and encoded) again
            if not damaged:
                return found

    def _read(self, shard: _Shard, rows: np.ndarray, out: np.ndarray, at: np.ndarray) -> bool:
        """Copy a shard's ``rows`` into ``out[at]`` if its bytes match; False if set aside."""
        path = self._path(f"{shard.name}.vecs.npy")
        try:
            vectors = (np.load(path, mmap_mode="r") if self.local
                       else np.load(io.BytesIO(self.fs.cat_file(path))))
        except (OSError, ValueError):  # removed or truncated since the index was read
            vectors = None
        if vectors is None or not self._verified(path, vectors, shard.vectors_sha256):
            self._set_aside(shard.name, "its vector bytes do not match the sha256 "
                                        "written with them")
            return False
        out[at] = vectors[rows]
        return True

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store new rows as one shard, atomically (the sidecar last)."""
        if len(keys) == 0:
            return
        self.fs.makedirs(self.root, exist_ok=True)
        name = uuid.uuid4().hex
        vectors = np.ascontiguousarray(vectors, np.float32)
        self._atomic_write(f"{name}.vecs.npy", lambda h: np.save(h, vectors))
        self._atomic_write(f"{name}.keys.npy", lambda h: np.save(h, np.asarray(keys, KEY_DTYPE)))
        sidecar = {"rows": len(vectors), "dim": int(vectors.shape[1]), "dtype": "float32",
                   "vectors_sha256": hashlib.sha256(vectors.data).hexdigest()}
        self._atomic_write(f"{name}.json", lambda h: h.write(json.dumps(sidecar).encode()))

    def __len__(self) -> int:
        return len(self._index()[0])

    def _path(self, name: str) -> str:
        return f"{self.root}/{name}"

    def _sidecars(self) -> list[str]:
        if not self.fs.isdir(self.root):
            return []
        # listed, not globbed: a folder name may hold glob characters ("run[1]")
        return sorted(path for path in self.fs.ls(self.root, detail=False)
                      if path.endswith(".json") and not _shard_name(path).startswith("."))

    def _index(self) -> tuple[pd.Index, np.ndarray, np.ndarray, list[_Shard]]:
        """Unique keys of every complete shard, each key's shard and row, and the shards."""
        all_keys, shards, owners, rows = [], [], [], []
        for sidecar in self._sidecars():
            try:
                shard = self._open(sidecar)
            except DamagedShard as problem:
                self._set_aside(_shard_name(sidecar), str(problem))
                continue
            owners.append(np.full(len(shard.keys), len(shards), np.int32))
            rows.append(np.arange(len(shard.keys), dtype=np.int64))
            shards.append(shard)
            all_keys.append(shard.keys)
        if not shards:
            return pd.Index([], dtype=object), np.empty(0, np.int32), np.empty(0, np.int64), []
        index = pd.Index(np.concatenate(all_keys), dtype=object)
        first = ~index.duplicated()  # two runs may have cached the same text; the first copy wins
        return (index[first], np.concatenate(owners)[first], np.concatenate(rows)[first], shards)

    def _open(self, sidecar: str) -> _Shard:
        """A shard's keys and vector length, checked against its sidecar's shape."""
        name = _shard_name(sidecar)
        vectors_path = self._path(f"{name}.vecs.npy")
        try:
            meta = json.loads(self.fs.cat_file(sidecar))
            keys = np.load(io.BytesIO(self.fs.cat_file(self._path(f"{name}.keys.npy"))))
            with self.fs.open(vectors_path, "rb") as handle:
                shape, dtype, data_start = _npy_header(handle)
            size = self.fs.size(vectors_path)
        except (OSError, ValueError) as exc:  # missing, truncated or not NumPy / JSON
            raise DamagedShard(f"unreadable: {exc}") from None
        if size != data_start + int(np.prod(shape)) * dtype.itemsize:
            raise DamagedShard(f"unreadable: {size} bytes where the header promises "
                               f"{shape} {dtype}")
        expected = (meta.get("rows"), meta.get("dim"))
        if keys.dtype != KEY_DTYPE or len(keys) != expected[0] or shape != expected \
                or dtype != np.float32:
            raise DamagedShard(f"{len(keys)} keys and vectors of shape {shape}, but the "
                               f"sidecar says {expected[0]} rows of {expected[1]}")
        return _Shard(name, keys, int(expected[1]), str(meta.get("vectors_sha256")))

    def _verified(self, path: str, vectors: np.ndarray, sha256: str) -> bool:
        """Whether a shard's vector bytes have the sha256 its sidecar records.

        A file is read whole once per process and file state, not on every lookup.
        """
        try:
            info = self.fs.info(path)
        except FileNotFoundError:
            return False
        # size, modification time and inode locally; an object store's ETag or time
        state = (self.fs.protocol, path, info.get("size"), info.get("mtime"), info.get("ino"),
                 info.get("ETag") or info.get("etag"), info.get("LastModified"))
        with _checked_lock:
            if state in _checked:
                return True
        if hashlib.sha256(np.ascontiguousarray(vectors).data).hexdigest() != sha256:
            return False
        with _checked_lock:
            _checked.add(state)
        return True

    def _set_aside(self, name: str, why: str) -> None:
        """Move shard ``name``'s files to ``damaged/``, saying so once."""
        aside = self._path(DAMAGED)
        self.fs.makedirs(aside, exist_ok=True)
        moved = False
        for suffix in (".json", ".keys.npy", ".vecs.npy"):
            try:
                self._move(self._path(f"{name}{suffix}"), f"{aside}/{name}{suffix}")
                moved = True
            except FileNotFoundError:  # missing, or another run moved it first
                pass
        if moved:
            log.warning("embedding cache %s: shard %s is damaged (%s); moved to %s/, its texts "
                        "are encoded again", self.folder, name, why, DAMAGED)

    def _atomic_write(self, name: str, write) -> None:
        tmp = self._path(f".tmp-{uuid.uuid4().hex}-{name}")
        with self.fs.open(tmp, "wb") as handle:
            write(handle)
            if self.local:
                handle.flush()
                os.fsync(handle.fileno())
        self._move(tmp, self._path(name))

    def _move(self, source: str, target: str) -> None:
        if self.local:
            os.replace(source, target)  # atomic: readers see the old file or the new one
        else:
            self.fs.mv(source, target)


def _shard_name(sidecar: str) -> str:
    return sidecar.rsplit("/", 1)[-1].removesuffix(".json")


def _npy_header(handle) -> tuple[tuple[int, ...], np.dtype, int]:
    """Shape, dtype and data offset of a ``.npy`` file, from its header alone."""
    version = np.lib.format.read_magic(handle)
    read = (np.lib.format.read_array_header_1_0 if version == (1, 0)
            else np.lib.format.read_array_header_2_0)
    shape, _, dtype = read(handle)
    return shape, dtype, handle.tell()


#: (filesystem, path, size, mtime, inode, ETag, time) of vector files whose bytes matched
#: their sha256 in this process: a file is read whole once, not on every lookup.
_checked: set[tuple] = set()
_checked_lock = threading.Lock()

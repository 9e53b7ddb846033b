"""A content-addressed cache of stage outputs, so an unchanged stage is skipped on the next run.

A stage's key hashes its config section, its inputs' keys, the source code of the
modules that compute it and the packaged data files they read, so editing the code or
the data invalidates the cache too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

log = logging.getLogger(__name__)
T = TypeVar("T")
_COMPLETE = "COMPLETE"


def stage_key(name: str, *parts: Any, code: tuple[str, ...] = (),
              data: tuple[str, ...] = ()) -> str:
    """sha256 of a stage name, its config sections / upstream keys, and what computes it.

    ``code`` names packages (every ``.py`` file under their folder) and modules whose
    source is hashed, read without importing them (a cached stage then loads none of its
    libraries), so moving a function between files of a package keeps invalidating the
    cache; ``data`` names files in the package's ``data/`` folder, such as the cue lexicon,
    which an upgrade may change.
    """
    h = hashlib.sha256(name.encode())
    for part in parts:
        if isinstance(part, BaseModel):
            part = part.model_dump(mode="json")
        h.update(json.dumps(part, sort_keys=True, default=str).encode())
    for module in code:
        h.update(files_sha256(_source_files(module)).encode())
    for file in data:
        h.update(resources.files("stance").joinpath("data", file).read_bytes())
    return h.hexdigest()


def _source_files(module: str) -> list[tuple[str, Path]]:
    """The source files of a module, or of every module of a package, by relative name."""
    spec = importlib.util.find_spec(module)
    if spec.submodule_search_locations:  # a package: its folder, subpackages included
        folder = Path(next(iter(spec.submodule_search_locations)))
        return [(str(f.relative_to(folder)), f) for f in sorted(folder.rglob("*.py"))]
    return [(module, Path(spec.origin))]


def files_sha256(files: Iterable[tuple[str, Path]]) -> str:
    """sha256 over each file's name and bytes, read in 1 MiB blocks.

    Reading the bytes costs far less than redoing the stage they feed. Each name and file
    is preceded by its length, so no two lists of files run together into the same bytes.
    """
    h = hashlib.sha256()
    for name, path in files:
        name_bytes = name.encode()
        h.update(f"{len(name_bytes)}:".encode() + name_bytes)
        h.update(f"{Path(path).stat().st_size}:".encode())
        with Path(path).open("rb") as handle:
            while block := handle.read(1 << 20):
                h.update(block)
    return h.hexdigest()


class StageCache:
    """Stage outputs under ``root/<stage>/<key>/``, each written whole or not at all."""

    def __init__(self, root: Path, *, enabled: bool = True):
        self.root = Path(root)
        self.enabled = enabled

    def has(self, name: str, key: str) -> bool:
        """Whether :meth:`fetch` would find this stage's output in the cache."""
        return self.enabled and (self.root / name / key / _COMPLETE).exists()

    def fetch(
        self,
        name: str,
        key: str,
        compute: Callable[[], T],
        save: Callable[[T, Path], None],
        load: Callable[[Path], T],
    ) -> tuple[T, bool]:
        """Load the stage's output for ``key`` if cached, else compute and store it.

        Returns:
            The output and whether it came from the cache.
        """
        folder = self.root / name / key
        if self.has(name, key):
            try:
                return load(folder), True
            except Exception as exc:  # a damaged entry is recomputed, and said so
                log.warning("stage cache %s/%s unreadable (%s); recomputing", name, key[:12], exc)
                shutil.rmtree(folder, ignore_errors=True)
        value = compute()
        if self.enabled:
            self._store(folder, value, save)
        return value, False

    def _store(self, folder: Path, value: T, save: Callable[[T, Path], None]) -> None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        try:
            save(value, tmp)
            (tmp / _COMPLETE).touch()
            os.replace(tmp, folder)  # atomic; a concurrent run that won the race keeps its copy
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

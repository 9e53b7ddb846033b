"""Output folders shared by runs and sweeps: unique timestamped folders, ``latest``, JSON."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from stance.errors import StanceError

#: Written into a run folder whose run failed after its corpus was prepared.
FAILED_FILE = "FAILED.txt"


def new_output_dir(parent: Path, started: datetime, digest: str) -> Path:
    """Create ``parent/<UTC time>-<digest[:8]>/figures`` (suffixed -1, -2 ... if taken).

    ``mkdir`` without ``exist_ok`` claims the name atomically, so concurrent runs of one
    config started in the same second never share a folder.
    """
    parent.mkdir(parents=True, exist_ok=True)
    base = f"{started:%Y%m%dT%H%M%SZ}-{digest[:8]}"
    for attempt in range(100):
        folder = parent / (base if attempt == 0 else f"{base}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        (folder / "figures").mkdir()
        return folder
    raise RuntimeError(f"cannot create an output folder under {parent}")


def require_output_dir(folder: Path) -> None:
    """Refuse ``folder`` if it, or a folder above it, is an existing file: nothing can go there.

    Call it before any stage runs, so the mistake costs no work and leaves nothing behind.
    """
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise StanceError(f"output_dir: {path} is a file, not a folder; set output_dir "
                                  "to a folder (it is created if missing)")
            return


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented JSON (non-JSON values as strings)."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def point_latest(parent: Path, target: Path) -> None:
    """Point ``parent/latest`` at ``target`` atomically (a relative symlink, replaced by rename)."""
    link = parent / "latest"
    tmp = parent / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.relative_to(parent))
    os.replace(tmp, link)

"""Output folders shared by runs and sweeps: unique timestamped folders, ``latest``, failures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from stance.errors import StanceError
from stance.run._outputs import CONFIG, FAILED, FIGURES, MANIFEST


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
        (folder / FIGURES).mkdir()
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


def point_latest(parent: Path, target: Path) -> None:
    """Point ``parent/latest`` at ``target`` atomically (a relative symlink, replaced by rename)."""
    link = parent / "latest"
    tmp = parent / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target.relative_to(parent))
    os.replace(tmp, link)


@contextmanager
def marked_if_failed(run_dir: Path) -> Iterator[None]:
    """If the block raises, say so in ``run_dir``: its outputs stop where the run did.

    The folder stays for what it holds (the corpus, segments, the stages that finished);
    ``latest`` still points at the last run that finished, and :func:`require_finished_run`
    refuses the folder, quoting this file.
    """
    try:
        yield
    except BaseException as error:
        what = "interrupted" if isinstance(error, KeyboardInterrupt) else (
            f"{type(error).__name__}: {error}")
        (run_dir / FAILED).write_text(
            f"This run did not finish ({what}). Its outputs are partial; "
            "latest still points at the last finished run.\n", encoding="utf-8")
        raise


def require_finished_run(path: Path) -> Path:
    """``path``, resolved, if it is a finished run folder.

    Raises:
        StanceError: the folder is not a finished run (no manifest.json), or its run failed
            (FAILED.txt, which the message quotes).
    """
    path = Path(path)
    failed = path / FAILED
    if failed.is_file():
        raise StanceError(f"{path}: {failed.read_text(encoding='utf-8').strip()} Give a "
                          "finished run, e.g. reports/<experiment>/latest")
    if not (path / MANIFEST).is_file() or not (path / CONFIG).is_file():
        raise StanceError(f"{path}: not a finished run folder (no manifest.json or config.yaml);"
                          " give reports/<experiment>/runs/<id> or reports/<experiment>/latest")
    return path.resolve()

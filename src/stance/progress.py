"""Progress bars the runner switches off (``--quiet``) without threading a flag everywhere."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

_enabled: ContextVar[bool] = ContextVar("stance_progress", default=False)
#: Below this many items a bar is noise: the work finishes in well under a second.
MIN_ITEMS_FOR_BAR = 2000


@contextmanager
def progress_enabled(enabled: bool) -> Iterator[None]:
    """Show (or hide) progress bars for the work done inside the block."""
    token = _enabled.set(enabled)
    try:
        yield
    finally:
        _enabled.reset(token)


def is_enabled() -> bool:
    """Whether progress bars are on in this context."""
    return _enabled.get()


def track(items: Iterable[T], description: str, total: int | None = None,
          work: int | None = None) -> Iterable[T]:
    """Iterate ``items`` with a rich progress bar when bars are on and the work is large.

    ``work`` counts the underlying items when each of ``items`` is a batch of them.
    """
    if total is None and isinstance(items, Sized):
        total = len(items)
    size = work if work is not None else total
    if not _enabled.get() or (size is not None and size < MIN_ITEMS_FOR_BAR):
        return items
    from rich.progress import track as rich_track

    return rich_track(items, description=description, total=total, transient=True)

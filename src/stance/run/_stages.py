"""Running one stage: timing it, and reusing its cached output when its key is unchanged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from stance.compute import peak_rss_mb
from stance.run._cache import StageCache

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Store(Generic[T]):
    """How a stage's output is written to a cache folder and read back."""

    save: Callable[[T, Path], None]
    load: Callable[[Path], T]


class Stages:
    """The stages of one run, in the order they ran: seconds, CPU seconds, whether cached."""

    def __init__(self, cache: StageCache) -> None:
        self.cache = cache
        self.records: dict[str, dict[str, Any]] = {}
        #: perf_counter() when the run began, for its wall time
        self.started = time.perf_counter()

    def run(self, name: str, function: Callable[..., T], /, *args: Any, key: str | None = None,
            store: Store[T] | None = None, **kwargs: Any) -> T:
        """``function(*args, **kwargs)``, or its output cached under ``key`` by ``store``."""
        log.info("stage %s ...", name)
        start, cpu_start = time.perf_counter(), time.process_time()
        cached = False
        if key is not None and store is not None:
            value, cached = self.cache.fetch(name, key, lambda: function(*args, **kwargs),
                                             store.save, store.load)
        else:
            value = function(*args, **kwargs)
        # CPU seconds and memory of this process alone: worker processes are not counted
        self.records[name] = {"seconds": round(time.perf_counter() - start, 3),
                              "cpu_seconds": round(time.process_time() - cpu_start, 3),
                              "peak_rss_mb": peak_rss_mb(), "cached": cached}
        log.info("stage %s done in %.2fs%s", name, self.records[name]["seconds"],
                 " (cached)" if cached else "")
        return value

    def note(self, name: str, **facts: Any) -> None:
        """Add ``facts`` to a stage's record (the embedding stage's texts encoded, say)."""
        self.records[name].update(facts)

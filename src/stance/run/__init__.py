"""Running experiments: the flow of stages, the stage cache, run folders, sweeps, verify.

The only layer that writes files. Its public names are imported on first use, so reading
a run folder (:mod:`stance.api`) does not load the stages' libraries.

Example:
    >>> result = run_experiment(load_config("experiments/seeds.yaml"))  # doctest: +SKIP
    >>> (result.run_dir / "report.pdf").exists()  # doctest: +SKIP
    True
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["VerifyReport", "compare_runs", "embed_experiment", "embedding_cache_dir",
           "require_finished_run", "run_experiment", "run_sweep", "verify_run"]

#: Public name -> module defining it.
_LAZY = {"VerifyReport": "_verify", "compare_runs": "_verify", "verify_run": "_verify",
         "embed_experiment": "_flow", "embedding_cache_dir": "_flow", "run_experiment": "_flow",
         "run_sweep": "_sweep", "require_finished_run": "_folder"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

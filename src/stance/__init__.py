"""stance: topic modelling and stance/framing analysis of news coverage.

Example:
    >>> import stance
    >>> run = stance.Experiment.from_yaml("experiments/seeds.yaml").run()  # doctest: +SKIP
    >>> stance.load_run("reports/seeds/latest").topics  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["Experiment", "Run", "__version__", "load_run", "verify_run"]

#: Public name -> module defining it; imported on first access so `import stance` stays instant.
_LAZY = {"Experiment": "stance.api", "Run": "stance.api", "load_run": "stance.api",
         "verify_run": "stance.run"}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("stance")
        except PackageNotFoundError:  # running from a source tree that was not installed
            return "0+unknown"
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

"""Sweep expansion: a config's ``sweep:`` grid checked against the schema, and its points.

A sweep maps dotted settings to lists of values::

    sweep:
      seed: [42, 43, 44]
      topics.hdbscan.min_cluster_size: [3, 5]

Each combination (a point) is an ordinary config with ``sweep`` empty. The functions take
the config's own class from the config they are given, so this module needs no import of
the experiment schema that calls it.
"""

from __future__ import annotations

import difflib
import itertools
import json
import math
from typing import Any, TypeVar

from pydantic import ValidationError

from stance.config._base import Section, section_of, set_dotted
from stance.errors import StanceError

#: An experiment config (:class:`stance.config.ExperimentConfig`), whose class validates points.
Config = TypeVar("Config", bound=Section)

#: Largest grid a sweep may expand to; beyond this a typo in a list costs hours.
MAX_POINTS = 200
#: Settings a point may not change: every point belongs to the same experiment folder.
_FIXED = ("name", "output_dir", "sweep")


def check_sweep(cfg: Section) -> None:
    """Check every key and value of ``cfg.sweep`` against the schema.

    Raises:
        ValueError: for the first problem, starting with ``sweep.<key>`` (``[i]`` for a
            value) so the config loader can name its line.
    """
    settings = setting_paths(type(cfg))
    for key in cfg.sweep:
        if key in _FIXED:
            raise ValueError(f"sweep.{key}: cannot be swept; every point of a sweep shares "
                             "the experiment's name and output folder")
        if key not in settings:
            close = difflib.get_close_matches(key, settings, n=1)
            hint = (f"did you mean {close[0]}?" if close
                    else "give a dotted setting such as topics.hdbscan.min_cluster_size")
            raise ValueError(f"sweep.{key}: unknown setting; {hint}")
    base = cfg.resolved_dump()
    for key, values in cfg.sweep.items():
        for index, value in enumerate(values):
            try:
                _apply(type(cfg), base, {key: value})
            except ValidationError as exc:
                raise ValueError(f"sweep.{key}[{index}]: {_problem(exc)}") from None
    n_points = math.prod(len(values) for values in cfg.sweep.values())
    if n_points > MAX_POINTS:
        sizes = " x ".join(str(len(values)) for values in cfg.sweep.values())
        raise ValueError(f"sweep: {n_points} points ({sizes}), more than {MAX_POINTS}; "
                         "shorten the value lists or split the sweep into several configs")


def expand_sweep(cfg: Config) -> list[tuple[dict[str, Any], Config]]:
    """Every point of the grid: its overrides and its resolved config (``sweep`` empty).

    The first swept key varies slowest. A config without a sweep is one point.

    Raises:
        StanceError: when a combination of values is invalid together.

    Example:
        >>> cfg = parse_config({"name": "x", "corpus": {"path": "/c.csv"},
        ...                     "sweep": {"seed": [1, 2]}})  # doctest: +SKIP
        >>> [(o, c.seed) for o, c in expand_sweep(cfg)]  # doctest: +SKIP
        [({'seed': 1}, 1), ({'seed': 2}, 2)]
    """
    base = cfg.resolved_dump()
    keys = list(cfg.sweep)
    points = []
    for values in itertools.product(*cfg.sweep.values()):
        overrides = dict(zip(keys, values, strict=True))
        try:
            points.append((overrides, _apply(type(cfg), base, overrides)))
        except ValidationError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            raise StanceError(f"sweep point {shown}: {_problem(exc)}") from None
    return points


def setting_paths(model: type[Section], prefix: str = "") -> list[str]:
    """Dotted names of every setting and section below ``model`` (not inside lists)."""
    paths = []
    for name, field in model.model_fields.items():
        paths.append(prefix + name)
        section = section_of(field.annotation)
        if section is not None:
            paths += setting_paths(section, f"{prefix}{name}.")
    return paths


def _apply(schema: type[Config], base: dict[str, Any], overrides: dict[str, Any]) -> Config:
    """Validate ``base`` (a resolved dump) with ``overrides`` set and no sweep."""
    return schema.model_validate(set_dotted({**base, "sweep": {}}, overrides))


def _problem(exc: ValidationError) -> str:
    """One line for the errors of one applied value (a union type gives one per member)."""
    errors = exc.errors()
    messages = [e["msg"].removeprefix("Value error, ") for e in errors]
    text = "; or ".join(dict.fromkeys(msg[:1].lower() + msg[1:] for msg in messages))
    found = errors[0].get("input")
    if errors[0]["loc"] and not isinstance(found, dict | list):
        text += f" (found {found!r})"
    return text


def value_label(value: Any) -> Any:
    """A swept value as one table cell: lists joined by '+', mappings as JSON."""
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value

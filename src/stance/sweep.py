"""Sweeps: one run per combination of the values listed under a config's ``sweep:``.

A sweep maps dotted settings to lists of values::

    sweep:
      seed: [42, 43, 44]
      topics.hdbscan.min_cluster_size: [3, 5]

Each combination (a point) is an ordinary config with ``sweep`` empty, run by
:func:`stance.runner.run_experiment` into its own run folder, so any point re-runs
alone from its config.yaml. The sweep folder ``reports/<name>/sweeps/<UTC time>-<hash>/``
holds summary.csv and summary.json (one row per point), figures of each metric
against each swept setting and sweep_report.pdf.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import logging
import math
import types
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from stance.config import ExperimentConfig, Section, dump_config, set_dotted
from stance.errors import StanceError

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

#: Largest grid a sweep may expand to; beyond this a typo in a list costs hours.
MAX_POINTS = 200

#: Summary columns of each point's metrics, with the label figures and the report show.
METRICS = {
    "n_topics": "topics",
    "npmi_mean": "NPMI",
    "diversity_25": "diversity@25",
    "diversity_10": "diversity@10",
    "outlier_share": "outlier share",
    "stability_ari": "stability (ARI)",
    "stability_ari_topics": "stability in topics (ARI)",
    "macro_f1": "macro-F1",
}

#: Settings a point may not change: every point belongs to the same experiment folder.
_FIXED = ("name", "output_dir", "sweep")


@dataclass(frozen=True)
class SweepResult:
    """What a sweep produced: one summary row per point, and where its folder is."""

    sweep_dir: Path
    config: ExperimentConfig
    started: str
    summary: pd.DataFrame
    seed_spread: pd.DataFrame | None
    figures: dict[str, Path]
    report: Path | None


def check_sweep(cfg: ExperimentConfig) -> None:
    """Check every key and value of ``cfg.sweep`` against the schema.

    Raises:
        ValueError: for the first problem, starting with ``sweep.<key>`` (``[i]`` for a
            value) so the config loader can name its line.
    """
    settings = _setting_paths(ExperimentConfig)
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
                _apply(base, {key: value})
            except ValidationError as exc:
                raise ValueError(f"sweep.{key}[{index}]: {_problem(exc)}") from None
    n_points = math.prod(len(values) for values in cfg.sweep.values())
    if n_points > MAX_POINTS:
        sizes = " x ".join(str(len(values)) for values in cfg.sweep.values())
        raise ValueError(f"sweep: {n_points} points ({sizes}), more than {MAX_POINTS}; "
                         "shorten the value lists or split the sweep into several configs")


def expand_sweep(cfg: ExperimentConfig) -> list[tuple[dict[str, Any], ExperimentConfig]]:
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
            points.append((overrides, _apply(base, overrides)))
        except ValidationError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
            raise StanceError(f"sweep point {shown}: {_problem(exc)}") from None
    return points


def run_sweep(cfg: ExperimentConfig, *, progress: bool = True,
              use_cache: bool = True) -> SweepResult:
    """Run every point of ``cfg.sweep`` and write the sweep folder.

    Example:
        >>> sweep = run_sweep(load_config("experiments/seeds_sweep.yaml"))  # doctest: +SKIP
        >>> sweep.summary[["seed", "npmi_mean"]]  # doctest: +SKIP
    """
    from stance.outputs import new_output_dir, point_latest, require_output_dir, write_json
    from stance.runner import run_experiment

    started = datetime.now(UTC)
    points = expand_sweep(cfg)
    experiment_dir = cfg.output_dir / cfg.name
    require_output_dir(experiment_dir)
    sweep_dir = new_output_dir(experiment_dir / "sweeps", started, cfg.digest())
    (sweep_dir / "config.yaml").write_text(dump_config(cfg), encoding="utf-8")
    records = []
    for number, (overrides, point) in enumerate(points, start=1):
        log.info("sweep point %d/%d: %s", number, len(points), overrides)
        run = run_experiment(point, progress=progress, use_cache=use_cache)
        records.append({"point": number, "overrides": overrides,
                        "run": str(run.run_dir.relative_to(experiment_dir)),
                        "metrics": point_metrics(run.metrics, run.run_dir)})
        # Rewritten after every point, so a sweep that stops keeps what it finished.
        summary = summary_table(records, list(cfg.sweep))
        summary.to_csv(sweep_dir / "summary.csv", index=False)
    spread = seed_spread(summary, list(cfg.sweep))
    write_json(sweep_dir / "summary.json", {
        "experiment": cfg.name, "started": started.isoformat(timespec="seconds"),
        "config_sha256": cfg.digest(), "parameters": cfg.sweep,
        "points": [{**r, "metrics": {k: None if math.isnan(v) else v  # JSON has no NaN
                                     for k, v in r["metrics"].items()}} for r in records],
        "seed_spread": None if spread is None else json.loads(spread.to_json(orient="records")),
    })
    if spread is not None:
        spread.to_csv(sweep_dir / "seed_spread.csv", index=False)
    figures = _save_figures(summary, list(cfg.sweep), sweep_dir / "figures")
    result = SweepResult(sweep_dir, cfg, started.isoformat(timespec="seconds"), summary,
                         spread, figures, None)
    if cfg.report.enabled:
        from stance.report_sweep import write_sweep_report

        report = write_sweep_report(result, sweep_dir / "sweep_report.pdf")
        result = dataclasses.replace(result, report=report)
    point_latest(experiment_dir / "sweeps", sweep_dir)
    return result


def point_metrics(metrics: dict[str, Any], run_dir: Path) -> dict[str, float]:
    """The summary metrics of one run (NaN for what it did not measure).

    Args:
        metrics: the run's topic metrics (metrics.json; empty when topics were off).
        run_dir: its folder, whose framing_metrics.json gives macro-F1 when framing ran.
    """
    framing_file = run_dir / "framing_metrics.json"
    framing = json.loads(framing_file.read_text()) if framing_file.is_file() else {}
    values = {
        "n_topics": metrics.get("n_topics"),
        "npmi_mean": metrics.get("npmi_mean"),
        "diversity_25": metrics.get("diversity_25"),
        "diversity_10": metrics.get("diversity_10"),
        "outlier_share": metrics.get("outlier_share"),
        "stability_ari": (metrics.get("stability") or {}).get("ari_mean"),
        "stability_ari_topics": (metrics.get("stability") or {}).get("ari_topics_mean"),
        "macro_f1": (framing.get("grouped") or {}).get("macro_f1"),
    }
    return {name: math.nan if value is None else float(value) for name, value in values.items()}


def summary_table(records: list[dict[str, Any]], parameters: list[str]) -> pd.DataFrame:
    """One row per point: its number, the swept values, the metrics and its run folder."""
    import pandas as pd

    rows = [{"point": r["point"],
             **{key: value_label(r["overrides"][key]) for key in parameters},
             **r["metrics"], "run": r["run"]} for r in records]
    return pd.DataFrame(rows, columns=["point", *parameters, *METRICS, "run"])


def seed_spread(summary: pd.DataFrame, parameters: list[str]) -> pd.DataFrame | None:
    """Mean, sd, min and max of each metric across seeds, per setting of the other parameters.

    Returns None unless ``seed`` is swept. The seed-to-seed sd is the stability evidence:
    a difference between settings smaller than it is noise.
    """
    import pandas as pd

    if "seed" not in parameters:
        return None
    others = [p for p in parameters if p != "seed"]
    rows = []
    groups = summary.groupby(others, sort=False, dropna=False) if others else [((), summary)]
    for setting, group in groups:
        setting = setting if isinstance(setting, tuple) else (setting,)
        for metric in METRICS:
            values = group[metric].dropna()
            if values.empty:
                continue
            rows.append({**dict(zip(others, setting, strict=True)), "metric": metric,
                         "seeds": len(values), "mean": values.mean(),
                         "sd": values.std(ddof=1) if len(values) > 1 else math.nan,
                         "min": values.min(), "max": values.max()})
    return pd.DataFrame(rows, columns=[*others, "metric", "seeds", "mean", "sd", "min", "max"])


def value_label(value: Any) -> Any:
    """A swept value as one table cell: lists joined by '+', mappings as JSON."""
    if isinstance(value, list | tuple):
        return "+".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


def _setting_paths(model: type[Section], prefix: str = "") -> list[str]:
    """Dotted names of every setting and section below ``model``."""
    paths = []
    for name, field in model.model_fields.items():
        paths.append(prefix + name)
        section = _section_of(field.annotation)
        if section is not None:
            paths += _setting_paths(section, f"{prefix}{name}.")
    return paths


def _section_of(annotation: Any) -> type[Section] | None:
    """The section a field holds directly or as ``Section | None`` (not inside a list)."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [a for a in typing.get_args(annotation) if _section_of(a) is not None]
        return found[0] if found else None
    return None


def _apply(base: dict[str, Any], overrides: dict[str, Any]) -> ExperimentConfig:
    """Validate ``base`` (a resolved dump) with ``overrides`` set and no sweep."""
    return ExperimentConfig.model_validate(set_dotted({**base, "sweep": {}}, overrides))


def _problem(exc: ValidationError) -> str:
    """One line for the errors of one applied value (a union type gives one per member)."""
    errors = exc.errors()
    messages = [e["msg"].removeprefix("Value error, ") for e in errors]
    text = "; or ".join(dict.fromkeys(msg[:1].lower() + msg[1:] for msg in messages))
    found = errors[0].get("input")
    if errors[0]["loc"] and not isinstance(found, dict | list):
        text += f" (found {found!r})"
    return text


def _save_figures(summary: pd.DataFrame, parameters: list[str], folder: Path) -> dict[str, Path]:
    """One figure per swept setting: a panel per metric that some point measured."""
    from stance.figure_files import save_figure
    from stance.plots_sweep import plot_metrics_against

    measured = {k: v for k, v in METRICS.items() if summary[k].notna().any()}
    if not measured:
        return {}
    saved = {}
    for parameter in parameters:
        name = "metrics_vs_" + parameter.replace(".", "_")
        saved[parameter] = save_figure(plot_metrics_against(summary, parameter, measured),
                                       folder / name)
    return saved

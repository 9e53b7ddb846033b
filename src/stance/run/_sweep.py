"""Sweeps: one run per combination of the values listed under a config's ``sweep:``.

A sweep maps dotted settings to lists of values::

    sweep:
      seed: [42, 43, 44]
      topics.hdbscan.min_cluster_size: [3, 5]

Each combination (a point) is an ordinary config with ``sweep`` empty, run by
:func:`stance.run.run_experiment` into its own run folder, so any point re-runs
alone from its config.yaml. The sweep folder ``reports/<name>/sweeps/<UTC time>-<hash>/``
holds summary.csv and summary.json (one row per point), figures of each metric
against each swept setting and sweep_report.pdf.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stance.config import ExperimentConfig, dump_config, expand_sweep, value_label
from stance.data import SWEEP_METRICS, SweepResult
from stance.run._flow import run_experiment
from stance.run._folder import new_output_dir, point_latest, require_output_dir
from stance.run._outputs import CONFIG, write_json

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)


def run_sweep(cfg: ExperimentConfig, *, progress: bool = True,
              use_cache: bool = True) -> SweepResult:
    """Run every point of ``cfg.sweep`` and write the sweep folder.

    Example:
        >>> sweep = run_sweep(load_config("experiments/seeds_sweep.yaml"))  # doctest: +SKIP
        >>> sweep.summary[["seed", "npmi_mean"]]  # doctest: +SKIP
    """
    started = datetime.now(UTC)
    points = expand_sweep(cfg)
    experiment_dir = cfg.output_dir / cfg.name
    require_output_dir(experiment_dir)
    sweep_dir = new_output_dir(experiment_dir / "sweeps", started, cfg.digest())
    (sweep_dir / CONFIG).write_text(dump_config(cfg), encoding="utf-8")
    records = []
    for number, (overrides, point) in enumerate(points, start=1):
        log.info("sweep point %d/%d: %s", number, len(points), overrides)
        run = run_experiment(point, progress=progress, use_cache=use_cache)
        records.append({"point": number, "overrides": overrides,
                        "run": str(run.run_dir.relative_to(experiment_dir)),
                        "metrics": point_metrics(run.metrics, run.framing and run.framing.metrics)})
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
        from stance.report import write_sweep_report

        report = write_sweep_report(result, sweep_dir / "sweep_report.pdf")
        result = dataclasses.replace(result, report=report)
    point_latest(experiment_dir / "sweeps", sweep_dir)
    return result


def point_metrics(metrics: Mapping[str, Any],
                  framing: Mapping[str, Any] | None) -> dict[str, float]:
    """The summary metrics of one run (NaN for what it did not measure).

    Args:
        metrics: the run's topic metrics (metrics.json; empty when topics were off).
        framing: its framing metrics (framing_metrics.json), or None when framing did not run.
    """
    framing = framing or {}
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
    return pd.DataFrame(rows, columns=["point", *parameters, *SWEEP_METRICS, "run"])


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
        for metric in SWEEP_METRICS:
            values = group[metric].dropna()
            if values.empty:
                continue
            rows.append({**dict(zip(others, setting, strict=True)), "metric": metric,
                         "seeds": len(values), "mean": values.mean(),
                         "sd": values.std(ddof=1) if len(values) > 1 else math.nan,
                         "min": values.min(), "max": values.max()})
    return pd.DataFrame(rows, columns=[*others, "metric", "seeds", "mean", "sd", "min", "max"])


def _save_figures(summary: pd.DataFrame, parameters: list[str], folder: Path) -> dict[str, Path]:
    """One figure per swept setting: a panel per metric that some point measured."""
    from stance.report import plot_metrics_against, save_figure

    measured = {k: v for k, v in SWEEP_METRICS.items() if summary[k].notna().any()}
    if not measured:
        return {}
    saved = {}
    for parameter in parameters:
        name = "metrics_vs_" + parameter.replace(".", "_")
        saved[parameter] = save_figure(plot_metrics_against(summary, parameter, measured),
                                       folder / name)
    return saved

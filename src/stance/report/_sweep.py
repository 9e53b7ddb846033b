"""sweep_report.pdf: a sweep's points, its figures and the seed-to-seed spread, via Typst."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from stance.config import value_label
from stance.data import SWEEP_METRICS
from stance.report import _markup as m

if TYPE_CHECKING:
    from stance.data import SweepResult

def render_sweep_markup(sweep: SweepResult) -> str:
    """The whole sweep report as Typst markup."""
    cfg = sweep.config
    title = f"stance sweep: {cfg.name}"
    parts = [m.preamble(title, margin="1.8cm"),
             f"#align(center)[#text(size: 20pt, weight: \"bold\")[{m.text(title)}]"
             f"#v(0.4cm)#text(size: 11pt)[{m.text(cfg.description)}]]\n#v(0.8cm)\n",
             _overview(sweep), _points(sweep), _figures(sweep), _spread(sweep), _rerun(sweep)]
    return "\n".join(part for part in parts if part)


def write_sweep_report(sweep: SweepResult, pdf_path: Path) -> Path:
    """Compile the sweep report to ``pdf_path``; the .typ source stays beside it."""
    import typst

    source = pdf_path.with_suffix(".typ")
    source.write_text(render_sweep_markup(sweep), encoding="utf-8")
    # Bundled fonts and the sweep's start as timestamp, as for run reports: reproducible bytes.
    typst.compile(str(source), output=str(pdf_path), root=str(sweep.sweep_dir),
                  ignore_system_fonts=True,
                  timestamp=int(datetime.fromisoformat(sweep.started).timestamp()))
    return pdf_path


def _overview(sweep: SweepResult) -> str:
    cfg = sweep.config
    info = pd.DataFrame({"": ["experiment", "sweep", "started", "config sha256", "points"],
                         " ": [cfg.name, sweep.sweep_dir.name, sweep.started,
                               cfg.digest()[:16], str(len(sweep.summary))]})
    values = pd.DataFrame({"setting": list(cfg.sweep),
                           "values": [", ".join(str(value_label(v)) for v in values)
                                      for values in cfg.sweep.values()]})
    return (m.table(info, align=["left", "left"], size="10pt")
            + m.heading("Swept settings")
            + m.paragraph(m.text(
                "Every combination of these values ran as its own experiment, with every other "
                "setting as in the config (config.yaml in the sweep folder)."))
            + m.table(values, align=["left", "left"], caption="Settings and their values."))


def _points(sweep: SweepResult) -> str:
    parameters = list(sweep.config.sweep)
    metrics = [c for c in SWEEP_METRICS if sweep.summary[c].notna().any()]
    table = sweep.summary[["point", *parameters, *metrics]].rename(
        columns={**_short_names(parameters), **SWEEP_METRICS})
    runs = sweep.summary[["point", "run"]]
    missing = [SWEEP_METRICS[c] for c in SWEEP_METRICS if c not in metrics]
    note = (f" Not measured by any point: {', '.join(missing)}." if missing else "")
    return (m.heading("Points")
            + m.paragraph(m.text(
                "One row per point (summary.csv). NPMI: mean coherence of each topic's terms; "
                "diversity@k: share of distinct terms among the topics' top k; outlier share: "
                "segments in no topic; stability: mean adjusted Rand index between fits "
                "with other seeds; macro-F1: framing with outlets held out." + note))
            + m.table(table, size="8pt", caption="Metrics of each point.")
            + m.table(runs, align=["right", "left"], size="8pt",
                      caption="Each point's run folder, under "
                              f"{sweep.config.output_dir.name}/{sweep.config.name}/; its "
                              "report.pdf has the details."))


def _figures(sweep: SweepResult) -> str:
    if not sweep.figures:
        return ""
    out = m.heading("Metrics against each setting")
    for parameter, path in sweep.figures.items():
        out += m.image(str(path.relative_to(sweep.sweep_dir)), (
            f"Each metric against {parameter}: one dot per point, the line joins the means "
            "over the other swept settings."), width="100%")
    return out


def _spread(sweep: SweepResult) -> str:
    spread = sweep.seed_spread
    if spread is None or spread.empty:
        return ""
    seeds = ", ".join(str(s) for s in sweep.config.sweep["seed"])
    others = [p for p in sweep.config.sweep if p != "seed"]
    out = m.heading("Seed-to-seed spread")
    out += m.paragraph(m.text(
        f"Each setting ran with seeds {seeds}; the seed drives every random step (UMAP, the "
        "stability refits, the classifier, the bootstraps). The standard deviation across "
        "seeds is the stability evidence: a difference between settings smaller than it is "
        "noise, not a finding."))
    if others:
        out += m.bullets(m.text(line) for line in _compare_to_noise(spread))
    table = spread.assign(metric=spread["metric"].map(SWEEP_METRICS)).rename(
        columns=_short_names(others))
    align = ["left"] * (len(others) + 1) + ["right"] * 5
    return out + m.table(table, align=align, size="8pt",
                         caption="Mean, standard deviation, minimum and maximum of each metric "
                                 "across seeds (seed_spread.csv).")


def _compare_to_noise(spread: pd.DataFrame) -> list[str]:
    """Per metric: how far the settings' seed means lie apart, against the seeds' own sd."""
    lines = []
    for metric, rows in spread.groupby("metric", sort=False):
        if len(rows) < 2 or rows["sd"].isna().all():
            continue
        gap, noise = rows["mean"].max() - rows["mean"].min(), rows["sd"].mean()
        verdict = "larger than" if gap > noise else "within"
        lines.append(f"{SWEEP_METRICS[metric]}: the settings' means differ by up to {gap:.3g}, "
                     f"{verdict} the seed-to-seed sd ({noise:.3g} on average).")
    return lines


def _rerun(sweep: SweepResult) -> str:
    return (m.heading("Re-running a point")
            + m.paragraph(m.text(
                "Each run folder's config.yaml is that point alone, without the sweep: "
                "stance run reports/<experiment>/runs/<run>/config.yaml repeats it.")))


def _short_names(parameters: list[str]) -> dict[str, str]:
    """Dotted settings shortened to their last part where that stays unambiguous."""
    last = [p.rsplit(".", 1)[-1] for p in parameters]
    return {p: (s if last.count(s) == 1 else p) for p, s in zip(parameters, last, strict=True)}

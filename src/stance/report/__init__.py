"""The run's report: figures (``plot_*(data) -> Figure``), figure files, and the Typst PDF.

Plot functions take result tables and return a matplotlib Figure; they never write files.
:func:`save_figure` writes one as SVG and PNG, :func:`write_report` compiles report.pdf.
"""

from stance.report._document import render_markup, write_report
from stance.report._figure_files import save_figure
from stance.report._figures import run_figures, topic_labels
from stance.report._plots import (
    plot_prevalence_heatmap,
    plot_segments_per_outlet,
    plot_topic_map,
    plot_topic_sizes,
    plot_topic_terms,
    plot_topics_over_time,
    verbatim,
)
from stance.report._plots_framing import (
    plot_actor_naming,
    plot_confusion_matrix,
    plot_framing_by_outlet,
    plot_framing_shares,
    plot_ranked_terms,
    plot_reliability,
)
from stance.report._plots_stance import plot_actor_stance, plot_actor_stance_over_time
from stance.report._plots_sweep import plot_metrics_against
from stance.report._sweep import write_sweep_report

__all__ = [
    "plot_actor_naming", "plot_actor_stance", "plot_actor_stance_over_time",
    "plot_confusion_matrix", "plot_framing_by_outlet", "plot_framing_shares",
    "plot_metrics_against", "plot_prevalence_heatmap", "plot_ranked_terms", "plot_reliability",
    "plot_segments_per_outlet", "plot_topic_map", "plot_topic_sizes", "plot_topic_terms",
    "plot_topics_over_time", "render_markup", "run_figures", "save_figure", "topic_labels",
    "verbatim", "write_report", "write_sweep_report",
]

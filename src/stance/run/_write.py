"""Writing a run's results into its folder: tables, models, figures and the manifest."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from stance.config import ExperimentConfig, dump_config
from stance.data import ActorStance, CleanedCorpus, FramingResult, RunResult, Segments
from stance.run import _outputs as files
from stance.run._framing_store import store_model
from stance.run._stages import Stages
from stance.run._topic_store import store_topic_model


def write_inputs(cfg: ExperimentConfig, cleaned: CleanedCorpus, segments: Segments,
                 folder: Path) -> None:
    """What a run starts from: its resolved config, the cleaned corpus and the segments."""
    (folder / files.CONFIG).write_text(dump_config(cfg), encoding="utf-8")
    files.write_cleaned(cleaned, folder)
    files.write_segments(segments, folder)


def write_outputs(result: RunResult, embedder) -> RunResult:
    """Write every table and the topic model of ``result``; return it with that model as saved.

    ``embedder`` is the embedding model a topic model records, for reloading it.
    """
    folder = result.run_dir
    topics, framing = result.topics, result.framing
    if topics is not None:
        topics.topics.to_csv(folder / files.TOPICS, index=False)
        topics.terms.to_csv(folder / files.TOPIC_TERMS, index=False)
        files.write_rows(topics.assignments, folder / files.ASSIGNMENTS)
        files.write_rows(result.topic_map, folder / files.TOPIC_MAP)
        result.prevalence.to_csv(folder / files.PREVALENCE, index=False)
        result.over_time.to_csv(folder / files.OVER_TIME, index=False)
        files.write_json(folder / files.METRICS, dict(result.metrics))
        saved = store_topic_model(topics.model, folder / files.TOPIC_MODEL, embedder.info.path)
        topics = dataclasses.replace(topics, model=saved)
    if framing is not None:
        files.write_json(folder / files.FRAMING_METRICS, framing.metrics)
        files.write_rows(framing.predictions, folder / files.PREDICTIONS)
        framing.top_features.to_csv(folder / files.TOP_FEATURES, index=False)
        if framing.learned_cues is not None:
            framing.learned_cues.to_csv(folder / files.LEARNED_CUES, index=False)
        if framing.by_outlet is not None:
            framing.by_outlet.to_csv(folder / files.FRAMING_OUTLETS, index=False)
    if result.actors is not None:
        result.actors.mentions.to_csv(folder / files.ACTOR_MENTIONS, index=False)
        result.actors.naming.to_csv(folder / files.ACTORS, index=False)
    if result.actor_stance is not None:
        write_actor_stance(result.actor_stance, folder)
    if result.distinctive_terms is not None:
        result.distinctive_terms.to_csv(folder / files.DISTINCTIVE_TERMS, index=False)
    return dataclasses.replace(result, topics=topics)


def write_framing_model(framing: FramingResult, cfg: ExperimentConfig, corpus_sha256: str,
                        folder: Path) -> FramingResult:
    """Save the framing model into the run folder (before the corpus is predicted with it)."""
    metadata = {"experiment": cfg.name, "label": cfg.framing.label,
                "config_sha256": cfg.digest(), "corpus_sha256": corpus_sha256}
    return dataclasses.replace(framing,
                               model=store_model(framing.model, folder, metadata=metadata))


def write_actor_stance(stance: ActorStance, folder: Path) -> None:
    """The shares per outlet and over time, the evaluation and the labelled mentions.

    actor_stance.csv, every mention, is written by its own stage.
    """
    stance.by_outlet.to_csv(folder / files.ACTOR_STANCE_OUTLETS, index=False)
    over_time = stance.over_time.assign(period_unit=stance.over_time.attrs.get("period"))
    over_time.to_csv(folder / files.ACTOR_STANCE_TIME, index=False)
    files.write_json(folder / files.ACTOR_STANCE_EVALUATION, dict(stance.evaluation))
    if stance.labelled is not None:
        stance.labelled.to_csv(folder / files.ACTOR_STANCE_LABELS, index=False)


def draw_figures(result: RunResult) -> dict[str, Path]:
    """Draw every figure of the run as SVG and PNG in its figures folder; name -> SVG."""
    from stance.report import run_figures, save_figure

    folder = result.run_dir / files.FIGURES
    return {name: save_figure(draw(), folder / name)
            for name, draw in run_figures(result).items()}


def write_run_end(result: RunResult, stages: Stages) -> RunResult:
    """Write manifest.json: the run's provenance, each stage's record, the run's wall time.

    Returns:
        ``result`` with that manifest.
    """
    wall = time.perf_counter() - stages.started
    manifest = {**result.manifest, "stages": stages.records, "wall_seconds": round(wall, 3)}
    files.write_json(result.run_dir / files.MANIFEST, manifest)
    return dataclasses.replace(result, manifest=manifest)

"""run_experiment: the stages in order, each output reused from the stage cache when unchanged."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.analysis import (
    actor_stance_over_time,
    class_shares,
    distinctive_terms,
    name_actors,
    tabulate_actor_stance,
    topic_prevalence,
    topics_over_time,
)
from stance.compute import cluster_facts, open_cluster
from stance.config import ExperimentConfig
from stance.corpus import (
    load_lexicon,
    prepare_corpus,
    require_corpus_path,
    segment_corpus,
)
from stance.data import (
    ActorNaming,
    ActorStance,
    CleanedCorpus,
    Embeddings,
    FramingResult,
    RunResult,
    Segments,
    TopicResult,
)
from stance.errors import StanceError
from stance.progress import progress_enabled
from stance.run import _keys as keys
from stance.run._actor_stance_rows import write_actor_stance_rows
from stance.run._cache import StageCache
from stance.run._folder import marked_if_failed, new_output_dir, point_latest, require_output_dir
from stance.run._framing_corpus import predict_corpus_framing
from stance.run._manifest import build_manifest
from stance.run._on_workers import OnWorkers
from stance.run._stages import Stages
from stance.run._stores import (
    ACTOR_STANCE_STORE,
    CORPUS_STORE,
    MAP_STORE,
    SEGMENTS_STORE,
    TRUNCATION_STORE,
    framing_store,
    topics_store,
)
from stance.run._write import (
    draw_figures,
    write_framing_model,
    write_inputs,
    write_outputs,
    write_run_end,
)

log = logging.getLogger(__name__)


def run_experiment(cfg: ExperimentConfig, *, progress: bool = True,
                   use_cache: bool = True) -> RunResult:
    """Run every stage of ``cfg`` and write its run folder.

    Problems the corpus alone shows (a label column missing, one class, a class with too
    few documents) stop the run before any model is loaded, and before its folder exists.

    Example:
        >>> result = run_experiment(load_config("experiments/seeds.yaml"))  # doctest: +SKIP
        >>> (result.run_dir / "report.pdf").exists()
        True
    """
    if cfg.sweep:  # one run would silently stand for the whole grid
        raise StanceError(f"experiment '{cfg.name}' has a sweep: section; run it with "
                          "stance.run.run_sweep (stance run does) or remove the section")
    require_corpus_path(cfg.corpus.path)  # before any stage starts or any folder is made
    experiment_dir = cfg.output_dir / cfg.name
    require_output_dir(experiment_dir)
    started = datetime.now(UTC)
    stages = Stages(StageCache(experiment_dir / "cache", enabled=use_cache))
    # an unreachable scheduler stops the run here, before its folder exists
    with progress_enabled(progress), open_cluster(cfg.compute) as client:
        (cleaned, corpus_sha256), segments, segments_key = _prepare(cfg, stages, client)
        units = None
        if cfg.framing_runs:  # label problems stop the run here, before any model loads
            from stance.framing import labelled_units

            units = stages.run("units", labelled_units, cleaned.corpus, segments, cfg.framing,
                               source=cfg.corpus.path)
        naming = _actor_naming(cfg, segments, stages)  # so are actors and stance labels
        run_dir = new_output_dir(experiment_dir / "runs", started, cfg.digest())
        with marked_if_failed(run_dir):
            result = _run_stages(cfg, run_dir, client, stages, cleaned, corpus_sha256,
                                 segments, segments_key, units, naming, started)
    point_latest(experiment_dir, run_dir)
    return result


def _run_stages(cfg: ExperimentConfig, run_dir: Path, client, stages: Stages,
                cleaned: CleanedCorpus, corpus_sha256: str, segments: Segments,
                segments_key: str, units, naming: ActorNaming | None,
                started: datetime) -> RunResult:
    """The stages from embedding on, writing every output into ``run_dir``."""
    write_inputs(cfg, cleaned, segments, run_dir)
    embedder = _embedder(cfg)
    embedding = embeddings = None
    if cfg.topics.enabled:
        embeddings, embedding = _embed(cfg, segments, embedder, stages, segments_key,
                                       client)
    elif embedder is not None:
        embedding = embedder.describe()
    on_workers = None if client is None else OnWorkers(
        client, run_dir, embedder and embedder.cfg.model_dump_json(), embedding_cache_dir(cfg))
    topics, topic_map, metrics = _topic_stages(cfg, segments, embeddings, embedder,
                                               embedding, stages, segments_key,
                                               _dates(cleaned), on_workers)
    prevalence = over_time = None
    if topics is not None:
        prevalence = stages.run("prevalence", topic_prevalence, topics.assignments,
                                segments, cfg.analysis, seed=cfg.seed)
        over_time = stages.run("over_time", topics_over_time, topics.assignments,
                               segments, cleaned.corpus, cfg.analysis)
    framing = None
    if units is not None:
        framing = _framing_stage(cfg, units, cleaned, embedding, stages, segments_key)
        framing = write_framing_model(framing, cfg, corpus_sha256, run_dir)
        framing = _framing_over_corpus(cfg, framing, run_dir, stages, client)
    actor_stance = None
    if cfg.actor_stance_runs:
        actor_stance = _actor_stance_stages(cfg, naming, segments, cleaned, stages,
                                            segments_key, run_dir, client)
    actors = naming if cfg.framing.enabled is not False else None
    distinct = _distinctive_stage(cfg, cleaned, segments, stages, on_workers)
    manifest = build_manifest(cfg, corpus_sha256, started, embedding,
                              topics.params if topics is not None else None,
                              cluster_facts(client))
    result = RunResult(run_dir, cfg, cleaned, segments, manifest, embeddings=embeddings,
                       topics=topics, topic_map=topic_map, metrics=metrics,
                       prevalence=prevalence, over_time=over_time, framing=framing,
                       actors=actors, actor_stance=actor_stance,
                       distinctive_terms=distinct)
    result = write_outputs(result, embedder)
    result = dataclasses.replace(
        result, figures=stages.run("figures", draw_figures, result))
    if cfg.report.enabled:
        from stance.report import write_report

        stages.run("report", write_report, result, run_dir / "report.pdf")
    return write_run_end(result, stages)


def embed_experiment(cfg: ExperimentConfig, *, progress: bool = True,
                     use_cache: bool = True) -> tuple[Embeddings, dict[str, Any]]:
    """Run the stages up to embedding only (``stance embed``), filling the embedding cache."""
    require_output_dir(cfg.output_dir / cfg.name)
    stages = Stages(StageCache(cfg.output_dir / cfg.name / "cache", enabled=use_cache))
    with progress_enabled(progress), open_cluster(cfg.compute) as client:
        _, segments, segments_key = _prepare(cfg, stages, client)
        embedder = _embedder(cfg) or _load_embedder(cfg)
        embeddings, embedding = _embed(cfg, segments, embedder, stages, segments_key, client)
    return embeddings, {**embedding, "segments": len(segments),
                        "texts_encoded": embedder.texts_encoded,
                        "cache_dir": str(embedding_cache_dir(cfg)), "stages": stages.records}


def embedding_cache_dir(cfg: ExperimentConfig) -> Path | str:
    """The embedding cache, a folder or an fsspec URL, shared by the output folder's runs."""
    return cfg.embedding.cache_dir or cfg.output_dir / ".cache" / "embeddings"


def segment_tokenizer(cfg: ExperimentConfig):
    """The embedding model's tokenizer that segmentation splits long segments by, or None."""
    limit = cfg.segmentation.max_tokens
    if limit is None:
        return None
    from stance.embed import load_tokenizer

    return load_tokenizer(cfg.embedding, None if limit == "auto" else limit)


def _prepare(cfg: ExperimentConfig, stages: Stages,
             client=None) -> tuple[tuple[CleanedCorpus, str], Segments, str]:
    """The corpus and segment stages; returns the corpus and its sha256, the segments, their key."""
    corpus_key = keys.corpus_key(cfg)
    other_inputs = [p for p in (cfg.framing.segment_labels, cfg.actor_stance.labels) if p]
    prepared = stages.run("corpus", prepare_corpus, cfg.corpus, cfg.cleaning, cfg.dedup,
                          seed=cfg.seed, other_inputs=other_inputs, client=client,
                          key=corpus_key, store=CORPUS_STORE)
    tokenizer = segment_tokenizer(cfg)
    segments_key = keys.segments_key(corpus_key, cfg, tokenizer and tokenizer.identity())
    segments = stages.run("segment", segment_corpus, prepared[0].corpus, cfg.segmentation,
                          tokenizer=tokenizer, client=client, key=segments_key,
                          store=SEGMENTS_STORE)
    return prepared, segments, segments_key


def _embedder(cfg: ExperimentConfig):
    """The embedding model (loaded on first encode) when a stage embeds, else None."""
    framing_embeds = cfg.framing_runs and "embeddings" in cfg.framing.features
    return _load_embedder(cfg) if cfg.topics.enabled or framing_embeds else None


def _load_embedder(cfg: ExperimentConfig):
    """The embedder, with the run's embedding cache (a static model is distilled beside it)."""
    from stance.embed import load_embedder

    return load_embedder(cfg.embedding.model_copy(update={"cache_dir": embedding_cache_dir(cfg)}))


def _embed(cfg: ExperimentConfig, segments: Segments, embedder, stages: Stages,
           segments_key: str, client=None) -> tuple[Embeddings, dict[str, Any]]:
    """The segments' vectors, and the model's description with how many segments it cut.

    With a Dask ``client`` the segments not in the cache are encoded on its workers.
    """
    from stance.embed import count_truncated, embed_segments

    embeddings = stages.run("embed", embed_segments, segments, embedder,
                            embedding_cache_dir(cfg), client=client,
                            partition_size=cfg.compute.partition_size)
    stages.note("embed", texts_encoded=embedder.texts_encoded,
                cached=embedder.texts_encoded == 0)
    # tokenising up to 20,000 segments takes seconds: cached with the segments and model
    cut = stages.run("truncation", count_truncated, segments.table["text"].tolist(), embedder,
                     seed=cfg.seed, store=TRUNCATION_STORE,
                     key=keys.truncation_key(segments_key, embedder.cache_key(), cfg.seed))
    vectors = np.ascontiguousarray(embeddings.vectors, dtype=np.float32)
    return embeddings, {**embedder.describe(), "dimension": vectors.shape[1],
                        "vectors_sha256": hashlib.sha256(vectors.data).hexdigest(),
                        "texts_encoded_this_run": embedder.texts_encoded, "segments_cut": cut}


def _dates(cleaned: CleanedCorpus) -> pd.Series:
    """Each document's date, by doc_id."""
    return cleaned.corpus.documents.set_index("doc_id")["date"]


def _topic_stages(cfg: ExperimentConfig, segments: Segments, embeddings: Embeddings | None,
                  embedder, embedding: dict[str, Any] | None, stages: Stages,
                  segments_key: str, dates: pd.Series, on_workers: OnWorkers | None = None
                  ) -> tuple[TopicResult | None, pd.DataFrame | None, dict]:
    """Topics (with their stability refits), the 2-D map and the topics' quality.

    With a cluster (``on_workers``) the fit and the map's layout run on a worker.
    """
    if embeddings is None:
        return None, None, {}
    from stance.embed import CachedEncoder
    from stance.topics import fit_topics, map_coordinates, topic_metrics

    model_key, vectors_sha256 = embedder.cache_key(), embedding["vectors_sha256"]
    fit = dict(store=topics_store(embedder.info.path), seed=cfg.seed, dates=dates,
               key=keys.topics_key(segments_key, model_key, vectors_sha256, cfg))
    layout = dict(store=MAP_STORE, seed=cfg.seed,
                  key=keys.map_key(segments_key, model_key, vectors_sha256, cfg.seed))
    if on_workers is None:
        encoder = CachedEncoder(embedder, embedding_cache_dir(cfg))
        topics = stages.run("topics", fit_topics, segments, embeddings, cfg.topics,
                            encoder=encoder, **fit)
        coords = stages.run("map", map_coordinates, embeddings, **layout)
    else:
        topics = stages.run("topics", on_workers.topics, cfg.topics, **fit)
        coords = stages.run("map", on_workers.map_coordinates, **layout)
    topic_map = topics.assignments[["seg_id", "topic", "probability"]].assign(
        x=coords[:, 0], y=coords[:, 1])
    metrics = stages.run("quality", topic_metrics, topics, segments, cfg.topics)
    return topics, topic_map, metrics


def _framing_stage(cfg: ExperimentConfig, units, cleaned: CleanedCorpus,
                   embedding: dict[str, Any] | None, stages: Stages, segments_key: str):
    """Classify framing, evaluated with outlets held out.

    Skipped when its inputs are unchanged (see :func:`stance.run._keys.framing_key`): with
    SetFit the stage fine-tunes the embedding model once per fold, minutes on two cores.
    """
    from stance.framing import evaluate_framing

    outlets = sorted(cleaned.corpus.documents["outlet"].astype(str).unique())
    return stages.run("framing", evaluate_framing, units, cfg.framing, seed=cfg.seed,
                      outlet_names=outlets, embedding=cfg.embedding,
                      cache_dir=embedding_cache_dir(cfg), segmentation=cfg.segmentation,
                      store=framing_store(),
                      key=keys.framing_key(cfg, segments_key, embedding))


def _framing_over_corpus(cfg: ExperimentConfig, framing: FramingResult, run_dir: Path,
                         stages: Stages, client=None) -> FramingResult:
    """The saved model's labels for every unit of the corpus, as shares per outlet.

    The rows are written into the run folder part by part (on the workers with a cluster);
    the shares come from their counts per document.
    """
    classes = framing.metrics["classes"]
    counts = stages.run("framing_corpus", predict_corpus_framing, framing.model, run_dir,
                        cfg.framing.level, classes, client=client)
    by_outlet = stages.run("framing_outlets", class_shares, counts, classes, cfg.analysis,
                           by=["outlet"], seed=cfg.seed, unit=f"{cfg.framing.level}s")
    return dataclasses.replace(framing, by_outlet=by_outlet)


def _actor_naming(cfg: ExperimentConfig, segments: Segments,
                  stages: Stages) -> ActorNaming | None:
    """Every actor mention and how each outlet names each actor (None when none is named).

    Runs before any model loads: an alias clash, a stance actor the corpus never mentions
    or a bad labels file stops the run here, before its folder exists.
    """
    if not cfg.actors or (cfg.framing.enabled is False and not cfg.actor_stance_runs):
        return None
    naming = stages.run("actors", name_actors, segments, cfg.actors,
                        load_lexicon(cfg.framing.lexicon))
    if cfg.actor_stance_runs:
        from stance.sentiment import check_stance_inputs

        check_stance_inputs(naming.mentions, cfg.stance_actors, cfg.actor_stance)
    return naming


def _actor_stance_stages(cfg: ExperimentConfig, naming: ActorNaming, segments: Segments,
                         cleaned: CleanedCorpus, stages: Stages, segments_key: str,
                         run_dir: Path, client=None) -> ActorStance:
    """The stance toward each mention, its rows written, then its shares per outlet and time.

    With a Dask ``client`` the mentions are predicted, and their rows written, on its
    workers; the driver keeps each mention as offsets into its segment, never its texts.
    """
    from stance.sentiment import measure_actor_stance, model_identity, resolve_stance_model

    cache_dir = cfg.output_dir / ".cache"  # where a fine-tuned stance model is trained into
    identity = model_identity(resolve_stance_model(cfg.actor_stance.model, cache_dir))
    dates = _dates(cleaned)
    stance = stages.run("actor_stance", measure_actor_stance, naming.mentions, segments, dates,
                        cfg.actor_stance, actors=cfg.stance_actors, cache_dir=cache_dir,
                        seed=cfg.seed, n_bootstrap=cfg.analysis.n_bootstrap,
                        client=client, partition_size=cfg.compute.partition_size,
                        store=ACTOR_STANCE_STORE,
                        key=keys.actor_stance_key(cfg, segments_key, identity))
    stages.run("actor_stance_rows", write_actor_stance_rows, stance.mentions, segments,
               run_dir, client=client)
    by_outlet = stages.run("actor_stance_outlets", tabulate_actor_stance, stance.mentions,
                           cfg.analysis, seed=cfg.seed)
    over_time = stages.run("actor_stance_time", actor_stance_over_time, stance.mentions,
                           cfg.analysis, seed=cfg.seed)
    return dataclasses.replace(stance, by_outlet=by_outlet, over_time=over_time)


def _distinctive_stage(cfg: ExperimentConfig, cleaned: CleanedCorpus, segments: Segments,
                       stages: Stages, on_workers: OnWorkers | None = None
                       ) -> pd.DataFrame | None:
    """The terms that set each outlet apart (skipped when framing is disabled).

    With a cluster (``on_workers``) they are counted on a worker.
    """
    if cfg.framing.enabled is False:
        return None
    outlets = sorted(cleaned.corpus.documents["outlet"].astype(str).unique())
    settings = dict(prior=cfg.framing.distinctive_prior, top_n=cfg.framing.top_n,
                    outlet_names=outlets)
    if on_workers is None:
        return stages.run("distinctive", distinctive_terms, segments, **settings)
    return stages.run("distinctive", on_workers.distinctive_terms, **settings)

"""run_experiment: the only place that knows the order of stages, times them and writes the run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from stance.config import ExperimentConfig, dump_config
from stance.corpus import require_corpus_path
from stance.data import CleanedCorpus, Embeddings, Segments
from stance.errors import StanceError
from stance.figure_files import save_figure
from stance.forked import ForkedChain, ForkedJobs, collector_paused, in_worker
from stance.manifest import environment, git_state
from stance.outputs import (
    FAILED_FILE,
    new_output_dir,
    point_latest,
    require_output_dir,
    write_json,
)
from stance.prepare import prepare_corpus
from stance.progress import progress_enabled
from stance.segment import segment_corpus
from stance.stagecache import StageCache, files_sha256, stage_key

if TYPE_CHECKING:
    from stance.framing import FramingResult
    from stance.topics import TopicModelResult

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RunResult:
    """Everything a run produced, and where its folder is.

    Stages that did not run (topics or framing disabled) leave their fields ``None``.
    ``framing.model`` is the run folder's saved model (``.load()`` gives the pipeline).
    """

    run_dir: Path
    config: ExperimentConfig
    corpus: CleanedCorpus
    segments: Segments
    manifest: dict[str, Any]
    figures: dict[str, Path] = field(default_factory=dict)
    embeddings: Embeddings | None = None
    topics: TopicModelResult | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    prevalence: pd.DataFrame | None = None
    over_time: pd.DataFrame | None = None
    framing: FramingResult | None = None
    actor_mentions: pd.DataFrame | None = None
    actor_naming: pd.DataFrame | None = None
    distinctive_terms: pd.DataFrame | None = None


@dataclass
class _Timer:
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, Any]]:
        # in_worker: the stage ran in a forked worker, beside this process's stages.
        # cpu_seconds: the CPU time its process got in it (every thread): a worker on idle
        # time waits for a core, which its wall seconds include
        record: dict[str, Any] = {"cached": False, "in_worker": in_worker()}
        start, cpu_start = time.perf_counter(), time.process_time()
        log.info("stage %s ...", name)
        yield record
        record["seconds"] = round(time.perf_counter() - start, 3)
        record["cpu_seconds"] = round(time.process_time() - cpu_start, 3)
        self.stages[name] = record
        log.info("stage %s done in %.2fs%s", name, record["seconds"],
                 " (cached)" if record["cached"] else "")


def run_experiment(cfg: ExperimentConfig, *, progress: bool = True,
                   use_cache: bool = True) -> RunResult:
    """Run every stage of ``cfg`` and write its run folder.

    Example:
        >>> result = run_experiment(load_config("experiments/seeds.yaml"))  # doctest: +SKIP
        >>> (result.run_dir / "report.pdf").exists()
        True
    """
    if cfg.sweep:  # one run would silently stand for the whole grid
        raise StanceError(f"experiment '{cfg.name}' has a sweep: section; run it with "
                          "stance.sweep.run_sweep (stance run does) or remove the section")
    require_corpus_path(cfg.corpus.path)  # before any stage starts or any folder is made
    experiment_dir = cfg.output_dir / cfg.name
    require_output_dir(experiment_dir)
    started, clock = datetime.now(UTC), time.perf_counter()
    timer = _Timer()
    with progress_enabled(progress):
        cache = StageCache(experiment_dir / "cache", enabled=use_cache)
        run_dir = new_output_dir(experiment_dir / "runs", started, cfg.digest())
        (cleaned, corpus_digest, segments, segments_key), outlet_side = _prepare_beside_imports(
            cfg, timer, cache, run_dir)
        # the worker has stopped once it answers (then()); closing stops it on a failure
        with _marked_if_failed(run_dir), closing(outlet_side):
            embedder = embeddings = None
            if cfg.topics.enabled:
                embedder, embeddings, cut = _embed(cfg, segments, timer, cache, segments_key)
            (run_dir / "config.yaml").write_text(dump_config(cfg), encoding="utf-8")
            manifest = _manifest(cfg, corpus_digest, started)
            result = RunResult(run_dir, cfg, cleaned, segments, manifest, embeddings=embeddings)
            if embedder is not None:
                manifest["embedding"] = {**embedder.describe(),
                                         "dimension": embeddings.vectors.shape[1],
                                         "vectors_sha256": _vectors_sha256(embeddings.vectors),
                                         "texts_encoded_this_run": embedder.texts_encoded,
                                         "segments_cut": cut}
                with _topic_stages(result, embedder, timer, cache, segments_key):
                    _framing_and_figures(result, timer, cache, segments_key)
            else:
                if cfg.framing_runs and "embeddings" in cfg.framing.features:
                    # the framing features embed the units: the model is part of the method
                    from stance.embed import load_embedder

                    manifest["embedding"] = load_embedder(cfg.embedding).describe()
                _framing_and_figures(result, timer, cache, segments_key)
            outlets, stages = outlet_side.then()
            timer.stages.update(stages)
            outlets.apply_to(result)
            if cfg.report.enabled:
                with timer.stage("report"):
                    from stance.report import write_report

                    write_report(result, run_dir / "report.pdf")
            manifest["stages"] = timer.stages
            # stages overlap (imports beside the corpus worker, which goes on with the outlet
            # stages; the refits): their sum overstates it
            manifest["wall_seconds"] = round(time.perf_counter() - clock, 3)
            write_json(run_dir / "manifest.json", manifest)
    point_latest(experiment_dir, run_dir)
    return result


@contextmanager
def _marked_if_failed(run_dir: Path) -> Iterator[None]:
    """If the block raises, say so in ``run_dir``: its outputs stop where the run did.

    The folder stays for what it holds (the corpus, segments, the stages that finished);
    ``latest`` still points at the last run that finished, and :func:`stance.load_run`
    refuses the folder, quoting this file.
    """
    try:
        yield
    except BaseException as error:
        what = "interrupted" if isinstance(error, KeyboardInterrupt) else (
            f"{type(error).__name__}: {error}")
        (run_dir / FAILED_FILE).write_text(
            f"This run did not finish ({what}). Its outputs are partial; "
            "latest still points at the last finished run.\n", encoding="utf-8")
        raise


def embed_experiment(cfg: ExperimentConfig, *, progress: bool = True,
                     use_cache: bool = True) -> tuple[Embeddings, dict[str, Any]]:
    """Run the stages up to embedding only (``stance embed``), filling the embedding cache."""
    require_output_dir(cfg.output_dir / cfg.name)
    timer = _Timer()
    with progress_enabled(progress):
        cache = StageCache(cfg.output_dir / cfg.name / "cache", enabled=use_cache)
        _, _, segments, segments_key = _prepare(cfg, timer, cache)
        embedder, embeddings, cut = _embed(cfg, segments, timer, cache, segments_key)
    return embeddings, {**embedder.describe(), "segments": len(segments),
                        "texts_encoded": embedder.texts_encoded, "segments_cut": cut,
                        "cache_dir": str(embedding_cache_dir(cfg)), "stages": timer.stages}


def embedding_cache_dir(cfg: ExperimentConfig) -> Path:
    """The embedding cache, shared by every experiment writing to the same output folder."""
    return cfg.embedding.cache_dir or cfg.output_dir / ".cache" / "embeddings"


_Prepared = tuple[CleanedCorpus, str, Segments, str]


def _prepare_beside_imports(cfg: ExperimentConfig, timer: _Timer, cache: StageCache,
                            run_dir: Path) -> tuple[_Prepared, ForkedChain]:
    """:func:`_prepare` in a forked worker while this process imports the later stages' libraries.

    Cleaning, deduplication and imports are all pure Python: on two cores they take the
    longer one's time instead of the sum (1.5-1.8 s of imports beside 1.5 s of corpus
    stages at 10,000 segments). The prepared corpus comes back pickled, 0.15 s at 50,000.
    The worker then goes on with :func:`_outlet_stages`, whose results the returned chain
    gives (``.then()``). Without a spare core the stages run here, with the same results.
    If preparing fails, ``run_dir`` (still empty) is removed.
    """
    def prepare() -> tuple[_Prepared, dict]:
        stages = _Timer()
        return _prepare(cfg, stages, cache), stages.stages

    def outlet_stages(prepared: tuple[_Prepared, dict]) -> tuple[_OutletResults, dict]:
        (cleaned, _, segments, _), _ = prepared
        stages = _Timer()
        return _outlet_stages(cfg, cleaned, segments, run_dir, stages), stages.stages

    chain = None
    try:
        with timer.stage("imports"):
            # what both processes load (deduplication's MinHash LSH there, UMAP and
            # scikit-learn here) is imported once, before the fork: 0.5 s less CPU
            import scipy.integrate  # noqa: F401
            chain = ForkedChain(prepare, outlet_stages)
            with collector_paused():
                if cfg.topics.enabled:
                    from stance.topics import import_fitting_libraries

                    import_fitting_libraries()
                # every run draws figures: the workers forked later (refits, drawing)
                # inherit the SVG backend and typst instead of importing them each
                import matplotlib.figure  # noqa: F401
                import typst  # noqa: F401
                from matplotlib.backends import backend_svg  # noqa: F401
        prepared, stages = chain.first()
    except BaseException:
        if chain is not None:
            chain.close()
        shutil.rmtree(run_dir, ignore_errors=True)
        raise
    timer.stages.update(stages)
    return prepared, chain


def _prepare(cfg: ExperimentConfig, timer: _Timer, cache: StageCache) -> _Prepared:
    """The corpus and segment stages, each skipped when its inputs are unchanged.

    Returns:
        The cleaned corpus, its digest, the segments and the segment stage's cache key.
    """
    with timer.stage("corpus") as rec:
        corpus_key = _corpus_key(cfg)
        (cleaned, corpus_digest), rec["cached"] = cache.fetch(
            "corpus", corpus_key, lambda: prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup,
                                                          seed=cfg.seed),
            _save_cleaned, _load_cleaned)
    with timer.stage("segment") as rec:
        tokenizer = segment_tokenizer(cfg)
        segments_key = stage_key("segment", corpus_key, cfg.segmentation,
                                 tokenizer and tokenizer.identity(),
                                 modules=("stance.segment",))
        segments, rec["cached"] = cache.fetch(
            "segment", segments_key,
            lambda: segment_corpus(cleaned.corpus, cfg.segmentation, tokenizer=tokenizer),
            Segments.save, Segments.load)
    return cleaned, corpus_digest, segments, segments_key


def segment_tokenizer(cfg: ExperimentConfig):
    """The embedding model's tokenizer that segmentation splits long segments by, or None."""
    limit = cfg.segmentation.max_tokens
    if limit is None:
        return None
    from stance.embed import load_tokenizer

    return load_tokenizer(cfg.embedding, None if limit == "auto" else limit)


def _embed(cfg: ExperimentConfig, segments: Segments, timer: _Timer, cache: StageCache,
           segments_key: str):
    """The embedder, the segments' vectors and how many segments it cuts short.

    The count tokenises up to 20,000 segments (about 3 s): it sits in the stage cache,
    keyed by the segments and the model, so a re-run or a sweep point does not redo it.
    """
    from stance.embed import count_truncated, embed_segments, load_embedder

    with timer.stage("embed") as rec:
        embedder = load_embedder(cfg.embedding)
        embeddings = embed_segments(segments, embedder, embedding_cache_dir(cfg))
        rec["texts_encoded"] = embedder.texts_encoded
        rec["cached"] = embedder.texts_encoded == 0
        cut, _ = cache.fetch(
            "truncation", stage_key("truncation", segments_key, embedder.cache_key(), cfg.seed,
                                    modules=("stance.embed",)),
            lambda: count_truncated(segments.table["text"].tolist(), embedder, seed=cfg.seed),
            lambda value, folder: write_json(folder / "cut.json", value),
            lambda folder: json.loads((folder / "cut.json").read_text()))
    return embedder, embeddings, cut


@contextmanager
def _topic_stages(result: RunResult, embedder, timer: _Timer, cache: StageCache,
                  segments_key: str) -> Iterator[None]:
    """Fit topics, lay out the map, compare outlets and periods; on exit, measure quality.

    The stability refits start first, on a spare core. The block inside ``with`` runs
    while they may still be running; the quality stage then waits for them.

    The fit, its quality and the map are skipped when their inputs are unchanged: the
    segments, the embedding model and the segments' vectors (which a refilled embedding
    cache may change in the last digits), the topics section, the seed, the code and the
    versions of the libraries that fit them.
    """
    from stance.compare import topic_prevalence, topics_over_time
    from stance.embed import CachedEncoder
    from stance.quality import start_stability_refits, topic_metrics
    from stance.topics import fit_topics, map_coordinates, save_topic_model
    from stance.topicstore import load_topic_result, save_topic_result

    cfg, run_dir = result.config, result.run_dir
    encoder = CachedEncoder(embedder, embedding_cache_dir(cfg))
    inputs = (segments_key, embedder.cache_key(), result.manifest["embedding"]["vectors_sha256"],
              cfg.seed, _fitting_environment(result.manifest))
    topics_key = stage_key("topics", *inputs, cfg.topics, modules=_TOPIC_MODULES)
    quality_key = stage_key("quality", topics_key, modules=("stance.quality",))
    # the stability refits start first, on a spare core, and run beside the model's fit,
    # the map, the outlet comparison and the caller's block; the quality stage waits for them
    refits = None
    if not cache.has("quality", quality_key):
        with timer.stage("refit_start"):  # the neighbour graph and theme vectors they inherit
            refits = start_stability_refits(result.segments, result.embeddings, cfg.topics,
                                            seed=cfg.seed, embedder=encoder)
    try:
        with timer.stage("topics") as rec:
            topics, rec["cached"] = cache.fetch(
                "topics", topics_key,
                lambda: fit_topics(result.segments, result.embeddings, cfg.topics,
                                   seed=cfg.seed, embedder=encoder),
                lambda value, folder: save_topic_result(value, folder, embedder.info.path),
                lambda folder: load_topic_result(folder, encoder))
            result.topics = topics
            topics.topics.to_csv(run_dir / "topics.csv", index=False)
            topics.terms.to_csv(run_dir / "topic_terms.csv", index=False)
            topics.assignments.to_parquet(run_dir / "segment_topics.parquet", index=False)
            save_topic_model(topics.model, run_dir / "topic_model", embedder.info.path)
            result.manifest["topics"] = topics.params
        with timer.stage("map") as rec:
            coords, rec["cached"] = cache.fetch(
                "map", stage_key("map", *inputs, modules=_TOPIC_MODULES),
                lambda: map_coordinates(result.embeddings, seed=cfg.seed),
                lambda value, folder: np.save(folder / "coordinates.npy", value),
                lambda folder: np.load(folder / "coordinates.npy"))
            result.topics.assignments.assign(x=coords[:, 0], y=coords[:, 1]).to_parquet(
                run_dir / "segment_map.parquet", index=False)
            result.manifest.setdefault("figures_data", {})["map"] = "segment_map.parquet"
        with timer.stage("compare"):
            result.prevalence = topic_prevalence(topics.assignments, result.segments, cfg.analysis,
                                                 seed=cfg.seed)
            result.prevalence.to_csv(run_dir / "topic_prevalence.csv", index=False)
            result.over_time = topics_over_time(topics.assignments, result.segments,
                                                result.corpus.corpus, cfg.analysis)
            result.over_time.to_csv(run_dir / "topics_over_time.csv", index=False)
        yield
        with timer.stage("quality") as rec:
            result.metrics, rec["cached"] = cache.fetch(
                "quality", quality_key,
                lambda: topic_metrics(topics, result.segments, result.embeddings, cfg.topics,
                                      seed=cfg.seed, embedder=encoder, refits=refits),
                lambda value, folder: write_json(folder / "metrics.json", value),
                lambda folder: json.loads((folder / "metrics.json").read_text()))
            write_json(run_dir / "metrics.json", result.metrics)
            rec["refits_in_workers"] = refits.forked if refits is not None else 0
    finally:
        if refits is not None:
            refits.close()


def _vectors_sha256(vectors: np.ndarray) -> str:
    """sha256 of the segment vectors' bytes (about 0.15 s for 50,000 x 384)."""
    return hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).data).hexdigest()


#: The code that fits topics and lays out the map: editing it invalidates their cache.
_TOPIC_MODULES = ("stance.topics", "stance.bertopic_model", "stance.neighbors")


#: The libraries whose versions can change the topics.
_TOPIC_PACKAGES = ("numpy", "scikit-learn", "scipy", "bertopic", "umap-learn", "pynndescent",
                   "numba", "hdbscan")


def _fitting_environment(manifest: dict[str, Any],
                         packages: tuple[str, ...] = _TOPIC_PACKAGES) -> dict[str, Any]:
    """What besides the inputs can change a fit (part of the cache key), as the manifest has it.

    The versions of the ``packages`` that fit it, the architecture, and the variables that
    pick BLAS kernels and threads (OPENBLAS_CORETYPE=Haswell gave the seed run 8 topics
    instead of 7 on an earlier machine): a result fitted under other ones is not this run's.
    """
    return {"packages": {name: manifest["packages"][name] for name in packages},
            "machine": manifest["machine"], "numeric_env": manifest["numeric_env"]}


def _framing_and_figures(result: RunResult, timer: _Timer, cache: StageCache,
                         segments_key: str) -> None:
    """The framing stage (when labels are loaded); then the topic and framing figures.

    Drawing is single-threaded, up to 0.6 s a figure at 1,000 segments. A worker forked
    on idle time (:class:`ForkedJobs`) draws beside this process once the stability
    refits leave the spare core, each process taking the next figure; while they run,
    this process draws them all. Each figure is a file, made the same way wherever it is
    drawn.
    """
    if result.config.framing_runs:
        _framing_stage(result, timer, cache, segments_key)
    with timer.stage("figures") as rec:
        figures = _figures(result)
        folder = result.run_dir / "figures"
        jobs = ForkedJobs(lambda name: _draw(figures[name], folder / name), list(figures),
                          idle=True)
        jobs.results()
        result.figures.update({name: folder / f"{name}.svg" for name in figures})
        rec["drawn_in_worker"] = jobs.forked


def _framing_stage(result: RunResult, timer: _Timer, cache: StageCache,
                   segments_key: str) -> None:
    """Classify framing, evaluated with outlets held out; write its metrics and model.

    Skipped when its inputs are unchanged (see :func:`_framing_key`): with SetFit the
    stage fine-tunes the embedding model once per fold, minutes on two cores.
    """
    from stance.framing import evaluate_framing
    from stance.framingstore import load_framing_result, save_framing_result, store_model

    cfg, run_dir = result.config, result.run_dir
    metadata = {"experiment": cfg.name, "label": cfg.framing.label,
                "config_sha256": cfg.digest(), "corpus_sha256": result.manifest["corpus_sha256"]}

    def in_run_folder(framing: FramingResult) -> FramingResult:
        # computed or cached, the run's model is the one saved in its folder
        return dataclasses.replace(
            framing, model=store_model(framing.model, run_dir, metadata=metadata))

    with timer.stage("framing") as rec:
        framing, rec["cached"] = cache.fetch(
            "framing", _framing_key(cfg, result.manifest, segments_key),
            lambda: in_run_folder(evaluate_framing(
                result.corpus.corpus, result.segments, cfg.framing, seed=cfg.seed,
                embedding=cfg.embedding, cache_dir=embedding_cache_dir(cfg),
                source=cfg.corpus.path)),
            save_framing_result, load_framing_result)
        if rec["cached"]:
            framing = in_run_folder(framing)
        result.framing = framing
        write_json(run_dir / "framing_metrics.json", framing.metrics)
        framing.predictions.to_parquet(run_dir / "predictions.parquet", index=False)
        framing.top_features.to_csv(run_dir / "framing_top_features.csv", index=False)
        if framing.learned_cues is not None:
            framing.learned_cues.to_csv(run_dir / "framing_learned_cues.csv", index=False)


_FRAMING_MODULES = ("stance.framing", "stance.framing_eval", "stance.framing_features",
                    "stance.framing_model", "stance.framingstore", "stance.learned_cues",
                    "stance.lexicon", "stance.finetune", "stance.embed", "stance.embedcache",
                    "stance.onnx_encoder")
#: The libraries whose versions can change a framing result: the classifier's, and the
#: embedding model's when the embeddings feature reads (or SetFit tunes) it.
_FRAMING_PACKAGES = ("numpy", "pandas", "scikit-learn", "scipy", "skops", "torch",
                     "transformers", "sentence-transformers", "onnxruntime", "datasets",
                     "accelerate")
#: Framing settings the classifier does not read (actor naming, distinctive terms).
_NOT_THE_CLASSIFIERS = {"enabled", "actors", "distinctive_prior"}


def _framing_key(cfg: ExperimentConfig, manifest: dict[str, Any], segments_key: str) -> str:
    """The framing stage's cache key.

    Beside the segments (whose key covers the corpus and its labels), the classifier's
    framing settings and the seed, it hashes what the config only names: the
    segment-labels file's bytes and the packaged cue lexicon. With the embeddings feature
    it adds the embedding settings (not the cache's location), the model's weights and
    resolved truncation length and, when the topic stages ran, the segments' vectors (the
    units' own vectors come from the embedding cache, keyed by text, model and settings);
    then the library versions and the variables that move numbers.
    """
    labels = cfg.framing.segment_labels
    embedding = None
    if "embeddings" in cfg.framing.features:
        described = manifest["embedding"]
        embedding = {"section": cfg.embedding.model_dump(mode="json", exclude={"cache_dir"}),
                     "weights_sha256": described["weights_sha256"],
                     "max_seq_length": described["max_seq_length"],
                     "vectors_sha256": described.get("vectors_sha256")}
    return stage_key(
        "framing", segments_key, cfg.framing.model_dump(mode="json", exclude=_NOT_THE_CLASSIFIERS),
        cfg.seed, embedding, _fitting_environment(manifest, _FRAMING_PACKAGES),
        # a missing file is the stage's to report, in its own words
        files_sha256([("segment_labels", labels)]) if labels and labels.is_file() else None,
        modules=_FRAMING_MODULES, data=("lexicon.yaml",))


@dataclass
class _OutletResults:
    """What :func:`_outlet_stages` made: actor naming, distinctive terms, their figures."""

    figures: dict[str, Path]
    actor_mentions: pd.DataFrame | None = None
    actor_naming: pd.DataFrame | None = None
    distinctive_terms: pd.DataFrame | None = None

    def apply_to(self, result: RunResult) -> None:
        result.figures.update(self.figures)
        result.actor_mentions, result.actor_naming = self.actor_mentions, self.actor_naming
        result.distinctive_terms = self.distinctive_terms


def _outlet_stages(cfg: ExperimentConfig, cleaned: CleanedCorpus, segments: Segments,
                   run_dir: Path, timer: _Timer) -> _OutletResults:
    """Save the corpus and segments; actor naming and distinctive terms; draw their figures.

    These need only the segments, so they run in the corpus worker beside the imports and
    topic stages (the figures alone take about 1 s at 1,000 segments; distinctive terms
    2.5 s at 50,000). Both are skipped when framing is disabled, actors also when
    ``framing.actors`` names none.
    """
    cleaned.save(run_dir)
    segments.save(run_dir)
    partial = RunResult(run_dir, cfg, cleaned, segments, manifest={})
    framing_on = cfg.framing.enabled is not False
    if framing_on and cfg.framing.actors:
        from stance.actors import find_mentions, tabulate_actor_naming
        from stance.lexicon import load_lexicon

        with timer.stage("actors"):
            lexicon = load_lexicon(cfg.framing.lexicon)
            partial.actor_mentions = find_mentions(segments, cfg.framing.actors, lexicon)
            partial.actor_naming = tabulate_actor_naming(partial.actor_mentions)
            partial.actor_mentions.to_csv(run_dir / "actor_mentions.csv", index=False)
            partial.actor_naming.to_csv(run_dir / "actors.csv", index=False)
    if framing_on:
        from stance.distinctive import distinctive_terms

        with timer.stage("distinctive"):
            outlets = sorted(cleaned.corpus.documents["outlet"].astype(str).unique())
            partial.distinctive_terms = distinctive_terms(
                segments, prior=cfg.framing.distinctive_prior, top_n=cfg.framing.top_n,
                outlet_names=outlets)
            partial.distinctive_terms.to_csv(run_dir / "distinctive_terms.csv", index=False)
    with timer.stage("outlet_figures"):
        for name, make in _outlet_figures(partial).items():
            _draw(make, run_dir / "figures" / name)
            partial.figures[name] = run_dir / "figures" / f"{name}.svg"
    return _OutletResults(partial.figures, partial.actor_mentions, partial.actor_naming,
                          partial.distinctive_terms)


_CORPUS_MODULES = ("stance.corpus", "stance.clean", "stance.dedup", "stance.prepare")


def _corpus_key(cfg: ExperimentConfig) -> str:
    """The corpus stage's cache key: its input files, settings, code and boilerplate rules."""
    return stage_key("corpus", _input_fingerprint(cfg), cfg.corpus, cfg.cleaning, cfg.dedup,
                     cfg.seed, modules=_CORPUS_MODULES, data=("boilerplate.yaml",))


def _input_fingerprint(cfg: ExperimentConfig) -> str:
    """sha256 over the bytes of every corpus file, and of corpus.metadata kept elsewhere.

    This decides whether the cached corpus stage can be reused.
    """
    path = cfg.corpus.path
    require_corpus_path(path)  # the first stage to read it
    if not path.is_dir():
        return files_sha256([(path.name, path)])
    files = [(str(p.relative_to(path)), p) for p in sorted(path.rglob("*")) if p.is_file()]
    metadata = cfg.corpus.metadata
    # a missing file is the corpus stage's to report, in its own words
    if metadata is not None and metadata.is_file() and not metadata.resolve().is_relative_to(
            path.resolve()):
        files.append(("corpus.metadata", metadata))
    return files_sha256(files)


def _save_cleaned(value: tuple[CleanedCorpus, str], folder: Path) -> None:
    cleaned, digest = value
    cleaned.save(folder)
    (folder / "corpus.sha256").write_text(digest)


def _load_cleaned(folder: Path) -> tuple[CleanedCorpus, str]:
    return CleanedCorpus.load(folder), (folder / "corpus.sha256").read_text()


def _manifest(cfg: ExperimentConfig, corpus_digest: str, started: datetime) -> dict[str, Any]:
    return {
        "experiment": cfg.name,
        "started": started.isoformat(timespec="seconds"),
        "config_sha256": cfg.digest(),
        "corpus_sha256": corpus_digest,
        "seeds": {"seed": cfg.seed, "stability_seeds": [
            cfg.seed + i for i in range(1, cfg.topics.stability_runs)]},
        "git": git_state(Path.cwd()),
        **environment(),
    }


#: The figures this process draws, the slowest first (at 1,000 segments topic_terms takes
#: 0.6 s, the heatmap 0.3 s, the others 0.1-0.2 s): taken in this order by whichever
#: process is free, no process is left drawing one slow figure alone at the end.
_DRAWING_ORDER = ("topic_terms", "framing_top_features", "prevalence_heatmap", "topic_map",
                  "topics_over_time", "framing_by_outlet", "framing_confusion", "topic_sizes",
                  "framing_reliability")


def _figures(result: RunResult) -> dict[str, Callable[[], Any]]:
    """The topic and framing stages' figures: name -> a function drawing it, slowest first."""
    figures = {**(_topic_figures(result) if result.topics is not None else {}),
               **_framing_figures(result)}
    rank = {name: i for i, name in enumerate(_DRAWING_ORDER)}
    return dict(sorted(figures.items(), key=lambda item: rank.get(item[0], len(rank))))


def _outlet_figures(result: RunResult) -> dict[str, Callable[[], Any]]:
    """The figures :func:`_outlet_stages` draws: segments, actor naming, distinctive terms."""
    from stance import plots
    from stance import plots_framing as pf
    from stance.summary import summarise_outlets

    figures: dict[str, Callable[[], Any]] = {
        "segments_per_outlet": lambda: plots.plot_segments_per_outlet(
            summarise_outlets(result.corpus.corpus, result.segments))}
    if result.distinctive_terms is not None and not result.distinctive_terms.empty:
        from stance.distinctive import familywise_z

        terms = result.distinctive_terms
        lines = dict(zip(terms["outlet"], familywise_z(terms["n_tested"]), strict=False))
        figures["distinctive_terms"] = lambda: pf.plot_ranked_terms(
            terms, "outlet", "term", "z", threshold=lines,
            title="Distinctive terms per outlet (weighted log-odds z; dashed: past chance "
                  "among all the outlet's terms)", shown="first {} outlets by name")
    if result.actor_naming is not None and not result.actor_naming.empty:
        figures["actor_naming"] = lambda: pf.plot_actor_naming(result.actor_naming)
    return figures


def _topic_figures(result: RunResult) -> dict[str, Callable[[], Any]]:
    from stance import plots

    topics = result.topics
    labels = topic_labels(topics.topics)

    def topic_map():  # reads the map's coordinates only when this figure is drawn
        coords = pd.read_parquet(result.run_dir / "segment_map.parquet")
        return plots.plot_topic_map(coords[["x", "y"]].to_numpy(), coords["topic"].to_numpy(),
                                    labels)

    figures: dict[str, Callable[[], Any]] = {
        "topic_map": topic_map,
        "topic_sizes": lambda: plots.plot_topic_sizes(topics.topics),
    }
    if result.over_time is not None and result.over_time["period"].nunique() > 1:
        figures["topics_over_time"] = lambda: plots.plot_topics_over_time(
            result.over_time, labels)
    figures["prevalence_heatmap"] = lambda: plots.plot_prevalence_heatmap(
        result.prevalence, labels)
    figures["topic_terms"] = lambda: plots.plot_topic_terms(
        topics.terms[topics.terms["topic"] != -1], labels)
    return figures


def _draw(make: Callable[[], Any], stem: Path) -> None:
    """Draw one figure and save it as SVG and PNG."""
    save_figure(make(), stem)


def _framing_figures(result: RunResult) -> dict[str, Callable[[], Any]]:
    from stance import plots_framing as pf

    figures: dict[str, Callable[[], Any]] = {}
    framing = result.framing
    if framing is not None:
        grouped = framing.metrics["grouped"]
        classes = framing.metrics["classes"]
        figures["framing_confusion"] = lambda: pf.plot_confusion_matrix(
            grouped["confusion"], classes, "Outlets held out")
        figures["framing_by_outlet"] = lambda: pf.plot_framing_by_outlet(
            framing.predictions, classes=classes,
            unit="documents" if framing.metrics["level"] == "document" else "segments")
        if grouped.get("reliability", {}).get("mean_predicted"):
            figures["framing_reliability"] = lambda: pf.plot_reliability(
                grouped["reliability"], grouped.get("brier"))
        if not framing.top_features.empty:
            figures["framing_top_features"] = lambda: pf.plot_ranked_terms(
                framing.top_features, "class", "feature", "coefficient",
                title="Top features per class", shown="first {} classes")
    return figures


def topic_labels(topics: pd.DataFrame) -> dict[int, str]:
    """Topic id -> label, largest topic first (outliers last)."""
    ordered = topics.assign(is_outlier=topics["topic"] == -1).sort_values(
        ["is_outlier", "size"], ascending=[True, False])
    return dict(zip(ordered["topic"].astype(int), ordered["label"], strict=True))

"""run_experiment: the only place that knows the order of stages, times them and writes the run."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from stance.config import ExperimentConfig, dump_config
from stance.data import CleanedCorpus, Segments
from stance.manifest import environment, git_state
from stance.prepare import prepare_corpus
from stance.progress import progress_enabled
from stance.segment import segment_corpus
from stance.stagecache import StageCache, stage_key

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class RunResult:
    """Everything a run produced, and where its folder is."""

    run_dir: Path
    config: ExperimentConfig
    corpus: CleanedCorpus
    segments: Segments
    manifest: dict[str, Any]
    figures: dict[str, Path] = field(default_factory=dict)


@dataclass
class _Timer:
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, Any]]:
        record: dict[str, Any] = {"cached": False}
        start = time.perf_counter()
        log.info("stage %s ...", name)
        yield record
        record["seconds"] = round(time.perf_counter() - start, 3)
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
    started = datetime.now(UTC)
    experiment_dir = cfg.output_dir / cfg.name
    cache = StageCache(experiment_dir / "cache", enabled=use_cache)
    timer = _Timer()
    with progress_enabled(progress):
        with timer.stage("corpus") as rec:
            corpus_key = stage_key("corpus", _input_fingerprint(cfg), cfg.corpus, cfg.cleaning,
                                   cfg.dedup, cfg.seed, modules=_CORPUS_MODULES)
            (cleaned, corpus_digest), rec["cached"] = cache.fetch(
                "corpus", corpus_key, lambda: prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup,
                                                              seed=cfg.seed),
                _save_cleaned, _load_cleaned)
        with timer.stage("segment") as rec:
            segments_key = stage_key("segment", corpus_key, cfg.segmentation,
                                     modules=("stance.segment",))
            segments, rec["cached"] = cache.fetch(
                "segment", segments_key, lambda: segment_corpus(cleaned.corpus, cfg.segmentation),
                Segments.save, Segments.load)

        run_dir = _new_run_dir(experiment_dir, started, cfg)
        cleaned.save(run_dir)
        segments.save(run_dir)
        (run_dir / "config.yaml").write_text(dump_config(cfg), encoding="utf-8")
        manifest = _manifest(cfg, corpus_digest, timer, started)
        result = RunResult(run_dir, cfg, cleaned, segments, manifest)
        with timer.stage("figures"):
            result.figures.update(_save_figures(result))
        if cfg.report.enabled:
            with timer.stage("report"):
                from stance.report import write_report

                write_report(result, run_dir / "report.pdf")
    manifest["stages"] = timer.stages
    manifest["wall_seconds"] = round(sum(s["seconds"] for s in timer.stages.values()), 3)
    _write_json(run_dir / "manifest.json", manifest)
    _point_latest(experiment_dir, run_dir)
    return result


_CORPUS_MODULES = ("stance.corpus", "stance.clean", "stance.dedup", "stance.prepare")


def _input_fingerprint(cfg: ExperimentConfig) -> str:
    """sha256 over the bytes of every input file, read in 1 MiB blocks.

    This decides whether the cached corpus stage can be reused; reading the
    bytes costs far less than loading and cleaning them again.
    """
    path = cfg.corpus.path
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    h = hashlib.sha256()
    for file in files:
        h.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def _save_cleaned(value: tuple[CleanedCorpus, str], folder: Path) -> None:
    cleaned, digest = value
    cleaned.save(folder)
    (folder / "corpus.sha256").write_text(digest)


def _load_cleaned(folder: Path) -> tuple[CleanedCorpus, str]:
    return CleanedCorpus.load(folder), (folder / "corpus.sha256").read_text()


def _new_run_dir(experiment_dir: Path, started: datetime, cfg: ExperimentConfig) -> Path:
    runs = experiment_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    base = f"{started:%Y%m%dT%H%M%SZ}-{cfg.digest()[:8]}"
    for attempt in range(100):
        run_dir = runs / (base if attempt == 0 else f"{base}-{attempt}")
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        (run_dir / "figures").mkdir()
        return run_dir
    raise RuntimeError(f"cannot create a run folder under {runs}")


def _manifest(cfg: ExperimentConfig, corpus_digest: str, timer: _Timer,
              started: datetime) -> dict[str, Any]:
    return {
        "experiment": cfg.name,
        "started": started.isoformat(timespec="seconds"),
        "config_sha256": cfg.digest(),
        "corpus_sha256": corpus_digest,
        "seeds": {"seed": cfg.seed},
        "git": git_state(Path.cwd()),
        **environment(),
    }


def _save_figures(result: RunResult) -> dict[str, Path]:
    from stance.plots import plot_segments_per_outlet
    from stance.summary import summarise_outlets

    figures: dict[str, Callable[[], Any]] = {
        "segments_per_outlet": lambda: plot_segments_per_outlet(
            summarise_outlets(result.corpus.corpus, result.segments)),
    }
    saved = {}
    for name, make in figures.items():
        fig = make()
        for suffix in ("png", "svg"):
            fig.savefig(result.run_dir / "figures" / f"{name}.{suffix}", dpi=200)
        saved[name] = result.run_dir / "figures" / f"{name}.svg"
    return saved


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")


def _point_latest(experiment_dir: Path, run_dir: Path) -> None:
    """Point ``latest`` at ``run_dir`` atomically (a relative symlink, replaced by rename)."""
    link = experiment_dir / "latest"
    tmp = experiment_dir / f".latest-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(run_dir.relative_to(experiment_dir))
    os.replace(tmp, link)

"""The Python API that notebooks and the command line share: Experiment, Run, load_run.

An :class:`Experiment` is a validated config ready to run; a :class:`Run` is a view of one
run folder whose tables are read on first access and then kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from stance.config import (
    ExperimentConfig,
    dump_config,
    load_config,
    locate,
    parse_config,
    set_dotted,
)
from stance.errors import StanceError
from stance.run import _outputs as files
from stance.run._folder import require_finished_run

if TYPE_CHECKING:
    from stance.data import CleanedCorpus, Embeddings, Segments, SweepResult
    from stance.run import VerifyReport


class Experiment:
    """An experiment config, validated and ready to run.

    Example:
        >>> experiment = Experiment.from_yaml("experiments/seeds.yaml")  # doctest: +SKIP
        >>> run = experiment.run()  # doctest: +SKIP
        >>> run.topics[["topic", "label", "size"]]  # doctest: +SKIP
    """

    def __init__(self, config: ExperimentConfig, *, source: Path | None = None):
        self._config = config
        self._source = source

    @classmethod
    def from_yaml(cls, path: str | Path, *, output_dir: str | Path | None = None) -> Experiment:
        """Load ``experiments/NAME.yaml``; ``output_dir`` replaces the config's run location.

        A problem the run finds with a setting (a label class too small to test, say) then
        names this file and the setting's line.
        """
        experiment = cls(load_config(path), source=Path(path))
        return experiment if output_dir is None else experiment.with_settings(
            {"output_dir": output_dir})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *,
                  base_dir: str | Path | None = None) -> Experiment:
        """Build an experiment from config data written in code.

        Args:
            data: the same sections a YAML config holds (``name``, ``corpus``, ...).
            base_dir: folder that relative input paths are relative to (default: the
                working directory).
        """
        return cls(parse_config(dict(data), base_dir=Path(base_dir) if base_dir else None))

    @property
    def config(self) -> ExperimentConfig:
        """The resolved config (every default filled in)."""
        return self._config

    def with_settings(self, settings: Mapping[str, Any]) -> Experiment:
        """A copy with dotted settings replaced, validated again.

        Relative paths among the values resolve against the working directory.

        Example:
            >>> quick = experiment.with_settings({"topics.stability_runs": 0})  # doctest: +SKIP
        """
        values = {k: str(v) if isinstance(v, Path) else v for k, v in settings.items()}
        return Experiment(parse_config(set_dotted(self._config.resolved_dump(), values)),
                          source=self._source)

    def to_yaml(self) -> str:
        """The resolved config as YAML text (what the run folder's config.yaml will hold)."""
        return dump_config(self._config)

    def run(self, *, progress: bool = True, use_cache: bool = True) -> Run:
        """Run every stage and return the new run folder as a :class:`Run`.

        Raises:
            StanceError: the config has a ``sweep:`` section; use :meth:`run_sweep`.
        """
        from stance.run import run_experiment

        if self._config.sweep:
            raise StanceError(f"experiment '{self._config.name}' has a sweep: section; "
                              "call run_sweep() or remove the section")
        with self._located():
            return load_run(run_experiment(self._config, progress=progress,
                                           use_cache=use_cache).run_dir)

    def run_sweep(self, *, progress: bool = True, use_cache: bool = True) -> SweepResult:
        """Run every combination of the ``sweep:`` values, one run folder each."""
        from stance.run import run_sweep

        if not self._config.sweep:
            raise StanceError(f"experiment '{self._config.name}' has no sweep: section; "
                              "add one or call run()")
        with self._located():
            return run_sweep(self._config, progress=progress, use_cache=use_cache)

    def embed(self, *, progress: bool = True,
              use_cache: bool = True) -> tuple[Embeddings, dict[str, Any]]:
        """Run the stages up to embedding only, filling the embedding cache."""
        from stance.run import embed_experiment

        with self._located():
            return embed_experiment(self._config, progress=progress, use_cache=use_cache)

    @contextmanager
    def _located(self) -> Iterator[None]:
        """Point problems with a setting at the YAML file it came from, if any."""
        try:
            yield
        except StanceError as error:
            if self._source is None:
                raise
            raise locate(error, self._source) from None

    def latest(self) -> Run | None:
        """The run ``<output_dir>/<name>/latest`` points at if it ran exactly this config.

        Returns:
            That run, or None when there is none or its config digest differs.
        """
        link = self._config.output_dir / self._config.name / "latest"
        if not (link / files.MANIFEST).is_file():
            return None
        run = load_run(link)
        return run if run.manifest.get("config_sha256") == self._config.digest() else None

    def __repr__(self) -> str:
        return f"Experiment(name={self._config.name!r}, output_dir='{self._config.output_dir}')"


@dataclass(frozen=True)
class Run:
    """One run folder; each table is read on first access and then kept.

    Tables of stages that did not run (topics or framing off) are ``None``.
    """

    run_dir: Path

    @cached_property
    def config(self) -> ExperimentConfig:
        """The config the run used (its config.yaml)."""
        return load_config(self.run_dir / files.CONFIG)

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """Provenance: digests, seeds, package versions, stage timings."""
        return self._json(files.MANIFEST)

    @cached_property
    def corpus(self) -> CleanedCorpus:
        """The cleaned corpus and its audit."""
        return files.read_cleaned(self.run_dir)

    @cached_property
    def segments(self) -> Segments:
        """The segments every later stage worked on."""
        return files.read_segments(self.run_dir)

    @cached_property
    def topics(self) -> pd.DataFrame | None:
        """One row per topic (id, label, size, ...)."""
        return self._table(files.TOPICS)

    @cached_property
    def topic_terms(self) -> pd.DataFrame | None:
        """Top terms per topic with their weights."""
        return self._table(files.TOPIC_TERMS)

    @cached_property
    def assignments(self) -> pd.DataFrame | None:
        """Topic and probability per seg_id."""
        return self._table(files.ASSIGNMENTS)

    @cached_property
    def prevalence(self) -> pd.DataFrame | None:
        """Topic share per outlet with intervals over documents (low, high)."""
        return self._table(files.PREVALENCE)

    @cached_property
    def over_time(self) -> pd.DataFrame | None:
        """Topic share per period."""
        return self._table(files.OVER_TIME)

    @cached_property
    def metrics(self) -> dict[str, Any] | None:
        """Topic quality metrics (metrics.json)."""
        return self._json(files.METRICS)

    @cached_property
    def framing_metrics(self) -> dict[str, Any] | None:
        """Framing classifier evaluation (framing_metrics.json)."""
        return self._json(files.FRAMING_METRICS)

    @cached_property
    def predictions(self) -> pd.DataFrame | None:
        """Out-of-fold framing predictions."""
        return self._table(files.PREDICTIONS)

    @cached_property
    def framing_corpus(self) -> pd.DataFrame | None:
        """The final framing model's label for every segment (or document) of the corpus."""
        return self._table(files.FRAMING_CORPUS)

    @cached_property
    def framing_by_outlet(self) -> pd.DataFrame | None:
        """Each outlet's share of units per framing label over the corpus, with intervals."""
        return self._table(files.FRAMING_OUTLETS)

    @cached_property
    def actors(self) -> pd.DataFrame | None:
        """How each outlet names each actor (actors.csv)."""
        return self._table(files.ACTORS)

    @cached_property
    def actor_stance(self) -> pd.DataFrame | None:
        """Every actor mention with its sentence and the model's stance (actor_stance.csv)."""
        return self._table(files.ACTOR_STANCE)

    @cached_property
    def actor_stance_by_outlet(self) -> pd.DataFrame | None:
        """Shares of negative, neutral and positive mentions per actor and outlet."""
        return self._table(files.ACTOR_STANCE_OUTLETS)

    @cached_property
    def actor_stance_over_time(self) -> pd.DataFrame | None:
        """The same shares per actor, outlet and period."""
        return self._table(files.ACTOR_STANCE_TIME)

    @cached_property
    def actor_stance_evaluation(self) -> dict[str, Any] | None:
        """The stance model's card scores and its agreement with your labels."""
        return self._json(files.ACTOR_STANCE_EVALUATION)

    @cached_property
    def distinctive_terms(self) -> pd.DataFrame | None:
        """Terms distinctive of each outlet (weighted log-odds)."""
        return self._table(files.DISTINCTIVE_TERMS)

    @cached_property
    def figures(self) -> dict[str, Path]:
        """Figure name -> PNG file."""
        return {p.stem: p for p in sorted((self.run_dir / files.FIGURES).glob("*.png"))}

    @property
    def report(self) -> Path | None:
        """The PDF report, if the run wrote one."""
        path = self.run_dir / files.REPORT
        return path if path.is_file() else None

    def segments_of_topic(self, topic: int) -> pd.DataFrame:
        """The segments assigned to ``topic``, most probable first.

        Example:
            >>> run.segments_of_topic(0)[["outlet", "text"]].head()  # doctest: +SKIP
        """
        if self.assignments is None:
            raise StanceError(f"{self.run_dir}: no segment_topics.parquet; the run had "
                              "topics.enabled: false")
        known = sorted(self.assignments["topic"].unique().tolist())
        if topic not in known:
            raise StanceError(f"{self.run_dir}: no topic {topic}; topics are {known}")
        chosen = self.assignments[self.assignments["topic"] == topic]
        table = self.segments.table.merge(chosen, on="seg_id", validate="one_to_one")
        columns = ["seg_id", "doc_id", "outlet", "probability", "text"]
        return table.sort_values(["probability", "seg_id"], ascending=[False, True])[
            columns].reset_index(drop=True)

    def predict(self, paths: Sequence[str | Path], *, column: str = "text",
                id_column: str | None = None) -> pd.DataFrame:
        """Label new texts (.txt/.md files or a CSV column) with this run's framing model."""
        from stance.framing import predict_files

        return predict_files(self.run_dir / files.FRAMING_MODEL, paths, column=column,
                             id_column=id_column)

    def verify(self, *, use_cache: bool = True, progress: bool = False,
               against: str | Path | None = None) -> VerifyReport:
        """Re-run this run's config in a temporary folder (or take ``against``) and compare."""
        from stance.run import verify_run

        return verify_run(self.run_dir, use_cache=use_cache, progress=progress, against=against)

    def _table(self, name: str) -> pd.DataFrame | None:
        return files.read_table(self.run_dir / name)

    def _json(self, name: str) -> dict[str, Any] | None:
        return files.read_json(self.run_dir / name)


def load_run(run_dir: str | Path) -> Run:
    """Open a finished run folder (``reports/NAME/latest`` works too).

    Raises:
        StanceError: the folder is not a finished run (no manifest.json), or its run failed
            (FAILED.txt, which the message quotes).

    Example:
        >>> run = load_run("reports/seeds/latest")  # doctest: +SKIP
        >>> run.metrics["npmi_mean"]  # doctest: +SKIP
    """
    return Run(require_finished_run(Path(run_dir)))

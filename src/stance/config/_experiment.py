"""A whole experiment: one YAML file in experiments/, every section with its defaults."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from stance.config._base import HomePath, Section
from stance.config._compute import ComputeConfig
from stance.config._corpus import (
    CleaningConfig,
    CorpusConfig,
    DedupConfig,
    SegmentationConfig,
)
from stance.config._stages import (
    ActorStanceConfig,
    AnalysisConfig,
    EmbeddingConfig,
    FramingConfig,
    ReportConfig,
    TopicsConfig,
)
from stance.config._sweep import check_sweep


class ExperimentConfig(Section):
    """A whole experiment: one YAML file in experiments/."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="the experiment's folder under "
                      "output_dir: letters, digits, . _ -")
    description: str = Field("", description="one line for the report's title page")
    seed: int = Field(42, ge=0, le=2**32 - 1, description="0 to 2**32 - 1 (numpy's range)")
    output_dir: HomePath = Field(Path("reports"), description="where run folders go")
    corpus: CorpusConfig
    cleaning: CleaningConfig = CleaningConfig()
    dedup: DedupConfig = DedupConfig()
    segmentation: SegmentationConfig = SegmentationConfig()
    embedding: EmbeddingConfig = EmbeddingConfig()
    topics: TopicsConfig = TopicsConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    actors: dict[str, list[str]] = Field(
        default_factory=dict, description="actor -> aliases (every variant that names the "
        "actor), for actor naming and actor stance; none by default: name your story's")
    framing: FramingConfig = FramingConfig()
    actor_stance: ActorStanceConfig = ActorStanceConfig()
    report: ReportConfig = ReportConfig()
    compute: ComputeConfig = ComputeConfig()
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict, description="dotted setting -> values to try; `stance run` runs "
        "every combination, one run folder each")

    @model_validator(mode="after")
    def _framing_label_is_loaded(self) -> ExperimentConfig:
        # with framing.enabled: auto a label left at its default only says "if loaded"; one
        # the user named (or framing.enabled: true) must be loaded, or a typo turns framing off
        labels, label = self.corpus.columns.labels, self.framing.label
        named = label != FramingConfig.model_fields["label"].default
        if (self.framing.enabled is True or (self.framing.enabled == "auto" and named)) \
                and label not in labels:
            raise ValueError(
                f"framing.label '{label}' is not in corpus.columns.labels {labels}; add the "
                "label column there, correct the name, or set framing.enabled: false")
        return self

    @model_validator(mode="after")
    def _stance_actors_are_named(self) -> ExperimentConfig:
        unknown = [a for a in self.actor_stance.actors or [] if a not in self.actors]
        if unknown:
            raise ValueError(f"actor_stance.actors: {', '.join(map(repr, unknown))} not among "
                             f"the actors {sorted(self.actors)}; name it under actors: with "
                             "its aliases, or remove it")
        if self.actor_stance.enabled is True and not self.actors:
            raise ValueError("actor_stance.enabled: true needs actors: name each actor with "
                             "its aliases under the top-level actors section")
        if self.actor_stance.adapt and self.actor_stance.labels is None:
            raise ValueError("actor_stance.adapt: true tunes the model on your labels; give "
                             "them as actor_stance.labels")
        return self

    @model_validator(mode="after")
    def _refit_seeds_in_range(self) -> ExperimentConfig:
        # the stability refits use seed + 1, seed + 2, ...; numpy takes at most 2**32 - 1
        last = self.seed + max(0, self.topics.stability_runs - 1)
        if last > 2**32 - 1:
            raise ValueError(f"seed {self.seed}: the stability refits would use seeds up to "
                             f"{last}, above 2**32 - 1; choose a smaller seed")
        return self

    @model_validator(mode="after")
    def _sweep_is_valid(self) -> ExperimentConfig:
        if self.sweep:
            check_sweep(self)
        return self

    @field_validator("name")
    @classmethod
    def _name_not_reserved(cls, value: str) -> str:
        if value in {"latest", "runs", "cache"}:
            raise ValueError(f"'{value}' is reserved; choose another experiment name")
        # the name is a folder under output_dir: '.' and '..' would write beside it, and a
        # leading dot hides it (output_dir/.cache holds the embedding cache)
        if value.startswith("."):
            raise ValueError(f"'{value}' starts with a dot, so it names no folder of its own "
                             "under output_dir; choose a name starting with a letter or digit")
        return value

    @property
    def framing_runs(self) -> bool:
        """Whether the framing stage runs (``auto``: when its label column is loaded)."""
        enabled = self.framing.enabled
        return enabled is True or (enabled == "auto"
                                   and self.framing.label in self.corpus.columns.labels)

    @property
    def framing_skipped_because(self) -> str | None:
        """Why the framing stage does not run (None when it does), for the report."""
        if self.framing_runs:
            return None
        if self.framing.enabled is False:
            return "framing.enabled is false"
        return (f"the label column framing.label ('{self.framing.label}') is not among "
                "corpus.columns.labels")

    @property
    def actor_stance_runs(self) -> bool:
        """Whether the actor stance stage runs (``auto``: when actors are named)."""
        return bool(self.actors) and self.actor_stance.enabled is not False

    @property
    def stance_actors(self) -> dict[str, list[str]]:
        """The actors whose stance is measured, with their aliases."""
        chosen = self.actor_stance.actors
        return {a: v for a, v in self.actors.items() if chosen is None or a in chosen}

    def resolved_dump(self) -> dict[str, Any]:
        """The config with every default filled in, as plain YAML-ready data."""
        return json.loads(self.model_dump_json())

    def digest(self) -> str:
        """sha256 of the resolved config (stable key order)."""
        text = json.dumps(self.resolved_dump(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

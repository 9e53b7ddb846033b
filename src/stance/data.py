"""Frozen data passed between stages; each checks its invariants when created.

Tables are pandas DataFrames so every stage scales to millions of rows; the
dataclasses around them fix the columns and the id alignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from stance.config import ExperimentConfig

DOCUMENT_COLUMNS = ("doc_id", "outlet", "date", "title", "text")
UNIT_COLUMNS = ("unit_id", "doc_id", "dup_group", "outlet", "group", "text", "label")
SEGMENT_COLUMNS = ("seg_id", "doc_id", "outlet", "position", "start", "end", "text")
AUDIT_COLUMNS = ("doc_id", "source", "status", "reason", "duplicate_of")
REMOVAL_COLUMNS = ("doc_id", "pattern", "n_chars", "text")

#: Fates of an input document in audit.csv: every input ends in exactly one.
DOCUMENT_STATUSES = ("kept", "dropped", "merged")


def _require_columns(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks columns {missing}; has {list(frame.columns)}")


def _require_unique(values: pd.Series, what: str) -> None:
    if not values.is_unique:
        dupes = values[values.duplicated()].unique()[:5].tolist()
        raise ValueError(f"{what} ids are not unique, e.g. {dupes}")


@dataclass(frozen=True)
class Corpus:
    """One row per document: doc_id, outlet, date, title, text, plus label columns.

    ``date`` is a pandas datetime column (NaT when unknown); ``labels`` names the
    extra label columns carried along (e.g. ``framing``).
    """

    documents: pd.DataFrame
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require_columns(self.documents, DOCUMENT_COLUMNS + self.labels, "Corpus")
        _require_unique(self.documents["doc_id"], "Corpus document")

    def __len__(self) -> int:
        return len(self.documents)

    def with_documents(self, documents: pd.DataFrame) -> Corpus:
        """Return a corpus with new document rows and the same label columns."""
        return Corpus(documents.reset_index(drop=True), self.labels)


@dataclass(frozen=True)
class Audit:
    """What happened to every input document, and what cleaning removed.

    ``documents`` has one row per *input* document (status kept, dropped or
    merged, with a reason); ``removals`` one row per removed piece of text.
    """

    documents: pd.DataFrame
    removals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(REMOVAL_COLUMNS))
    )

    def __post_init__(self) -> None:
        _require_columns(self.documents, AUDIT_COLUMNS, "Audit")
        _require_columns(self.removals, REMOVAL_COLUMNS, "Audit removals")
        bad = set(self.documents["status"]) - set(DOCUMENT_STATUSES)
        if bad:
            raise ValueError(f"Audit has unknown statuses {sorted(bad)}")

    def counts(self) -> dict[str, int]:
        """Number of documents per status."""
        return {s: int((self.documents["status"] == s).sum()) for s in DOCUMENT_STATUSES}


@dataclass(frozen=True)
class CleanedCorpus:
    """A corpus after cleaning and de-duplication, with its audit."""

    corpus: Corpus
    audit: Audit


@dataclass(frozen=True)
class Segments:
    """One row per unit of analysis (paragraph, sentence or window).

    ``start``/``end`` are character offsets into the document's cleaned text, so
    ``text == documents.text[start:end]`` for every row.
    """

    table: pd.DataFrame

    def __post_init__(self) -> None:
        _require_columns(self.table, SEGMENT_COLUMNS, "Segments")
        _require_unique(self.table["seg_id"], "Segment")

    def __len__(self) -> int:
        return len(self.table)

    def split_counts(self) -> tuple[int, int]:
        """Units split because the model reads less, and the segments they became."""
        piece = self.table["piece"] if "piece" in self.table.columns else pd.Series([], int)
        return int((piece == 1).sum()), int((piece > 0).sum())


@dataclass(frozen=True)
class Embeddings:
    """Vectors aligned with segment ids: row i embeds ``seg_ids[i]``."""

    vectors: np.ndarray
    seg_ids: tuple[str, ...]
    model_id: str
    normalized: bool

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.seg_ids):
            raise ValueError(
                f"Embeddings: vectors of shape {self.vectors.shape} do not match "
                f"{len(self.seg_ids)} segment ids"
            )
        if self.vectors.dtype != np.float32:
            raise ValueError(f"Embeddings must be float32, got {self.vectors.dtype}")

    def __len__(self) -> int:
        return len(self.seg_ids)


@dataclass(frozen=True)
class TopicResult:
    """A fitted topic model, its tables and its stability refits.

    Attributes:
        topics: one row per topic, -1 (outliers) included: topic, label, size, share,
            seed_theme ("" when none matches), seed_similarity (of the centroid to the
            theme matched, or to the closest one), seed_words (the matched theme's words among
            the topic's terms, "; "-joined), terms ("term (0.123); ...").
        terms: long form, one row per topic and rank: topic, rank, term, weight.
        assignments: one row per segment: seg_id, topic, probability (HDBSCAN membership
            strength; 0 for outliers and for outliers reassigned by outlier reduction; NaN
            for a segment outside a sampled fit), fitted (in the sample the model was
            fitted on: every segment unless ``topics.fit_sample`` sampled).
        ranked_terms: each topic's top c-TF-IDF terms (topic, rank, term), for diversity.
        refits: seg_id and, per stability refit, its seed (a column name) and topic, for
            the fitted segments.
        params: the resolved value of every ``auto`` setting and the guidance used.
        model: the fitted BERTopic model; in a run's result, the folder it is saved in.
    """

    topics: pd.DataFrame
    terms: pd.DataFrame
    assignments: pd.DataFrame
    ranked_terms: pd.DataFrame
    refits: pd.DataFrame
    params: dict[str, Any]
    model: Any

    def __post_init__(self) -> None:
        _require_unique(self.assignments["seg_id"], "TopicResult segment")
        fitted = self.assignments["seg_id"]
        if "fitted" in self.assignments.columns:
            fitted = fitted[self.assignments["fitted"].to_numpy(dtype=bool)]
        if not self.refits["seg_id"].reset_index(drop=True).equals(fitted.reset_index(drop=True)):
            raise ValueError("TopicResult: refits do not follow the fitted segments' seg_ids")


@dataclass(frozen=True)
class LabelledUnits:
    """The units the classifier learns from: one row per labelled segment (or document).

    ``group`` is the fold group: the document's ``framing.group`` (outlet), joined
    with every group it shares a near-duplicate document with. ``dup_group`` is the
    document's near-duplicate group (the random split keeps it in one fold).
    """

    table: pd.DataFrame
    classes: tuple[str, ...]
    level: str
    dropped_classes: Mapping[str, int] = field(default_factory=dict)
    n_unlabelled: int = 0

    def __post_init__(self) -> None:
        _require_columns(self.table, UNIT_COLUMNS, "LabelledUnits")
        _require_unique(self.table["unit_id"], "LabelledUnits unit")
        unknown = set(self.table["label"]) - set(self.classes)
        if unknown:
            raise ValueError(f"LabelledUnits has labels {sorted(unknown)} outside its classes")

    def __len__(self) -> int:
        return len(self.table)


@dataclass(frozen=True)
class FramingResult:
    """Scores (JSON-ready), out-of-fold predictions, top features and the final model.

    ``predictions`` come from the grouped cross-validation: unit_id, doc_id, outlet,
    group, true, fold, predicted and one ``proba_<class>`` column per class.
    ``model`` is fitted on all units, for saving: the pipeline, wrapped in sigmoid
    calibration (inner folds hold outlet groups out) when ``calibrate`` and the data
    allow; ``metrics["final_model"]`` says which. In a run's result it is the model as
    saved in the run folder, whose ``.load()`` gives the pipeline.
    """

    metrics: dict[str, Any]
    predictions: pd.DataFrame
    top_features: pd.DataFrame
    model: Any
    #: The cue lexicon learned from every unit's rationales (``learned_cues``), else None.
    learned_cues: pd.DataFrame | None = None
    #: The final model's labels for every unit of the corpus, labelled or not, as shares
    #: per outlet with intervals over its documents; filled by the outlet comparison.
    by_outlet: pd.DataFrame | None = None


@dataclass(frozen=True)
class ActorNaming:
    """Each mention of a configured actor, and how each outlet names each actor."""

    mentions: pd.DataFrame
    naming: pd.DataFrame


#: The classes of actor stance, from the actor's point of view, in reporting order.
STANCE_CLASSES = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ActorStance:
    """The stance of each mention's sentence toward its actor, and how far to trust it.

    ``by_outlet`` and ``over_time`` (shares with intervals over documents) are filled by
    the analysis stage from ``mentions``.
    """

    #: One row per mention: document, outlet, date, actor, alias, where the mention, its
    #: sentence and the context the model read lie in the segment, stance, probabilities.
    #: The texts themselves are in the run folder's actor_stance.csv (``Run.actor_stance``).
    mentions: pd.DataFrame
    #: The model's card summary, the agreement with labels and the adaptation's scores.
    evaluation: Mapping[str, Any]
    #: The user's labelled mentions with the model's predictions, when labels were given.
    labelled: pd.DataFrame | None = None
    by_outlet: pd.DataFrame | None = None
    over_time: pd.DataFrame | None = None


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced, and where its folder is.

    Stages that did not run (topics or framing disabled, no actors) leave their fields
    ``None``. ``manifest`` is the run's provenance; once the run has finished, manifest.json
    with each stage's record.
    """

    run_dir: Path
    config: ExperimentConfig
    corpus: CleanedCorpus
    segments: Segments
    manifest: Mapping[str, Any]
    figures: Mapping[str, Path] = field(default_factory=dict)
    embeddings: Embeddings | None = None
    topics: TopicResult | None = None
    #: seg_id, topic and the segment's 2-D map coordinates x and y.
    topic_map: pd.DataFrame | None = None
    metrics: Mapping[str, Any] = field(default_factory=dict)
    prevalence: pd.DataFrame | None = None
    over_time: pd.DataFrame | None = None
    framing: FramingResult | None = None
    actors: ActorNaming | None = None
    actor_stance: ActorStance | None = None
    distinctive_terms: pd.DataFrame | None = None

    @property
    def actor_naming(self) -> pd.DataFrame | None:
        """How each outlet names each actor (actors.csv), or None."""
        return None if self.actors is None else self.actors.naming


#: A sweep's summary columns of each point's metrics, with the label its figures and report show.
SWEEP_METRICS = {
    "n_topics": "topics",
    "npmi_mean": "NPMI",
    "diversity_25": "diversity@25",
    "diversity_10": "diversity@10",
    "outlier_share": "outlier share",
    "stability_ari": "stability (ARI)",
    "stability_ari_topics": "stability in topics (ARI)",
    "macro_f1": "macro-F1",
}


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

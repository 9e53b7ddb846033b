"""The framing stage: labelled units from the corpus, a classifier evaluated with outlets held out.

Labels are data: ``framing.label`` names a corpus label column, segments inherit
their document's label unless ``framing.segment_labels`` gives their own, and the
classes are those found (or ``framing.classes``). Evaluation lives in
:mod:`stance.framing_eval`; the models in :mod:`stance.framing_model`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.config import DEFAULT_ENCODING_FALLBACKS, EmbeddingConfig, FramingConfig
from stance.corpus import blank_missing_labels, parse_csv, read_text_file
from stance.data import Corpus, Segments
from stance.errors import StanceError
from stance.framing_eval import (
    CrossPrediction,
    bootstrap_macro_f1_gap,
    cross_predict,
    fit_model,
    grouped_folds,
    merge_groups,
    random_folds,
    score_split,
    text_keys,
)
from stance.framing_features import FingerprintMasker
from stance.learned_cues import LearnedCues, parse_rationale

UNIT_COLUMNS = ("unit_id", "doc_id", "dup_group", "outlet", "group", "text", "label")
#: Below these, scores describe the few outlets and documents at hand, not a population:
#: fewer held-out groups make the grouped score hinge on which outlets happen to be in the
#: corpus; fewer documents per class move per-class scores by 5+ points per document.
MIN_GROUPS = 10
MIN_DOCUMENTS_PER_CLASS = 20


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
        missing = [c for c in UNIT_COLUMNS if c not in self.table.columns]
        if missing:
            raise ValueError(f"LabelledUnits lacks columns {missing}")
        if not self.table["unit_id"].is_unique:
            raise ValueError("LabelledUnits unit ids are not unique")
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
    allow; ``metrics["final_model"]`` says which. In a run's result (and from the stage
    cache) it is a :class:`~stance.framingstore.SavedFramingModel`: the model as saved,
    whose ``.load()`` gives the pipeline.
    """

    metrics: dict[str, Any]
    predictions: pd.DataFrame
    top_features: pd.DataFrame
    model: Any
    #: The cue lexicon learned from every unit's rationales (``learned_cues``), else None.
    learned_cues: pd.DataFrame | None = None


def labelled_units(corpus: Corpus, segments: Segments, cfg: FramingConfig, *,
                   source: Path | None = None) -> LabelledUnits:
    """Units with their labels and fold groups; unlabelled units are dropped and counted.

    ``source``, the corpus file or folder, is named in errors about a cell's value.

    Raises:
        StanceError: a missing label or group column, an unknown class, fewer than two
            classes, or a class with too few documents (unless ``rare_classes: drop``).

    Example:
        >>> cfg = FramingConfig(level="document")
        >>> labelled_units(corpus, segments, cfg).classes  # doctest: +SKIP
        ('delegitimising', 'official-sourced')
    """
    docs = corpus.documents
    _check_columns(docs, corpus.labels, cfg)
    labels = docs[cfg.label].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    if cfg.level == "document":
        if cfg.segment_labels is not None:
            raise StanceError("framing.segment_labels is set but framing.level is document; "
                              "set framing.level: segment or remove framing.segment_labels")
        table = pd.DataFrame({"unit_id": docs["doc_id"], "doc_id": docs["doc_id"],
                              "text": docs["text"], "label": labels})
    else:
        seg = segments.table
        doc_label = pd.Series(labels, index=docs["doc_id"].to_numpy())
        table = pd.DataFrame({"unit_id": seg["seg_id"], "doc_id": seg["doc_id"],
                              "text": seg["text"], "label": seg["doc_id"].map(doc_label)})
        if cfg.segment_labels is not None:
            table = _apply_segment_labels(table, cfg)
    table["label"] = table["label"].fillna("")
    unlabelled = table["label"] == ""
    table = table[~unlabelled]
    classes, dropped = _check_classes(table, cfg)
    table = table[table["label"].isin(classes)].reset_index(drop=True)
    table = _add_groups(table, docs, cfg)
    columns = list(UNIT_COLUMNS)
    if cfg.rationales is not None:
        table["rationale"] = _rationales(table, docs, cfg.rationales, source)
        columns.append("rationale")
    return LabelledUnits(table[columns], classes, cfg.level, dropped, int(unlabelled.sum()))


def _check_columns(docs: pd.DataFrame, labels: tuple[str, ...], cfg: FramingConfig) -> None:
    if cfg.label not in labels or cfg.label not in docs.columns:
        raise StanceError(f"framing.label '{cfg.label}': no such label column in the corpus "
                          f"(label columns: {list(labels)}); add it to corpus.columns.labels "
                          "or set framing.label to one of them")
    if cfg.rationales is not None and (cfg.rationales not in labels
                                       or cfg.rationales not in docs.columns):
        raise StanceError(f"framing.rationales '{cfg.rationales}': no such label column in the "
                          f"corpus (label columns: {list(labels)}); add it to "
                          "corpus.columns.labels")
    if cfg.group not in docs.columns:
        raise StanceError(f"framing.group '{cfg.group}': no such document column (columns: "
                          f"{', '.join(docs.columns)}); set framing.group to one of them")


def _rationales(table: pd.DataFrame, docs: pd.DataFrame, column: str,
                source: Path | None) -> list[set[str]]:
    """Each unit's annotated words: its document's (a segment uses those it contains).

    Only the documents kept are read: a broken cell in a dropped document is not an error.
    """
    kept = set(table["doc_id"])
    within = f" in {source}" if source is not None else ""
    marked = {doc: parse_rationale(value, where=f"column '{column}' of document {doc}{within}")
              for doc, value in zip(docs["doc_id"], docs[column], strict=True) if doc in kept}
    return [marked[doc] for doc in table["doc_id"]]


def _apply_segment_labels(table: pd.DataFrame, cfg: FramingConfig) -> pd.DataFrame:
    """Segment labels from the file replace inherited ones (an empty one unlabels)."""
    path = Path(cfg.segment_labels)
    if not path.is_file():
        raise StanceError(f"{path}: framing.segment_labels file not found; give a CSV or "
                          "Parquet file with seg_id and label columns")
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise StanceError(f"{path}: framing.segment_labels must be .csv or .parquet")
    given = _read_segment_labels(path)
    for column in ("seg_id", cfg.label):
        if column not in given.columns:
            raise StanceError(f"{path}: no column '{column}' (columns: "
                              f"{', '.join(map(str, given.columns))}); add it")
    ids = given["seg_id"].astype(str)
    if not ids.is_unique:
        raise StanceError(f"{path}: seg_id '{ids[ids.duplicated()].iloc[0]}' is listed twice; "
                          "give each segment one label")
    unknown = ~ids.isin(table["unit_id"])
    if unknown.any():
        raise StanceError(f"{path}: {int(unknown.sum())} seg_id(s) are not segments of this "
                          f"corpus (e.g. '{ids[unknown].iloc[0]}'); segment ids depend on the "
                          "segmentation settings, so regenerate the file for them")
    override = pd.Series(given[cfg.label].fillna("").astype(str).str.strip().to_numpy(),
                         index=ids.to_numpy())
    # as in the corpus's label columns: a marker that is not one of its classes is no label
    override = blank_missing_labels(override, set(table["label"]),
                                    f"{path}: {{}} segments have {{}} as their label: read as "
                                    "no label")
    listed = table["unit_id"].isin(override.index)
    table = table.assign(from_file=listed)
    table.loc[listed, "label"] = table.loc[listed, "unit_id"].map(override)
    return table


def _read_segment_labels(path: Path) -> pd.DataFrame:
    """The segment labels table; a file that cannot be read is one StanceError."""
    remedy = "give a CSV or Parquet file with seg_id and label columns"
    if path.suffix.lower() == ".parquet":
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError):  # pyarrow's errors for a bad file subclass these
            raise StanceError(f"{path}: framing.segment_labels is not a readable Parquet file; "
                              f"re-save it, or {remedy}") from None
    text = read_text_file(path, list(DEFAULT_ENCODING_FALLBACKS),
                          binary=f"framing.segment_labels is a binary file, not CSV text; {remedy}",
                          empty=f"framing.segment_labels file is empty; {remedy}",
                          where=f"{path} (framing.segment_labels)")
    return parse_csv(text, path, invalid="framing.segment_labels is not valid CSV",
                     remedy="fix the line it names")


def _check_classes(table: pd.DataFrame, cfg: FramingConfig) -> tuple[tuple[str, ...],
                                                                      dict[str, int]]:
    """Class order and the classes dropped for too few documents (with their counts)."""
    found = sorted(table["label"].unique())
    if cfg.classes is not None:
        unknown = ~table["label"].isin(cfg.classes)
        if unknown.any():
            row = table[unknown].iloc[0]
            where = (f"{cfg.segment_labels}: segment '{row['unit_id']}'"
                     if row.get("from_file", False) else f"document '{row['doc_id']}'")
            raise StanceError(f"framing.classes: {where} has label '{row['label']}', not one "
                              f"of {cfg.classes}; fix the label or add it to framing.classes")
    classes = list(cfg.classes) if cfg.classes is not None else found
    documents = table.groupby("label")["doc_id"].nunique().reindex(classes, fill_value=0)
    rare = documents[documents < cfg.min_documents_per_class]
    if len(rare) and cfg.rare_classes == "error" and len(found) >= 2:
        listed = ", ".join(f"'{c}' ({n} document{'s' * (n != 1)})" for c, n in rare.items())
        raise StanceError(f"framing.label '{cfg.label}': classes {listed} have fewer than "
                          f"{cfg.min_documents_per_class} documents, too few to be both trained "
                          "and tested; label more documents or set framing.rare_classes: drop")
    dropped = {str(c): int(n) for c, n in rare.items()} if cfg.rare_classes == "drop" else {}
    kept = tuple(c for c in classes if c not in dropped)
    present = [c for c in kept if documents[c] > 0]
    if len(present) < 2:
        after = f" after dropping rare classes {dropped}" if dropped else ""
        raise StanceError(f"framing.label '{cfg.label}': {len(present)} class(es) {present} "
                          f"among labelled units{after}; a classifier needs at least two, so "
                          "label documents of another class")
    return kept, dropped


def _add_groups(table: pd.DataFrame, docs: pd.DataFrame, cfg: FramingConfig) -> pd.DataFrame:
    """Outlet and fold group of each unit, over the documents that still have units."""
    kept = docs[docs["doc_id"].isin(table["doc_id"])]
    dup = kept["dup_group"] if "dup_group" in kept.columns else kept["doc_id"]
    # Copies of one wire story across outlets must share a fold, or the model is tested on
    # text it was trained on: join their outlets into one group.
    group = pd.Series(merge_groups(kept[cfg.group].astype(str).tolist(), dup.astype(str).tolist()),
                      index=kept["doc_id"].to_numpy())
    outlet = pd.Series(kept["outlet"].astype(str).to_numpy(), index=kept["doc_id"].to_numpy())
    copies = pd.Series(dup.astype(str).to_numpy(), index=kept["doc_id"].to_numpy())
    return table.assign(outlet=table["doc_id"].map(outlet), group=table["doc_id"].map(group),
                        dup_group=table["doc_id"].map(copies))


def copy_keys(texts: Sequence[str], outlets: Sequence[str]) -> np.ndarray:
    """Per unit, a code equal for units whose text the model reads alike (:func:`text_keys`).

    Texts compare with the outlets' names, datelines, bylines and credit tags masked, as
    the model reads them: a wire paragraph under two datelines is one text.
    """
    return text_keys(FingerprintMasker(outlet_names=tuple(outlets)).transform(texts))


def evaluate_framing(corpus: Corpus, segments: Segments, cfg: FramingConfig, *, seed: int,
                     embedding: EmbeddingConfig | None = None, cache_dir: Path | None = None,
                     source: Path | None = None) -> FramingResult:
    """Evaluate the framing classifier and its baselines, then fit it on every unit.

    Grouped cross-validation (outlets held out) is the headline; a random split of
    documents runs beside it, and the majority-class and lexicon-only baselines run
    under both.

    ``metrics`` keys: label, classes, level, n_units, n_documents, n_outlets,
    n_groups, documents_per_class, dropped_classes, unlabelled_units, grouped and
    random (scores of :func:`stance.framing_eval.score_split`), baselines
    (majority and lexicon, each grouped and random), leakage_gap (random minus
    grouped macro-F1) and leakage_gap_interval (its 95% paired bootstrap interval,
    outlet groups resampled), small_n (a sentence, or None), final_model (whether the
    saved model is calibrated), cv (the schemes) and, with the embeddings feature,
    units_cut (:func:`stance.embed.count_truncated` of the units). ``source``, the corpus file or
    folder, is named in errors about a cell's value.

    Example:
        >>> result = evaluate_framing(corpus, segments, cfg.framing, seed=42)  # doctest: +SKIP
        >>> result.metrics["grouped"]["macro_f1"], result.metrics["leakage_gap"]
    """
    from stance import framing_model as fm

    units = labelled_units(corpus, segments, cfg, source=source)
    table, classes = units.table, units.classes
    texts = table["text"].to_numpy(dtype=object)
    y = table["label"].to_numpy(dtype=str)
    groups = table["group"].to_numpy(dtype=object)
    doc_ids = table["doc_id"].to_numpy(dtype=object)
    rationales = (table["rationale"].to_numpy(dtype=object) if "rationale" in table.columns
                  else None)
    outlets = tuple(sorted(corpus.documents["outlet"].astype(str).unique()))

    def build_model():
        return fm.build_pipeline(cfg, seed=seed, outlet_names=outlets, embedding=embedding,
                                 cache_dir=cache_dir)

    models = {"model": build_model, "majority": fm.build_majority_baseline,
              "lexicon": lambda: fm.build_lexicon_baseline(cfg, seed=seed)}
    grouped_name, grouped = grouped_folds(y, groups, cfg, seed=seed)
    copies = table["dup_group"].to_numpy(dtype=object)
    random_name, by_copies = random_folds(y, copies, cfg, seed=seed)
    # Resample (and calibrate) over what each split holds out: outlet groups, or documents
    # with their near-copies.
    splits = {"grouped": (grouped, groups, "outlet group"),
              "random": (by_copies, copies, "document")}
    same_text = copy_keys(texts, outlets)
    scores: dict[str, dict[str, Any]] = {name: {} for name in models}
    model_predictions: dict[str, CrossPrediction] = {}
    for split, (folds, resample, noun) in splits.items():
        for name, make in models.items():
            prediction = cross_predict(make, texts, y, folds, classes, calibration_groups=resample,
                                       calibrate=cfg.calibrate and name == "model", seed=seed,
                                       group_noun=noun,
                                       rationales=rationales if name == "model" else None,
                                       documents=doc_ids, same_text=same_text)
            scores[name][split] = score_split(
                y, prediction, classes, resample=resample, groups=groups, doc_ids=doc_ids,
                n_bootstrap=cfg.n_bootstrap, seed=seed, detail=name == "model")
            if name == "model":
                model_predictions[split] = prediction
    grouped_prediction = model_predictions["grouped"]
    # The saved model is calibrated only if calibration was scored on held-out outlets:
    # otherwise every score reported describes an uncalibrated model, and so must it.
    scored = bool(grouped_prediction.calibrated_folds)
    model, skipped = fit_model(build_model, texts, y, calibration_groups=groups,
                               calibrate=cfg.calibrate and scored, seed=seed,
                               group_noun="outlet group", rationales=rationales,
                               documents=doc_ids, same_text=same_text)
    if cfg.calibrate and not scored:
        skipped = ("no outlets-held-out fold could be calibrated (see grouped."
                   "calibration_skipped), so calibration was never scored; the saved model "
                   "is uncalibrated, as every model scored")
    documents = table.groupby("label")["doc_id"].nunique().reindex(classes)
    n_groups = len(np.unique(groups))
    metrics = {
        "label": cfg.label, "classes": list(classes), "level": units.level,
        "n_units": len(table), "n_documents": int(table["doc_id"].nunique()),
        "n_outlets": int(table["outlet"].nunique()), "n_groups": n_groups,
        "documents_per_class": {c: int(n) for c, n in documents.items()},
        "dropped_classes": dict(units.dropped_classes), "unlabelled_units": units.n_unlabelled,
        "grouped": scores["model"]["grouped"], "random": scores["model"]["random"],
        "baselines": {name: scores[name] for name in ("majority", "lexicon")},
        "leakage_gap": scores["model"]["random"]["macro_f1"]
        - scores["model"]["grouped"]["macro_f1"],
        # both splits predict every unit once: resample outlet groups, the same for both
        "leakage_gap_interval": list(bootstrap_macro_f1_gap(
            y, model_predictions["random"].predicted, grouped_prediction.predicted, classes,
            groups, cfg.n_bootstrap, seed=seed)),
        "small_n": small_n_warning(n_groups, documents),
        "outlet_label": outlet_label_warning(y, groups, doc_ids,
                                             calibrated=cfg.calibrate and scored),
        "final_model": {"calibrated": cfg.calibrate and skipped is None,
                        "calibration_skipped": skipped},
        "cv": {"grouped": grouped_name, "random": random_name, "n_splits": cfg.n_splits,
               "n_folds_grouped": int(grouped.max() + 1),
               "n_folds_random": int(by_copies.max() + 1)},
    }
    if "embeddings" in cfg.features and embedding is not None:
        # documents as units are often longer than the model reads: say how many it cut
        from stance.embed import count_truncated, load_embedder

        metrics["units_cut"] = count_truncated(list(texts), load_embedder(embedding), seed=seed)
    learned = None
    if rationales is not None:  # what the final model's cues learn from, outlet names masked
        masked = FingerprintMasker(outlet_names=outlets).fit_transform(texts.tolist())
        learned = LearnedCues().fit(masked, rationales=list(rationales)).lexicon()
    return FramingResult(metrics, _predictions(table, grouped, grouped_prediction, classes),
                         fm.top_features(model, cfg.top_n), model, learned)


def _predictions(table: pd.DataFrame, folds: np.ndarray, prediction: CrossPrediction,
                 classes: tuple[str, ...]) -> pd.DataFrame:
    out = table[["unit_id", "doc_id", "outlet", "group"]].assign(
        true=table["label"].to_numpy(), fold=folds, predicted=prediction.predicted)
    for k, name in enumerate(classes):
        out[f"proba_{name}"] = prediction.proba[:, k] if prediction.proba is not None else np.nan
    return out


def outlet_label_warning(y: np.ndarray, groups: np.ndarray, doc_ids: np.ndarray, *,
                         calibrated: bool) -> str | None:
    """A plain sentence when the label is a property of the outlet, or None.

    That is: every outlet group carries one label, and some group has several documents
    (with one document per outlet the test says nothing).
    """
    units = pd.DataFrame({"label": y, "group": groups, "doc": doc_ids}).groupby("group")
    if units["label"].nunique().max() > 1 or units["doc"].nunique().max() < 2:
        return None
    text = ("Every outlet group carries a single label, so the label is a property of the "
            "outlet: the held-out score asks whether an unseen outlet's label can be told from "
            "its text, and the random split mostly measures recognising outlets.")
    if calibrated:
        text += (" Calibration, fitted on held-out outlets, can then learn scores that run "
                 "against the truth (on BABE's outlet leaning it lowered the held-out macro-F1 "
                 "from 0.29 to 0.13); set framing.calibrate: false.")
    return text


def small_n_warning(n_groups: int, documents_per_class: pd.Series) -> str | None:
    """A plain sentence on why the scores cannot support a claim, or None when they might."""
    problems = []
    if n_groups < MIN_GROUPS:
        problems.append(f"only {n_groups} outlet groups are held out in turn (fewer than "
                        f"{MIN_GROUPS}), so the grouped score hinges on which few outlets "
                        "happen to be in the corpus")
    smallest = documents_per_class.idxmin()
    if documents_per_class[smallest] < MIN_DOCUMENTS_PER_CLASS:
        problems.append(f"class '{smallest}' has only {documents_per_class[smallest]} "
                        f"documents (fewer than {MIN_DOCUMENTS_PER_CLASS}), so each document "
                        "moves its precision and recall by 5 points or more")
    if not problems:
        return None
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "; the intervals are too wide to tell models apart."

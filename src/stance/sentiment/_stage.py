"""The actor stance stage: the model's stance toward each mention, and its agreement.

Agreement is with the user's own labelled mentions, when given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.config import ActorStanceConfig
from stance.data import ActorStance, Segments
from stance.errors import StanceError
from stance.progress import track
from stance.sentiment._contexts import (
    contexts,
    distinct_contexts,
    mention_spans,
    prediction_slices,
    stance_rows,
)
from stance.sentiment._evaluate import adapt_with_outlets_held_out, agreement, context_spans
from stance.sentiment._labels import match_labels, read_stance_labels
from stance.sentiment._model import (
    StanceModel,
    load_stance_model,
    model_identity,
    resolve_stance_model,
)
from stance.sentiment._train import tune_stance_model

log = logging.getLogger(__name__)


def measure_actor_stance(mentions: pd.DataFrame, segments: Segments, dates: pd.Series,
                         cfg: ActorStanceConfig, *, actors: Mapping[str, Sequence[str]],
                         cache_dir: Path, seed: int, n_bootstrap: int, client=None,
                         partition_size: int = 16_384) -> ActorStance:
    """The stance toward every mention of ``actors``, and the model's agreement with labels.

    The mentions come back as :data:`~stance.sentiment._contexts.SPAN_COLUMNS` with the
    stance and its probabilities: offsets into the segments, not copies of the sentences
    (:func:`stance_rows` cuts those). The model reads each distinct context and mention
    offsets once (:func:`distinct_contexts`). With ``cfg.adapt`` the model is tuned on the
    labels: scored first with each labelled outlet held out in turn, then tuned on every
    label to predict the corpus. With a Dask ``client`` the configured model predicts on its
    workers, a short slice of mentions a task; a model adapted to the labels predicts here.

    Raises:
        StanceError: an actor has no mention in the corpus, or a label names no mention.
    """
    texts = segments.table.set_index("seg_id")["text"]
    chosen = mentions[mentions["actor"].isin(list(actors))]
    _check_found(chosen, actors)
    spans = mention_spans(chosen, texts, dates, cfg)
    first, copies = distinct_contexts(spans, texts)
    reads = spans.iloc[first]
    model = load_stance_model(cfg.model, cache_dir=cache_dir)
    evaluation: dict[str, Any] = {
        "model": _model_summary(model, cfg.model, resolve_stance_model(cfg.model, cache_dir)),
        "unit": cfg.unit, "window_words": cfg.window_words,
        "distinct_contexts": len(first),
        "aliases_without_mentions": _unused_aliases(spans, actors)}
    if client is None:
        proba = _predict(model, reads, texts, partition_size)
    else:
        from stance.sentiment._distributed import predict_on_cluster

        proba = predict_on_cluster(client, cfg.model, cache_dir, reads, texts,
                                   classes=len(model.classes), partition_size=partition_size)
    predicted = _with_proba(model, spans, proba[copies])
    labelled = None
    if cfg.labels is not None:
        named = read_stance_labels(cfg.labels)
        candidates = predicted[predicted["doc_id"].isin(set(named["doc_id"]))]
        labels = match_labels(named, stance_rows(candidates, texts), cfg.labels)
        evaluation["labels"] = agreement(labels, model.classes, n_bootstrap=n_bootstrap,
                                         seed=seed)
        labelled = labels
        if cfg.adapt:
            evaluation["adaptation"], held_out = adapt_with_outlets_held_out(
                model, labels, epochs=cfg.adapt_epochs, seed=seed, n_bootstrap=n_bootstrap)
            labelled = labels.assign(adapted_held_out=held_out)
            model = tune_stance_model(model, labels["context"], context_spans(labels),
                                      labels["label"], epochs=cfg.adapt_epochs, seed=seed)
            # the corpus, by the model tuned on every label
            proba = _predict(model, reads, texts, partition_size)
            predicted = _with_proba(model, spans, proba[copies])
    return ActorStance(predicted, evaluation, labelled)


def _predict(model: StanceModel, spans: pd.DataFrame, texts: pd.Series,
             partition_size: int) -> np.ndarray:
    """The model's probabilities for every mention, a slice of contexts in memory at a time."""
    proba = np.empty((len(spans), len(model.classes)), np.float32)
    for rows in track(prediction_slices(spans, partition_size), "actor stance",
                      work=len(spans)):
        proba[rows] = model.predict_proba(*contexts(spans.iloc[rows], texts))
    return proba


def _with_proba(model: StanceModel, spans: pd.DataFrame, proba: np.ndarray) -> pd.DataFrame:
    out = spans.assign(stance=np.asarray(model.classes, dtype=object)[proba.argmax(1)])
    for k, name in enumerate(model.classes):
        out[f"p_{name}"] = proba[:, k].astype(np.float64).round(6)
    return out


def check_stance_inputs(mentions: pd.DataFrame, actors: Mapping[str, Sequence[str]],
                        cfg: ActorStanceConfig) -> None:
    """Stop before any model loads when an actor has no mention or the labels file is bad."""
    _check_found(mentions, actors)
    if cfg.labels is not None:
        read_stance_labels(cfg.labels)


def _check_found(mentions: pd.DataFrame, actors: Mapping[str, Sequence[str]]) -> None:
    counts = mentions["actor"].value_counts()
    for actor, aliases in actors.items():
        if counts.get(actor, 0) == 0:
            raise StanceError(f"actors.{actor}: no mention in the corpus (aliases: "
                              f"{', '.join(aliases)}); check how the outlets spell the name, "
                              "or leave the actor out of actor_stance.actors")


def _unused_aliases(inputs: pd.DataFrame,
                    actors: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """Aliases that match no mention, per actor (often a spelling the outlets never use)."""
    used = set(inputs["alias"])
    unused = {a: [x for x in aliases if x not in used] for a, aliases in actors.items()}
    for actor, aliases in unused.items():
        if aliases:
            log.warning("actors.%s: no mention uses the alias(es) %s; check the spelling",
                        actor, ", ".join(map(repr, aliases)))
    return {a: v for a, v in unused.items() if v}


def _model_summary(model: StanceModel, spec: str, folder: Path) -> dict[str, Any]:
    card = model.card
    return {"name": card["name"], "variant": card["variant"], "model": spec,
            "sha256": model_identity(folder),
            "base_model": card["base_model"], "tuned_layers": card["settings"]["tuned_layers"],
            "training_data": card["training_data"]["name"], "scores": card["scores"],
            "published": card.get("published", {})}

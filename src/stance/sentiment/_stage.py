"""The actor stance stage: each mention's context, the model's stance toward it, agreement.

Agreement is with the user's own labelled mentions, when given.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.config import ActorStanceConfig
from stance.corpus import sentence_spans
from stance.data import ActorStance, Segments
from stance.errors import StanceError
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
_WORD = re.compile(r"\S+")
STANCE_COLUMNS = ("doc_id", "seg_id", "outlet", "date", "actor", "alias", "mention", "sentence",
                  "mention_start", "mention_end", "seg_start", "seg_end", "context",
                  "context_start", "context_end", "stance", "p_negative", "p_neutral",
                  "p_positive")


def stance_inputs(mentions: pd.DataFrame, segments: Segments, dates: pd.Series,
                  cfg: ActorStanceConfig,
                  actors: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Each mention of ``actors`` with its sentence and the context the model reads.

    Args:
        mentions: the actors stage's mentions (seg_id, actor, alias, start, end in the segment).
        segments: their segments.
        dates: document date by doc_id.
        cfg: the unit read around a mention.
        actors: actor -> aliases whose stance is measured.

    Raises:
        StanceError: an actor has no mention in the corpus.
    """
    chosen = mentions[mentions["actor"].isin(list(actors))]
    _check_found(chosen, actors)
    texts = segments.table.set_index("seg_id")["text"]
    rows = []
    for seg_id, group in chosen.groupby("seg_id", sort=False):
        text = texts[seg_id]
        spans = sentence_spans(text)
        starts = [a for a, _ in spans]
        for m in group.itertuples(index=False):
            a, b = spans[max(0, bisect_right(starts, m.start) - 1)]
            b = max(b, m.end)  # a mention never straddles a cut
            context = _context(text, (a, b), (m.start, m.end), cfg)
            rows.append((m.doc_id, seg_id, m.outlet, m.actor, m.alias, text[m.start:m.end],
                         text[a:b], m.start - a, m.end - a, m.start, m.end,
                         text[context[0]:context[1]], m.start - context[0],
                         m.end - context[0]))
    columns = [c for c in STANCE_COLUMNS[:15] if c != "date"]
    table = pd.DataFrame(rows, columns=columns)
    table.insert(3, "date", table["doc_id"].map(dates))
    return table


def measure_actor_stance(mentions: pd.DataFrame, segments: Segments, dates: pd.Series,
                         cfg: ActorStanceConfig, *, actors: Mapping[str, Sequence[str]],
                         cache_dir: Path, seed: int, n_bootstrap: int, client=None,
                         partition_size: int = 16_384) -> ActorStance:
    """The stance toward every mention of ``actors``, and the model's agreement with labels.

    With ``cfg.adapt`` the model is tuned on the labels: scored first with each labelled
    outlet held out in turn, then tuned on every label to predict the corpus. With a Dask
    ``client`` the configured model predicts on its workers, ``partition_size`` mentions a
    task; a model adapted to the labels predicts here.
    """
    inputs = stance_inputs(mentions, segments, dates, cfg, actors)
    model = load_stance_model(cfg.model, cache_dir=cache_dir)
    evaluation: dict[str, Any] = {
        "model": _model_summary(model, cfg.model, resolve_stance_model(cfg.model, cache_dir)),
        "unit": cfg.unit, "window_words": cfg.window_words,
        "aliases_without_mentions": _unused_aliases(inputs, actors)}
    if client is None:
        predicted = _predict(model, inputs)
    else:
        from stance.sentiment._distributed import predict_on_cluster

        predicted = _with_proba(model, inputs, predict_on_cluster(
            client, cfg.model, cache_dir, inputs["context"].tolist(), context_spans(inputs),
            classes=len(model.classes), partition_size=partition_size))
    labelled = None
    if cfg.labels is not None:
        labels = match_labels(read_stance_labels(cfg.labels), predicted, cfg.labels)
        evaluation["labels"] = agreement(labels, model.classes, n_bootstrap=n_bootstrap,
                                         seed=seed)
        labelled = labels
        if cfg.adapt:
            evaluation["adaptation"], held_out = adapt_with_outlets_held_out(
                model, labels, epochs=cfg.adapt_epochs, seed=seed, n_bootstrap=n_bootstrap)
            labelled = labels.assign(adapted_held_out=held_out)
            model = tune_stance_model(model, labels["context"], context_spans(labels),
                                      labels["label"], epochs=cfg.adapt_epochs, seed=seed)
            predicted = _predict(model, inputs)  # the corpus, by the model tuned on every label
    return ActorStance(predicted, evaluation, labelled)


def _predict(model: StanceModel, inputs: pd.DataFrame) -> pd.DataFrame:
    return _with_proba(model, inputs,
                       model.predict_proba(inputs["context"].tolist(), context_spans(inputs)))


def _with_proba(model: StanceModel, inputs: pd.DataFrame, proba: np.ndarray) -> pd.DataFrame:
    out = inputs.assign(stance=np.asarray(model.classes, dtype=object)[proba.argmax(1)])
    for k, name in enumerate(model.classes):
        out[f"p_{name}"] = proba[:, k].astype(np.float64).round(6)
    return out[list(STANCE_COLUMNS)]


def _context(text: str, sentence: tuple[int, int], mention: tuple[int, int],
             cfg: ActorStanceConfig) -> tuple[int, int]:
    """The span the model reads: the sentence, or window_words words each side of the mention.

    A sentence longer than twice the window (a run-on paragraph the splitter could not cut)
    is cut to the window too, so every mention sits well inside what the model reads.
    """
    words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    if cfg.unit == "sentence":
        inside = [w for w in words if w[0] >= sentence[0] and w[1] <= sentence[1]]
        if len(inside) <= 2 * cfg.window_words + 1:
            return sentence
        words = inside
    first = next(i for i, w in enumerate(words) if w[1] > mention[0])
    last = next((i for i, w in enumerate(words) if w[0] >= mention[1]), len(words))
    lo, hi = max(0, first - cfg.window_words), min(len(words), last + cfg.window_words)
    return min(words[lo][0], mention[0]), max(words[hi - 1][1], mention[1])


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

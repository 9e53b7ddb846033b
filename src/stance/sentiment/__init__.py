"""Target-dependent sentiment: is a sentence negative, neutral or positive toward one mention.

The model reads a sentence (or a window of words around the mention) with MiniLM and
classifies the mean of the sentence's token vectors beside the mean of the mention's own
token vectors, so two actors in one sentence can get different stances. The shipped model
tunes MiniLM's top layer and the classifier on NewsMTSC (:mod:`stance.sentiment._train`).

Example:
    >>> model = load_stance_model("shipped")  # doctest: +SKIP
    >>> model.predict_proba(["Critics called Lukashenko a dictator."], [(15, 25)])  # doctest: +SKIP
"""

from stance.data import STANCE_CLASSES
from stance.sentiment._contexts import (
    SPAN_COLUMNS,
    STANCE_COLUMNS,
    mention_spans,
    stance_rows,
)
from stance.sentiment._labels import read_stance_labels
from stance.sentiment._model import (
    FINETUNED,
    SHIPPED,
    StanceModel,
    finetuned_model_dir,
    load_stance_model,
    model_identity,
    resolve_stance_model,
    shipped_model_dir,
)
from stance.sentiment._newsmtsc import NEWSMTSC_FILES, read_newsmtsc
from stance.sentiment._stage import check_stance_inputs, measure_actor_stance
from stance.sentiment._train import train_stance_model, tune_stance_model

__all__ = [
    "FINETUNED", "NEWSMTSC_FILES", "SHIPPED", "SPAN_COLUMNS", "STANCE_CLASSES",
    "STANCE_COLUMNS", "StanceModel", "check_stance_inputs", "finetuned_model_dir",
    "load_stance_model", "measure_actor_stance", "mention_spans", "model_identity",
    "read_newsmtsc", "read_stance_labels", "resolve_stance_model", "shipped_model_dir",
    "stance_rows", "train_stance_model", "tune_stance_model",
]

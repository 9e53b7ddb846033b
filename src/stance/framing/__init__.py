"""Framing: a classifier of each outlet's framing, evaluated with whole outlets held out.

Labels are data (a corpus label column); the classifier is a scikit-learn pipeline that
masks outlet fingerprints, builds its feature blocks and decides with a linear model; the
majority-class and lexicon-only baselines are scored beside it under the same folds.

Example:
    >>> units = labelled_units(corpus, segments, cfg.framing)  # doctest: +SKIP
    >>> evaluate_framing(units, cfg.framing, seed=42).metrics["grouped"]  # doctest: +SKIP
"""

from stance.framing._corpus import predict_units, unit_columns
from stance.framing._cues import LearnedCues, parse_rationale
from stance.framing._evaluate import evaluate_framing
from stance.framing._features import FingerprintMasker, LexiconCounts, SentenceEmbeddings
from stance.framing._finetune import FineTunedEmbeddings
from stance.framing._folds import merge_groups
from stance.framing._persist import TRUSTED_TYPES, load_framing_model, save_framing_model
from stance.framing._pipeline import (
    build_lexicon_baseline,
    build_majority_baseline,
    build_pipeline,
    predict_table,
    top_features,
)
from stance.framing._predict import predict_files, read_texts
from stance.framing._units import labelled_units

__all__ = [
    "TRUSTED_TYPES", "FineTunedEmbeddings", "FingerprintMasker",
    "LearnedCues", "LexiconCounts", "SentenceEmbeddings", "build_lexicon_baseline",
    "build_majority_baseline", "build_pipeline", "evaluate_framing", "labelled_units",
    "load_framing_model", "merge_groups", "parse_rationale", "predict_files", "predict_table",
    "predict_units", "read_texts", "save_framing_model", "top_features", "unit_columns",
]

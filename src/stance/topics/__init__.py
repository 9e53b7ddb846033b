"""Topics: BERTopic on the cached segment vectors, guided by seed themes, and its quality.

Example:
    >>> result = fit_topics(segments, embeddings, cfg.topics, seed=42,
    ...                     encoder=encoder)  # doctest: +SKIP
    >>> topic_metrics(result, segments, cfg.topics)["npmi_mean"]  # doctest: +SKIP
"""

from stance.topics._describe import LABEL_TERMS, THEME_MIN_SHARED_WORDS, THEME_MIN_SIMILARITY
from stance.topics._fit import fit_assignments, fit_topics, refit_settings
from stance.topics._map import map_coordinates
from stance.topics._neighbors import exact_knn, knn_graph
from stance.topics._params import MIN_SEGMENTS, resolve_params
from stance.topics._quality import npmi_coherence, stability, topic_diversity, topic_metrics
from stance.topics._store import load_topic_model, save_topic_model

__all__ = [
    "LABEL_TERMS", "MIN_SEGMENTS", "THEME_MIN_SHARED_WORDS", "THEME_MIN_SIMILARITY",
    "exact_knn", "fit_assignments", "fit_topics", "knn_graph", "load_topic_model",
    "map_coordinates", "npmi_coherence", "refit_settings", "resolve_params",
    "save_topic_model", "stability", "topic_diversity", "topic_metrics",
]

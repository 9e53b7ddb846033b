"""The settings of one fit: ``auto`` values resolved for the corpus size, and the guidance used."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from stance.config import UMAP_SMALL_CORPUS, TopicsConfig
from stance.errors import StanceError

#: Fewer segments than this cannot form even two HDBSCAN clusters of the smallest size.
MIN_SEGMENTS = 10
#: HDBSCAN min_samples under ``auto``: BERTopic's default (its min_cluster_size of 10).
AUTO_MIN_SAMPLES = 10


def resolve_params(n_segments: int, cfg: TopicsConfig) -> dict[str, Any]:
    """Resolve the ``auto`` UMAP and HDBSCAN settings for a corpus of ``n_segments``.

    UMAP's default 15 neighbours needs a corpus many times that size; small corpora get
    about a fifth of the segments (at least 2) so neighbourhoods stay local. Components
    stay at BERTopic's 5 unless the corpus is too small for them. HDBSCAN's smallest
    cluster is 1% of the segments, at least 3 (a topic of two paragraphs is noise), and
    above 10,000 segments the square root of their number (316 at 100,000): a fixed 100
    let HDBSCAN's excess-of-mass selection put 99.8% of 100,000 scale-corpus paragraphs in
    one topic (the scale benchmark), where 300 gave 23 topics. Its
    density smoothing (``min_samples``) stays at BERTopic's 10 as topics grow: HDBSCAN's
    own default ties it to the smallest cluster, and at 1% of 9,775 20 Newsgroups
    paragraphs that merged 93% of them into one of two topics (about 20 topics with 10).
    Layout epochs follow UMAP's own rule, resolved here so the run's params name them.
    Explicit values are capped to what the corpus allows.

    Raises:
        StanceError: fewer than :data:`MIN_SEGMENTS` segments.

    Example:
        >>> resolve_params(70, TopicsConfig())["hdbscan"]["min_cluster_size"]
        3
    """
    n = n_segments
    if n < MIN_SEGMENTS:
        raise StanceError(
            f"topics: {n} segments; topic modelling needs at least {MIN_SEGMENTS} — use a "
            "larger corpus or a smaller segmentation unit (segmentation.unit: sentence)")
    umap, hdb = cfg.umap, cfg.hdbscan
    n_neighbors = min(15, max(2, n // 5)) if umap.n_neighbors == "auto" else umap.n_neighbors
    n_components = 5 if umap.n_components == "auto" else umap.n_components
    min_cluster_size = (max(3, min(n // 100, math.isqrt(n))) if hdb.min_cluster_size == "auto"
                        else hdb.min_cluster_size)
    n_epochs = ((500 if n <= UMAP_SMALL_CORPUS else 200) if umap.n_epochs == "auto"
                else umap.n_epochs)
    n_neighbors = min(n_neighbors, n - 1)
    n_components = min(n_components, n - 2)
    min_cluster_size = max(2, min(min_cluster_size, n // 2))
    min_samples = (min(min_cluster_size, AUTO_MIN_SAMPLES) if hdb.min_samples == "auto"
                   else hdb.min_samples)
    min_samples = None if min_samples is None else min(min_samples, n - 1)
    return {
        "n_segments": n,
        # spectral initialisation solves an eigenproblem that fails on tiny graphs
        "umap": {"n_neighbors": n_neighbors, "n_components": n_components,
                 "min_dist": umap.min_dist, "metric": umap.metric, "n_epochs": n_epochs,
                 "init": "spectral" if n >= 100 else "random"},
        "hdbscan": {"min_cluster_size": min_cluster_size, "min_samples": min_samples,
                    "cluster_selection_method": hdb.cluster_selection_method},
        "nr_topics": cfg.nr_topics,
        "guidance": guidance_mode(cfg),
    }


def guidance_mode(cfg: TopicsConfig) -> str:
    """The configured guidance, or ``none`` when there are no seed themes."""
    return cfg.guidance if cfg.seed_themes else "none"


def guidance(cfg: TopicsConfig) -> tuple[dict[str, list[str]], bool]:
    """The seed themes the model is given (none when guidance is off) and if it is guided."""
    mode = guidance_mode(cfg)
    return (cfg.seed_themes if mode != "none" else {}), mode == "guided"


def seed_topic_list(themes: dict[str, list[str]]) -> list[list[str]]:
    """Guided BERTopic's seed words: each theme's words, lower-cased."""
    return [[w.lower() for w in words] for words in themes.values()]


def theme_text(name: str, words: Sequence[str]) -> str:
    """A theme as one text to embed: its name, then its words."""
    return f"{name}: {', '.join(words)}"


def texts_encoded_by_fit(cfg: TopicsConfig) -> list[str]:
    """The texts a fit encodes whatever the data: the seed themes, as BERTopic is given them.

    Guided modelling embeds each theme's words joined by spaces; zero-shot modelling
    embeds each theme as one text.
    """
    themes, guided = guidance(cfg)
    if guided:
        return [" ".join(words) for words in seed_topic_list(themes)]
    return [theme_text(name, words) for name, words in themes.items()]

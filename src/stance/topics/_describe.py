"""Describing a fitted model: each topic's size, terms, label and matched seed theme."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stance.topics._params import theme_text

#: A topic matches the theme closest to its centroid at this cosine similarity. On the seeds,
#: MiniLM puts topic centroids 0.0-0.25 from unrelated theme descriptions and 0.3-0.45 from
#: related ones.
THEME_MIN_SIMILARITY = 0.35
#: Below that similarity a topic still matches a theme of which its top terms contain this
#: many words. One is not enough: "troops" in "russian troops" put the seeds' invasion topic
#: under "military supply" at similarity 0.19.
THEME_MIN_SHARED_WORDS = 2
#: Terms kept per topic in the label.
LABEL_TERMS = 3


def ranked_terms(model, n: int) -> pd.DataFrame:
    """Each topic's ``n`` terms of highest c-TF-IDF weight, whatever the representation.

    Returns:
        Columns topic, rank (from 1) and term.
    """
    words = model.vectorizer_model.get_feature_names_out()
    rows = []
    # c-TF-IDF rows follow the sorted topic ids (BERTopic groups documents by topic)
    for row, topic in enumerate(sorted(model.topic_sizes_)):
        weights = model.c_tf_idf_[row].toarray().ravel()
        order = np.argsort(-weights, kind="stable")[:n]
        rows += [(topic, rank, str(words[i]))
                 for rank, i in enumerate((i for i in order if weights[i] > 0), start=1)]
    return pd.DataFrame(rows, columns=["topic", "rank", "term"])


def theme_vectors(themes: dict[str, list[str]], encoder) -> dict[str, np.ndarray]:
    """Each seed theme's unit vector (its name and words embedded as one text)."""
    if not themes:
        return {}
    vectors = encoder.encode([theme_text(n, w) for n, w in themes.items()])
    return dict(zip(themes, unit_rows(vectors), strict=True))


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """``vectors`` scaled to length 1 (zero rows left as they are)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)


def describe_topics(model, topics: np.ndarray, vectors: np.ndarray,
                    themes: dict[str, list[str]], vectors_by_theme: dict[str, np.ndarray],
                    top_n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The topic table (size, share, theme, label, terms) and the long term table."""
    ids = sorted(set(topics.tolist()) | {-1})
    rows, term_rows = [], []
    theme_matrix = np.vstack(list(vectors_by_theme.values())) if themes else np.zeros((0, 1))
    for topic in ids:
        members = topics == topic
        words = [(w, float(s)) for w, s in (model.get_topic(topic) or []) if w][:top_n]
        term_rows += [(topic, rank, w, s) for rank, (w, s) in enumerate(words, start=1)]
        # a product, not vectors[members]: no copy of a topic holding most of a large corpus
        centroid = members.astype(vectors.dtype) @ vectors / max(int(members.sum()), 1)
        theme, similarity, shared = _match_theme(centroid if members.any() else None,
                                                 [w for w, _ in words], theme_matrix, themes,
                                                 topic)
        top = ", ".join(w for w, _ in words[:LABEL_TERMS])
        label = "outliers" if topic == -1 else f"{theme}: {top}" if theme else top
        rows.append({"topic": topic, "label": label, "size": int(members.sum()),
                     "share": float(members.mean()), "seed_theme": theme,
                     "seed_similarity": similarity, "seed_words": "; ".join(shared),
                     "terms": "; ".join(f"{w} ({s:.3f})" for w, s in words)})
    terms = pd.DataFrame(term_rows, columns=["topic", "rank", "term", "weight"])
    return pd.DataFrame(rows), terms


def _match_theme(centroid: np.ndarray | None, words: list[str], theme_matrix: np.ndarray,
                 themes: dict[str, list[str]],
                 topic: int) -> tuple[str, float, list[str]]:
    """The seed theme a topic matches, the centroid's similarity to it, and the shared words.

    Themes are ranked by how many of their words are among the topic's top terms (as a
    term or a word of an n-gram term), then by the similarity of the topic's centroid. The
    first that has a similarity of at least :data:`THEME_MIN_SIMILARITY`, or
    :data:`THEME_MIN_SHARED_WORDS` words shared, matches. An unmatched topic reports the
    closest theme's similarity and no words.
    """
    names = list(themes)
    if not names or centroid is None:
        return "", float("nan"), []
    similarities = theme_matrix @ unit_rows(centroid)
    tokens = {token for term in words for token in [term, *term.split()]}
    shared = [sorted({w.lower() for w in themes[name]} & tokens) for name in names]
    ranked = sorted(range(len(names)), key=lambda i: (-len(shared[i]), -similarities[i]))
    for i in ranked if topic != -1 else []:
        if similarities[i] >= THEME_MIN_SIMILARITY or len(shared[i]) >= THEME_MIN_SHARED_WORDS:
            return names[i], float(similarities[i]), shared[i]
    return "", float(similarities.max()), []

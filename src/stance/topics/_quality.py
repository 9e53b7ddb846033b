"""Topic quality: NPMI coherence, topic diversity and stability across seeds."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from stance.config import TopicsConfig
from stance.data import Segments, TopicResult

#: Added to the joint probability before the logarithms, as gensim does, so a pair that
#: never co-occurs gets a finite score instead of -inf: log(eps / (P(a) P(b))) / -log(eps),
#: which is -1 only as P(a) P(b) reaches 1 (-0.9 at 1/4, -0.5 at 1/1000), as in gensim.
EPSILON = 1e-12


def npmi_coherence(topic_terms: Sequence[Sequence[str]], texts: Sequence[str], *, top_n: int = 10,
                   analyzer: Callable[[str], list[str]] | None = None) -> list[float]:
    """NPMI of each topic's top terms, from boolean co-occurrence in whole documents.

    For each pair of terms, P is the share of ``texts`` containing them;
    NPMI = log((P(a,b) + eps) / (P(a) P(b))) / -log(P(a,b) + eps), as gensim's
    ``c_npmi`` with one window per document (eps = :data:`EPSILON`). A topic scores the
    mean over its term pairs; a pair with a term absent from every text scores -1.

    Args:
        topic_terms: terms per topic, best first; n-gram terms are words joined by spaces.
        texts: the documents (here: the run's segments).
        top_n: terms per topic that count.
        analyzer: text -> terms, the topic model's own (so n-grams and stopwords match);
            default lower-cased word n-grams up to the longest term.

    Returns:
        One score per topic in [-1, 1] (NaN for a topic with fewer than two terms).

    Example:
        >>> npmi_coherence([["a", "b"]], ["a b", "a b", "c"])
        [1.0]
    """
    from sklearn.feature_extraction.text import CountVectorizer

    tops = [list(dict.fromkeys(t))[:top_n] for t in topic_terms]
    vocabulary = sorted({term for terms in tops for term in terms})
    if not vocabulary:
        return [float("nan")] * len(tops)
    if analyzer is None:
        longest = max(len(term.split()) for term in vocabulary)
        analyzer = CountVectorizer(ngram_range=(1, longest), token_pattern=r"(?u)\b\w+\b")\
            .build_analyzer()
    vectorizer = CountVectorizer(analyzer=analyzer, vocabulary=vocabulary, binary=True)
    presence = vectorizer.transform(texts).tocsc().astype(np.float64)
    n_docs = max(len(texts), 1)
    scores = []
    for terms in tops:
        if len(terms) < 2:
            scores.append(float("nan"))
            continue
        columns = presence[:, [vectorizer.vocabulary_[t] for t in terms]]
        joint = (columns.T @ columns).toarray() / n_docs
        single = np.diag(joint).copy()
        scores.append(_mean_npmi(joint, single))
    return scores


def _mean_npmi(joint: np.ndarray, single: np.ndarray) -> float:
    upper = np.triu_indices(len(single), k=1)
    p_ab, p_a, p_b = joint[upper], single[upper[0]], single[upper[1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log((p_ab + EPSILON) / (p_a * p_b)) / -np.log(p_ab + EPSILON)
    npmi[(p_a == 0) | (p_b == 0)] = -1.0
    return float(np.clip(npmi, -1.0, 1.0).mean())  # epsilon can push 1 a hair past 1


def topic_diversity(topic_terms: Sequence[Sequence[str]], k: int = 25) -> float:
    """Share of distinct terms among every topic's top ``k`` (OCTIS TopicDiversity).

    Topics listing fewer than ``k`` terms count the terms they list.

    Example:
        >>> topic_diversity([["a", "b"], ["b", "c"]], k=2)
        0.75
    """
    tops = [list(t)[:k] for t in topic_terms]
    total = sum(len(t) for t in tops)
    if total == 0:
        return float("nan")
    return len({term for t in tops for term in t}) / total


def stability(fits: Sequence[Sequence[int]]) -> dict:
    """Adjusted Rand index between the topic assignments of every pair of fits.

    The outlier topic -1 counts as one cluster in ``ari``: two fits that leave the same
    segments out agree on them. ``ari_topics`` compares only the segments both fits put
    in a topic, so agreement on outliers cannot carry it (None for a pair with fewer
    than two such segments).

    Returns:
        ``{"runs": number of fits, "ari_mean": mean over pairs or None, "ari": one per
        pair, in the order (0, 1), (0, 2), ..., (1, 2), ..., "ari_topics_mean",
        "ari_topics"}``.

    Example:
        >>> stability([[0, 0, 1, -1], [1, 1, 0, -1]])["ari_mean"]
        1.0
    """
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score

    aris, in_topics = [], []
    for a, b in combinations(fits, 2):
        a, b = np.asarray(a), np.asarray(b)
        aris.append(float(adjusted_rand_score(a, b)))
        both = (a != -1) & (b != -1)
        in_topics.append(float(adjusted_rand_score(a[both], b[both])) if both.sum() >= 2
                         else None)
    scored = [v for v in in_topics if v is not None]
    return {"runs": len(fits), "ari_mean": float(np.mean(aris)) if aris else None, "ari": aris,
            "ari_topics_mean": float(np.mean(scored)) if scored else None,
            "ari_topics": in_topics}


def topic_metrics(result: TopicResult, segments: Segments, cfg: TopicsConfig) -> dict:
    """Every quality figure of a topic model, JSON-ready, for metrics.json.

    NPMI uses each topic's reported terms and the model's own analyzer; diversity uses
    the c-TF-IDF ranking (the representation lists only ``top_n_words``); stability
    compares the fit with its refits (seeds ``seed + 1``, ``seed + 2``, ...). The outlier
    topic -1 is left out of NPMI and diversity. A model fitted on a sample is scored on the
    sample (the texts its terms were counted in); ``fit_sample`` then says how large it
    was and how well assigning agrees with the fit.

    Args:
        result: the topics stage's result, refits included.
        segments: the segments, those the model was fitted on among them.
        cfg: the topics section used for the fit.
    """
    from stance.topics._fit import vectorizer
    from stance.topics._terms import term_texts

    terms = result.terms[result.terms["topic"] != -1]
    reported = [list(group["term"]) for _, group in terms.groupby("topic", sort=True)]
    fitted = result.assignments["fitted"].to_numpy()
    if not fitted.all():
        segments = Segments(segments.table[fitted])
    texts = term_texts(segments, cfg)  # the texts the terms were counted in
    npmi = npmi_coherence(reported, texts, analyzer=vectorizer(cfg).build_analyzer())
    ranked = result.ranked_terms[result.ranked_terms["topic"] != -1]
    ranked = [list(group["term"]) for _, group in ranked.groupby("topic", sort=True)]
    topic_ids = sorted(terms["topic"].unique().tolist())
    refits = result.refits.drop(columns="seg_id")
    fit = result.assignments["topic"].to_numpy()[fitted]
    fits = [fit, *(refits[c].to_numpy() for c in refits)]
    outliers = result.assignments["topic"] == -1
    sample = result.params.get("fit_sample")
    return {
        "n_topics": int((result.topics["topic"] != -1).sum()),
        "outlier_share": float(outliers.mean()),
        "npmi": {str(t): _json_float(s) for t, s in zip(topic_ids, npmi, strict=True)},
        "npmi_mean": _json_float(np.nanmean(npmi)) if npmi else None,
        "npmi_weighted": _json_float(_size_weighted(npmi, result.topics, topic_ids)),
        "diversity_10": _json_float(topic_diversity(ranked, 10)),
        "diversity_25": _json_float(topic_diversity(ranked, 25)),
        "stability": stability([f.tolist() for f in fits]),
        **({"fit_sample": sample} if sample else {}),
    }


def _size_weighted(scores: Sequence[float], topics, topic_ids: Sequence[int]) -> float:
    """Mean of the topics' scores weighted by their segments (NaN scores left out).

    The plain mean gives a topic of one segment, whose terms co-occur in that segment
    alone and so score near 1, the weight of a topic of hundreds.
    """
    sizes = topics.set_index("topic")["size"].reindex(topic_ids).to_numpy(dtype=float)
    values = np.asarray(scores, dtype=float)
    kept = ~np.isnan(values) & (sizes > 0)
    return float(np.average(values[kept], weights=sizes[kept])) if kept.any() else float("nan")


def _json_float(value) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value

"""The texts topic terms are counted in: the segments without outlet names and site furniture.

An outlet's name in its own headlines ("Ukrinform: Zelensky met ...") or a site's
navigation and section labels ("View news", "Life spotlight") are frequent in one outlet's
segments and say nothing about the topic; left in, they become topic labels such as
"ukrinform zelensky". The segments' vectors, and so which topic a segment joins, are not
touched: only the terms that describe topics are.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from stance.config import TopicsConfig
from stance.corpus import outlet_name_pattern
from stance.data import Segments

#: A term is site furniture when it is in at least this many of one outlet's documents ...
FURNITURE_MIN_DOCUMENTS = 3
#: ... and at least this share of them ...
FURNITURE_MIN_SHARE = 0.2
#: ... and in at most this share of that share of the other outlets' documents ...
FURNITURE_ELSEWHERE = 0.1
#: ... of which there are at least this many (without them nothing tells furniture apart).
FURNITURE_MIN_OTHERS = 20


def term_texts(segments: Segments, cfg: TopicsConfig) -> list[str]:
    """Each segment's text with outlet names and site furniture blanked, as ``cfg`` asks."""
    texts = segments.table["text"]
    patterns = []
    if cfg.exclude_outlet_names:
        patterns.append(outlet_name_pattern(sorted(segments.table["outlet"].astype(str).unique())))
    if cfg.exclude_site_furniture:
        patterns.append(_phrases_pattern(site_furniture(segments, cfg)))
    patterns = [p for p in patterns if p is not None]
    if not patterns:
        return texts.tolist()
    return [_blank(text, patterns) for text in texts]


def site_furniture(segments: Segments, cfg: TopicsConfig) -> list[str]:
    """Terms (as topic terms are counted) that one outlet repeats across its documents.

    A term qualifies when it is in :data:`FURNITURE_MIN_DOCUMENTS` or more of one outlet's
    documents and :data:`FURNITURE_MIN_SHARE` of them, while the other outlets' documents
    (at least :data:`FURNITURE_MIN_OTHERS`) have it at most a tenth as often
    (:data:`FURNITURE_ELSEWHERE`): an outlet's own words, not its topics.
    """
    from scipy.sparse import csr_matrix
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    table = segments.table
    doc_codes, doc_ids = pd.factorize(table["doc_id"])
    outlet_of_doc = table.groupby(doc_codes, sort=True)["outlet"].first().astype(str)
    outlet_codes, outlets = pd.factorize(outlet_of_doc)
    docs_per_outlet = np.bincount(outlet_codes)
    if docs_per_outlet.max() < FURNITURE_MIN_DOCUMENTS:
        return []
    stop = sorted(ENGLISH_STOP_WORDS | {w.lower() for w in cfg.stopwords})
    counter = CountVectorizer(stop_words=stop, ngram_range=tuple(cfg.ngram_range), binary=True,
                              min_df=FURNITURE_MIN_DOCUMENTS)
    try:
        present = counter.fit_transform(table["text"])
    except ValueError:  # no term in enough segments
        return []
    # segments -> documents -> outlets, counting each document once
    to_docs = csr_matrix((np.ones(len(doc_codes)), (doc_codes, np.arange(len(doc_codes)))),
                         shape=(len(doc_ids), len(doc_codes)))
    in_docs = (to_docs @ present) > 0
    to_outlets = csr_matrix((np.ones(len(outlet_codes)), (outlet_codes,
                                                           np.arange(len(outlet_codes)))),
                            shape=(len(outlets), len(outlet_codes)))
    # documents of each outlet with each term, kept sparse: a dense outlet x term matrix is
    # hundreds of MB with a few hundred outlets, and only terms an outlet uses can qualify
    per_outlet = (to_outlets @ in_docs.astype(np.float64)).tocoo()
    outlet, term, count = per_outlet.row, per_outlet.col, per_outlet.data
    others = (len(doc_ids) - docs_per_outlet)[outlet]
    share = count / docs_per_outlet[outlet]
    in_all = np.asarray(per_outlet.sum(axis=0)).ravel()
    elsewhere = (in_all[term] - count) / np.maximum(others, 1)
    qualifies = ((count >= FURNITURE_MIN_DOCUMENTS) & (share >= FURNITURE_MIN_SHARE)
                 & (others >= FURNITURE_MIN_OTHERS) & (elsewhere <= FURNITURE_ELSEWHERE * share))
    furniture = np.unique(term[qualifies])
    return sorted(counter.get_feature_names_out()[furniture].tolist())


def _phrases_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern of ``terms``, their words apart by anything but letters."""
    if not terms:
        return None
    body = "|".join(r"\W+".join(re.escape(word) for word in term.split())
                    for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _blank(text: str, patterns: list[re.Pattern[str]]) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text

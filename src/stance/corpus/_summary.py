"""Corpus summary tables: documents, segments, words and dates per outlet."""

from __future__ import annotations

import pandas as pd

from stance.data import Corpus, Segments


def summarise_outlets(corpus: Corpus, segments: Segments) -> pd.DataFrame:
    """One row per outlet (plus a total): documents, segments, words, first and last date."""
    docs = corpus.documents
    words = docs["text"].str.count(r"\S+")  # splitting would hold every word of the corpus
    per_outlet = pd.DataFrame({
        "documents": docs.groupby("outlet").size(),
        "words": words.groupby(docs["outlet"]).sum(),
        "first_date": docs.groupby("outlet")["date"].min(),
        "last_date": docs.groupby("outlet")["date"].max(),
    })
    per_outlet["segments"] = segments.table.groupby("outlet").size()
    per_outlet = per_outlet.fillna({"segments": 0}).astype({"segments": "int64"})
    total = pd.DataFrame({
        "documents": [len(docs)], "words": [int(words.sum())],
        "first_date": [docs["date"].min()], "last_date": [docs["date"].max()],
        "segments": [len(segments)],
    }, index=["all outlets"])
    table = pd.concat([per_outlet.sort_values("documents", ascending=False), total])
    table.index.name = "outlet"
    return table[["documents", "segments", "words", "first_date", "last_date"]].reset_index()

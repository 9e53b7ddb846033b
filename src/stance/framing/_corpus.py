"""The fitted framing model over a whole corpus: every segment (or document), labelled or not.

The classifier is trained and scored on the labelled units; these are its predictions for
all of them, which the outlet comparison counts. Tables arrive in parts, so a corpus of
millions of segments is predicted part by part, on Dask workers or in one process.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from stance.framing._pipeline import predict_table


def unit_columns(level: Literal["document", "segment"]) -> list[str]:
    """The columns :func:`predict_units` reads from the segments or the cleaned documents."""
    return [*(["seg_id"] if level == "segment" else []), "doc_id", "outlet", "text"]


def predict_units(pipeline, rows: pd.DataFrame,
                  level: Literal["document", "segment"]) -> pd.DataFrame:
    """The model's framing label and class probabilities for each segment or document row.

    Args:
        pipeline: a fitted framing pipeline (:func:`stance.framing.build_pipeline`).
        rows: segments (seg_id, doc_id, outlet, text) or documents (doc_id, outlet, text).
        level: which of the two ``rows`` are: the level the model was trained at.

    Returns:
        unit_id, doc_id, outlet, predicted, then proba_<class> per class (NaN for a model
        without probabilities), in the order of ``rows``.
    """
    ids = rows["seg_id" if level == "segment" else "doc_id"].astype(str)
    table = predict_table(pipeline, rows["text"].tolist(), ids.tolist())
    table = table.rename(columns={"id": "unit_id"})
    table.insert(1, "doc_id", rows["doc_id"].astype(str).to_numpy())
    table.insert(2, "outlet", rows["outlet"].astype(str).to_numpy())
    table["predicted"] = table["predicted"].astype(str)
    return table

"""Plain sentences for the report on how far a framing evaluation can be trusted."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Below these, scores describe the few outlets and documents at hand, not a population:
#: fewer held-out groups make the grouped score hinge on which outlets happen to be in the
#: corpus; fewer documents per class move per-class scores by 5+ points per document.
MIN_GROUPS = 10
MIN_DOCUMENTS_PER_CLASS = 20
#: The label counts as the outlet's when at least this share of the documents of outlets
#: with several documents carry their outlet's most common label (a rating that changed
#: once over the years does not hide it).
OUTLET_LABEL_SHARE = 0.95


def outlet_label_warning(y: np.ndarray, outlets: np.ndarray, doc_ids: np.ndarray, *,
                         calibrated: bool) -> str | None:
    """A plain sentence when the label is a property of the outlet, or None.

    Looked at outlet by outlet, whatever groups near-duplicate documents join: among the
    outlets with several documents, the label is the outlet's when nearly every document
    carries its outlet's most common label (:data:`OUTLET_LABEL_SHARE`). With one document
    per outlet the test says nothing.
    """
    docs = pd.DataFrame({"label": y, "outlet": outlets, "doc": doc_ids}).drop_duplicates("doc")
    sizes = docs.groupby("outlet")["doc"].transform("size")
    several = docs[sizes >= 2]
    if several.empty:
        return None
    usual = several.groupby("outlet")["label"].transform(lambda s: s.mode().iloc[0])
    agree = float((several["label"] == usual).mean())
    if agree < OUTLET_LABEL_SHARE:
        return None
    per_outlet = several.groupby("outlet")["label"].nunique()
    text = (f"In {int((per_outlet == 1).sum())} of {len(per_outlet)} outlets with several "
            f"documents every document carries one label, and {agree:.0%} of their documents "
            "carry their outlet's most common one: the label is a property of the outlet. The "
            "outlets-held-out score asks whether an unseen outlet's label can be told from its "
            "text; the random split mostly measures recognising outlets.")
    if calibrated:
        text += (" Calibration, fitted on held-out outlets, can then learn scores that run "
                 "against the truth and turn predictions around; set framing.calibrate: false "
                 "(the default).")
    return text


def small_n_warning(n_groups: int, documents_per_class: pd.Series) -> str | None:
    """A plain sentence on why the scores cannot support a claim, or None when they might."""
    problems = []
    if n_groups < MIN_GROUPS:
        problems.append(f"only {n_groups} outlet groups are held out in turn (fewer than "
                        f"{MIN_GROUPS}), so the grouped score hinges on which few outlets "
                        "happen to be in the corpus")
    smallest = documents_per_class.idxmin()
    if documents_per_class[smallest] < MIN_DOCUMENTS_PER_CLASS:
        problems.append(f"class '{smallest}' has only {documents_per_class[smallest]} "
                        f"documents (fewer than {MIN_DOCUMENTS_PER_CLASS}), so each document "
                        "moves its precision and recall by 5 points or more")
    if not problems:
        return None
    text = "; ".join(problems)
    return text[0].upper() + text[1:] + "; the intervals are too wide to tell models apart."

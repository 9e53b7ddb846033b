"""What a framing model reads of each text, text by text: the first step of its pipeline.

Masking outlet fingerprints, counting cues and looking up sentence embeddings learn
nothing from the training texts, so their output for a text is the same in every fold.
:class:`TextFeatures` does all three as one step; cross-validation computes it once for
every unit and fits only the steps after it per fold, which learn (TF-IDF vocabulary and
idf, scaling, the classifier).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from stance.framing._features import FingerprintMasker, LexiconCounts, SentenceEmbeddings

#: Patterns of the column names of each per-text block, for column selectors downstream.
LEXICON_COLUMNS = r"^(?:lexicon|cue):"
EMBEDDING_COLUMNS = r"^embedding:"


class TextFeatures(BaseEstimator, TransformerMixin):
    """Masked text, cue counts and sentence embeddings of each text, as one table.

    Nothing is learned: ``fit`` builds the lexicon and notes the embedding model, whatever
    the texts. The output has a ``text`` column (the text with outlet fingerprints
    masked, see :class:`FingerprintMasker`), then the cue-count columns
    (``lexicon:<category>``, ``cue:<cue>``) if ``lexicon`` is set, then the embedding
    columns (``embedding:dim <k>``) if ``embeddings`` is set. Embeddings are of the masked
    text, so an outlet's name in a paragraph does not reach the classifier through them.

    Args:
        outlet_names: names masked from every text.
        lexicon: the cue counter (:class:`LexiconCounts`), or None for no cue columns.
        embeddings: the embedder (:class:`SentenceEmbeddings`), or None for none.

    Example:
        >>> TextFeatures(["TSN.ua"], lexicon=LexiconCounts()).fit_transform(
        ...     ["TSN.ua: the self-proclaimed president"])["text"].tolist()
        ['the self-proclaimed president']
    """

    def __init__(self, outlet_names: Sequence[str] = (), lexicon: LexiconCounts | None = None,
                 embeddings: SentenceEmbeddings | None = None):
        self.outlet_names = outlet_names
        self.lexicon = lexicon
        self.embeddings = embeddings

    def fit(self, X, y=None):
        """Build the lexicon and note the embedding model (nothing depends on ``X``)."""
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None) -> pd.DataFrame:
        """The table of ``X``; embeds once (the embedder notes its vector length)."""
        return self._table(X, fitting=True)

    def transform(self, X) -> pd.DataFrame:
        """The table of ``X``: ``text``, then cue counts and embeddings as configured."""
        return self._table(X, fitting=False)

    def _table(self, X, *, fitting: bool) -> pd.DataFrame:
        masked = FingerprintMasker(outlet_names=tuple(self.outlet_names)).transform(X)
        blocks = [pd.DataFrame({"text": pd.Series(masked, dtype=object)})]
        for block in (self.lexicon, self.embeddings):
            if block is None:
                continue
            values = block.fit_transform(masked) if fitting else block.transform(masked)
            blocks.append(pd.DataFrame(np.asarray(values),
                                       columns=block.get_feature_names_out()))
        if fitting:
            self.feature_names_out_ = np.concatenate([b.columns for b in blocks]).astype(object)
        return pd.concat(blocks, axis=1)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``text``, then the cue and embedding column names."""
        return self.feature_names_out_

"""BERTopic whose integer ``nr_topics`` counts topics, not the outlier topic -1 with them.

BERTopic 0.17 merges topics down to ``nr_topics`` *including* the outlier topic: with
outliers, ``nr_topics: 10`` gave 9 topics. A researcher asking for 10 topics means 10 they
can read, so :class:`CountedBERTopic` merges to ``nr_topics`` topics besides -1. Imported
lazily (it imports bertopic, see :mod:`stance.bertopic_imports`).
"""

from __future__ import annotations

from stance.bertopic_imports import import_bertopic

BERTopic = import_bertopic().BERTopic


class CountedBERTopic(BERTopic):
    """:class:`bertopic.BERTopic` with ``nr_topics`` = the topics left besides outliers."""

    def _reduce_to_n_topics(self, documents, use_ctfidf: bool = False):
        # BERTopic clusters the real topics into nr_topics - _outliers groups (its line
        # "AgglomerativeClustering(self.nr_topics - self._outliers, ...)"): add them back.
        # Its caller reduces only while nr_topics < topics counted with -1, which also
        # holds for every count that merges here.
        self.nr_topics += self._outliers
        try:
            return super()._reduce_to_n_topics(documents, use_ctfidf)
        finally:
            self.nr_topics -= self._outliers

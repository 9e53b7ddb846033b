"""Outlet comparison: topic prevalence, actor naming and stance, class shares, distinctive terms.

Example:
    >>> topic_prevalence(result.assignments, segments, cfg.analysis, seed=42)  # doctest: +SKIP
"""

from stance.analysis._actor_stance import (
    SHARE_COLUMNS,
    actor_stance_over_time,
    tabulate_actor_stance,
)
from stance.analysis._actors import (
    DESCRIPTOR_CLASSES,
    MENTION_COLUMNS,
    NAMING_COLUMNS,
    find_mentions,
    name_actors,
    tabulate_actor_naming,
)
from stance.analysis._class_shares import class_shares, document_counts, sum_counts
from stance.analysis._distinctive import ALPHA, distinctive_terms, familywise_z, log_odds
from stance.analysis._prevalence import choose_period, topic_prevalence, topics_over_time

__all__ = [
    "ALPHA", "DESCRIPTOR_CLASSES", "MENTION_COLUMNS", "NAMING_COLUMNS", "SHARE_COLUMNS",
    "actor_stance_over_time", "choose_period", "class_shares", "distinctive_terms",
    "document_counts", "familywise_z", "find_mentions", "log_odds", "name_actors",
    "sum_counts", "tabulate_actor_naming", "tabulate_actor_stance", "topic_prevalence",
    "topics_over_time",
]

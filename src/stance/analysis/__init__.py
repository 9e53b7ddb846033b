"""Outlet comparison: topic prevalence per outlet and period, actor naming, distinctive terms.

Example:
    >>> topic_prevalence(result.assignments, segments, cfg.analysis, seed=42)  # doctest: +SKIP
"""

from stance.analysis._actors import (
    DESCRIPTOR_CLASSES,
    MENTION_COLUMNS,
    NAMING_COLUMNS,
    find_mentions,
    name_actors,
    tabulate_actor_naming,
)
from stance.analysis._distinctive import ALPHA, distinctive_terms, familywise_z, log_odds
from stance.analysis._prevalence import choose_period, topic_prevalence, topics_over_time

__all__ = [
    "ALPHA", "DESCRIPTOR_CLASSES", "MENTION_COLUMNS", "NAMING_COLUMNS", "choose_period",
    "distinctive_terms", "familywise_z", "find_mentions", "log_odds", "name_actors",
    "tabulate_actor_naming",
    "topic_prevalence", "topics_over_time",
]

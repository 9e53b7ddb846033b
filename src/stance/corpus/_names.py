"""Outlet names as they appear in text: each name, and the name without its top-level domain."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from stance.corpus._alternation import trie_alternation

# Top-level domains dropped to get an outlet's bare name ("TSN.ua" -> "TSN").
_TLD = re.compile(r"\.(?:com|net|org|info|news|ua|ru|by|uk|co\.uk|com\.ua|eu|de|pl|lt|kz)$",
                  re.IGNORECASE)


def outlet_name_pattern(outlet_names: Sequence[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern of every outlet name on word boundaries, or None for none.

    Each name also matches without its top-level domain ("TSN.ua" also matches "TSN"); a
    one-letter variant is left out, since it would match ordinary words.

    Example:
        >>> outlet_name_pattern(["TSN.ua"]).sub("", "TSN reports").strip()
        'reports'
    """
    return _pattern(tuple(str(n) for n in outlet_names))


@lru_cache(maxsize=32)
def _pattern(outlet_names: tuple[str, ...]) -> re.Pattern[str] | None:
    variants = set()
    for name in outlet_names:
        name = name.strip()
        variants |= {v for v in (name, _TLD.sub("", name)) if len(v) > 1}
    if not variants:
        return None
    body = trie_alternation([re.escape(ch) for ch in v] for v in variants)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)

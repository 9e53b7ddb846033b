"""Framing-cue lexicon: packaged YAML cues plus the experiment's, matched on word boundaries.

Cues are data (``data/lexicon.yaml``), grouped in categories (delegitimising,
official, speculative, and any the config adds). Matching is case-insensitive;
a trailing ``*`` matches any word ending, and whitespace inside a cue matches any
run of whitespace, so a cue split over a line break still counts. One exception: a
cue spelled like a name (:data:`NAME_HOMOGRAPHS`: "may") does not match its
capitalised form inside a sentence ("on 9 May", "Theresa May").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

import numpy as np
import yaml

from stance.corpus._alternation import trie_alternation
from stance.errors import StanceError

#: Cues spelled like proper nouns (the month May, Theresa May): capitalised inside a
#: sentence ("on 9 May", "in May", "Theresa May said"), they are the name, not the cue.
NAME_HOMOGRAPHS = frozenset({"may"})
#: What may end the previous sentence: a capitalised homograph right after it can be the cue.
_SENTENCE_END = re.compile(r"(?:\A|[.!?:;\"\u201d)\]]|\n)\s*\Z")
#: Characters before a homograph searched for that end: the search stays short on long texts.
_LOOK_BACK = 80
#: Descriptor class of a phrase with no cue of these categories (see :meth:`Lexicon.classify`).
NEUTRAL = "neutral"
#: Categories that classify an actor's descriptor, strongest first: a phrase with both a
#: delegitimising and an official cue ("self-proclaimed president of") is delegitimising.
DESCRIPTOR_CATEGORIES = ("delegitimising", "official")


@dataclass(frozen=True)
class CueMatch:
    """One cue found in a text: its category, the cue as written in the lexicon, and where."""

    category: str
    cue: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Lexicon:
    """Cues per category; build with :func:`load_lexicon`."""

    cues: Mapping[str, tuple[str, ...]]

    @property
    def categories(self) -> tuple[str, ...]:
        """Category names in lexicon order."""
        return tuple(self.cues)

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str]]:
        # One pattern per category, preferring the longest cue, so "according to belta" is
        # one match rather than also counting "belta" inside it. No capture group per cue
        # (they make re several times slower): the cue is found from the match.
        return {category: re.compile(rf"(?<!\w){trie_alternation(map(_cue_atoms, cues))}(?!\w)",
                                     re.IGNORECASE)
                for category, cues in self.cues.items()}

    @cached_property
    def _ordered(self) -> dict[str, list[str]]:
        return {cat: sorted(cues, key=len, reverse=True) for cat, cues in self.cues.items()}

    @cached_property
    def _cue_patterns(self) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
        return {cat: [(cue, re.compile(_cue_regex(cue), re.IGNORECASE)) for cue in cues]
                for cat, cues in self._ordered.items()}

    def matches(self, text: str) -> list[CueMatch]:
        """Every cue occurrence in ``text``, in order of position.

        Example:
            >>> [m.cue for m in load_lexicon().matches("The self-proclaimed president")]
            ['self-proclaimed']
        """
        found = [match for category in self._patterns
                 for match in self._category_matches(category, text)]
        return sorted(found, key=lambda m: (m.start, m.category))

    def count(self, texts: Sequence[str]) -> np.ndarray:
        """Cue occurrences per text and category: an (n_texts, n_categories) int array."""
        counts = np.zeros((len(texts), len(self.cues)), dtype=np.int32)
        for j, category in enumerate(self._patterns):
            for i, text in enumerate(texts):
                counts[i, j] = sum(1 for _ in self._category_matches(category, text))
        return counts

    def _category_matches(self, category: str, text: str) -> Iterator[CueMatch]:
        """The category's cues in ``text``, without names spelled like a cue."""
        for match in self._patterns[category].finditer(text):
            # the alternation took the first cue (in its order) that matches all of it
            cue = next(c for c, pattern in self._cue_patterns[category]
                       if pattern.fullmatch(match.group()))
            if cue in NAME_HOMOGRAPHS and match.group().istitle() \
                    and not _SENTENCE_END.search(text, max(0, match.start() - _LOOK_BACK),
                                                 match.start()):
                continue
            yield CueMatch(category, cue, match.start(), match.end(), match.group())

    def classify(self, phrase: str) -> str:
        """Descriptor class of a phrase: the strongest descriptor category it has a cue of.

        Example:
            >>> load_lexicon().classify("self-proclaimed president of Belarus")
            'delegitimising'
        """
        categories = {m.category for m in self.matches(phrase)}
        return next((c for c in DESCRIPTOR_CATEGORIES if c in categories), NEUTRAL)


def load_lexicon(extra: Mapping[str, Sequence[str]] | None = None, *,
                 packaged: bool = True) -> Lexicon:
    """The packaged cues plus ``extra`` (the config's ``framing.lexicon``), per category.

    Raises:
        StanceError: an empty or non-text cue in ``extra``.
    """
    cues: dict[str, list[str]] = {}
    if packaged:
        text = resources.files("stance").joinpath("data/lexicon.yaml").read_text("utf-8")
        cues = {cat: list(words) for cat, words in yaml.safe_load(text).items()}
    for category, words in (extra or {}).items():
        for word in words:
            if not isinstance(word, str) or not word.strip().rstrip("*"):
                raise StanceError(f"framing.lexicon.{category}: cue {word!r} is empty; "
                                  "give a word or phrase")
        merged = cues.setdefault(category, [])
        merged += [w.strip().lower() for w in words if w.strip().lower() not in merged]
    return Lexicon({cat: tuple(dict.fromkeys(w.lower() for w in words))
                    for cat, words in cues.items()})


def _cue_regex(cue: str) -> str:
    return "".join(_cue_atoms(cue))


def _cue_atoms(cue: str) -> list[str]:
    r"""A cue as regex atoms: its characters escaped, ``\s+`` between words, a final ``\w*``."""
    atoms: list[str] = []
    for word in cue.rstrip("*").split():
        atoms += ([r"\s+"] if atoms else []) + [re.escape(ch) for ch in word]
    return atoms + ([r"\w*"] if cue.endswith("*") else [])

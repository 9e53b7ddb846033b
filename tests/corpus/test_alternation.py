"""The trie-factored alternation matches what the plain, longest-first alternation matches."""

import random
import re

import pytest

from stance.corpus import load_lexicon, outlet_name_pattern
from stance.corpus._alternation import trie_alternation
from stance.corpus._lexicon import _cue_atoms, _cue_regex


def _plain(phrases: list[str]) -> re.Pattern[str]:
    body = "|".join(_cue_regex(p) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def _trie(phrases: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){trie_alternation(map(_cue_atoms, phrases))}(?!\w)",
                      re.IGNORECASE)


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


@pytest.mark.parametrize("seed", range(20))
def test_random_phrases_match_the_same_spans(seed):
    # Phrases that share prefixes, end in wildcards and span words, in texts built from
    # their pieces: the cases where branch order decides what matches.
    rng = random.Random(seed)
    words = ["dict", "dictator", "dictatorship", "so", "so-called", "of", "regime", "a"]
    phrases = sorted({" ".join(rng.choices(words, k=rng.randint(1, 3)))
                      + ("*" if rng.random() < 0.3 else "") for _ in range(12)})
    text = " ".join(rng.choice(words + ["DICTATOR", "ships", "\n", "x"]) for _ in range(300))
    assert _spans(_trie(phrases), text) == _spans(_plain(phrases), text)


def test_the_packaged_lexicon_matches_as_an_ordered_alternation():
    lexicon = load_lexicon()
    text = ("According to officials, the so-called self-proclaimed president, the dictator's "
            "regime, allegedly reportedly said; Officials said it may be. " * 5)
    for category, cues in lexicon.cues.items():
        assert _spans(lexicon._patterns[category], text) == _spans(_plain(list(cues)), text)


def test_outlet_names_prefer_the_longest_and_keep_word_boundaries():
    pattern = outlet_name_pattern(["Fox", "Fox News", "Fox News Channel", "CNN.com"])
    found = pattern.findall("Fox News Channel, fox news, Foxes, FOX and CNN reported")
    assert found == ["Fox News Channel", "fox news", "FOX", "CNN"]


def test_no_phrases_match_nothing():
    assert re.compile(trie_alternation([])).search("anything") is None

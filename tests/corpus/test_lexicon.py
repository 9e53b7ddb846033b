"""The framing-cue lexicon: matching rules, counts on the seed articles, config cues."""

import numpy as np
import pytest

from stance.corpus import NEUTRAL, load_lexicon
from stance.errors import StanceError
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def _seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def _cues(lexicon, text: str, category: str) -> list[str]:
    return [m.cue for m in lexicon.matches(text) if m.category == category]


@pytest.mark.parametrize("prefix", ["000", "001"])
def test_delegitimising_seeds_have_descriptors(lexicon, prefix):
    cues = _cues(lexicon, _seed(prefix), "delegitimising")
    assert "self-proclaimed" in cues
    assert "dictator*" in cues


def test_official_seed_has_official_sourcing(lexicon):
    text = _seed("003")
    matched = [m.text.lower() for m in lexicon.matches(text) if m.category == "official"]
    assert "according to interfax" in matched
    assert "press secretary" in matched
    assert "president of" in matched
    # "According to Interfax" is one match, not also a second one for "Interfax" inside it.
    start = text.index("According to Interfax")
    assert [m.cue for m in lexicon.matches(text) if m.start <= start + 13 < m.end] == [
        "according to interfax"]


def test_count_agrees_with_matches(lexicon):
    texts = [_seed(p) for p in ("000", "001", "002", "003", "004")]
    counts = lexicon.count(texts)
    assert counts.shape == (5, len(lexicon.categories))
    for i, text in enumerate(texts):
        found = [m.category for m in lexicon.matches(text)]
        assert counts[i].tolist() == [found.count(c) for c in lexicon.categories]
    delegitimising = lexicon.categories.index("delegitimising")
    # The two delegitimising seeds use more such descriptors than the official-sourced ones.
    assert counts[[0, 1], delegitimising].min() > counts[[3, 4], delegitimising].max()


def test_wildcard_matches_word_endings_only_at_word_start(lexicon):
    assert _cues(lexicon, "The dictators and their dictatorship", "delegitimising") == [
        "dictator*", "dictator*"]
    assert _cues(lexicon, "a predictator", "delegitimising") == []


def test_case_insensitive_and_word_boundaries(lexicon):
    assert _cues(lexicon, "SELF-PROCLAIMED leader", "delegitimising") == ["self-proclaimed"]
    assert _cues(lexicon, "the regimes", "delegitimising") == ["regimes"]
    assert _cues(lexicon, "regimental bands", "delegitimising") == []


@pytest.mark.parametrize("text", [
    "The parade on 9 May drew both leaders.", "In May 2023 they met again.",
    "Since May, talks have stalled.", "Theresa May said nothing."])
def test_the_month_and_the_name_may_are_not_the_hedge(lexicon, text):
    assert "may" not in _cues(lexicon, text, "speculative")
    assert lexicon.count([text])[0, lexicon.categories.index("speculative")] == 0


@pytest.mark.parametrize("text", [
    "The army may move north.", "May the talks succeed.", "Talks ended. May we expect more?",
    "ARMY MAY MOVE NORTH", "It may, experts say, happen."])
def test_the_modal_may_is_the_hedge_wherever_it_stands(lexicon, text):
    assert "may" in _cues(lexicon, text, "speculative")


def test_multi_word_cue_across_a_line_break(lexicon):
    (match,) = [m for m in lexicon.matches("said the press\n  secretary.") if
                m.category == "official"]
    assert match.cue == "press secretary"
    assert match.text == "press\n  secretary"


def test_longest_cue_wins(lexicon):
    cues = _cues(lexicon, "according to TASS, the talks", "official")
    assert cues == ["according to tass"]


def test_extra_cues_from_config():
    lexicon = load_lexicon({"delegitimising": ["Bat'ka", "Luka*"], "economic": ["sanction*"]})
    assert lexicon.categories[-1] == "economic"
    text = "Bat'ka spoke of sanctions; Lukashenka agreed"
    assert _cues(lexicon, text, "delegitimising") == ["bat'ka", "luka*"]
    assert _cues(lexicon, text, "economic") == ["sanction*"]
    counts = lexicon.count([text, "nothing here"])
    assert counts[:, lexicon.categories.index("economic")].tolist() == [1, 0]


def test_extra_cues_only():
    lexicon = load_lexicon({"economic": ["gdp"]}, packaged=False)
    assert lexicon.categories == ("economic",)
    assert np.array_equal(lexicon.count(["GDP grew", "regime"]), [[1], [0]])


@pytest.mark.parametrize("cue", ["", "  ", "*", None])
def test_empty_cue_is_a_user_error(cue):
    with pytest.raises(StanceError, match="framing.lexicon.extra"):
        load_lexicon({"extra": ["fine", cue]})


def test_classify_precedence(lexicon):
    assert lexicon.classify("self-proclaimed president of Belarus") == "delegitimising"
    assert lexicon.classify("President of Belarus") == "official"
    # Speculative cues do not classify a descriptor.
    assert lexicon.classify("possibly the leader") == NEUTRAL
    assert lexicon.classify("Belarusian leader") == NEUTRAL

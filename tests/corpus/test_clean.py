"""Boilerplate removal, fragment re-joining and the removal audit."""

from __future__ import annotations

import pandas as pd
import pytest

from stance.config import CleaningConfig, PatternConfig, RepeatedLinesConfig
from stance.corpus import clean_corpus, default_patterns
from stance.data import Corpus
from tests.conftest import SEEDS


def corpus_of(*texts, outlet="Alpha", titles=None):
    titles = titles or [""] * len(texts)
    frame = pd.DataFrame({
        "doc_id": [f"d{i}" for i in range(len(texts))], "outlet": outlet,
        "date": pd.NaT, "title": titles, "text": list(texts)})
    return Corpus(frame)


def clean(*texts, cfg=None, **kwargs):
    corpus, removals = clean_corpus(corpus_of(*texts, **kwargs), cfg or CleaningConfig())
    return corpus.documents["text"].tolist(), removals


def test_read_also_block_and_its_bullets_are_removed():
    text = "Putin met Lukashenko.\n\nRead also:\n\n  • Headline one\n\n  • Headline two"
    [out], removals = clean(text)
    assert out == "Putin met Lukashenko."
    assert removals["pattern"].tolist() == ["read-also"] * 3


def test_block_stops_at_the_next_full_paragraph():
    text = ("Read more:\n• A related story\nThe talks went on for three hours and ended late "
            "in the evening with a statement.")
    [out], _ = clean(text)
    assert out.startswith("The talks went on")


@pytest.mark.parametrize("line, rule", [
    ("Follow Army Recognition on Google News at this link", "google-news"),
    ("Home » World » Lukashenko will meet with Putin", "breadcrumb"),
    ("President of Belarus Alexander Lukashenko (Picture source: BelTA)", "picture-caption"),
    ("Mark Jones is a world traveler and journalist for News Rebeat. With a curious mind.",
     "author-bio"),
    ("Leave a Comment", "comment-form"),
    ("This site uses Akismet to reduce spam. Learn how your comment data is processed.",
     "akismet"),
    ("Source: Donga", "source-credit"),
])
def test_line_rules(line, rule):
    [out], removals = clean(f"The presidents met in Sochi on Monday.\n{line}")
    assert out == "The presidents met in Sochi on Monday."
    assert removals["pattern"].tolist() == [rule]
    assert removals["n_chars"].tolist() == [len(line)]


def test_ordinary_sentences_survive_every_default_rule():
    text = ("Sources said the talks would continue.\n\nThe source of the dispute is gas.\n\n"
            "Home affairs ministers met as well.\n\nHe said: we will follow the news.")
    [out], removals = clean(text)
    assert out == text
    assert removals.empty


def test_fragment_split_by_a_stripped_link_is_rejoined():
    text = ("He met with the president of Russia, Vladimir\n\n\n\n"
            "In particular, they discussed the economy.")
    [out], removals = clean(text)
    assert out == ("He met with the president of Russia, Vladimir In particular, they "
                   "discussed the economy.")
    assert removals["pattern"].tolist() == ["rejoined-fragment"]
    assert removals["n_chars"].tolist() == [0]


def test_leading_punctuation_continues_the_fragment_without_a_space():
    text = "The second part is the provision of Russian troops\n\n. This means the sale of weapons."
    [out], _ = clean(text)
    assert out == ("The second part is the provision of Russian troops. "
                   "This means the sale of weapons.")


def test_subheading_between_sentences_is_not_joined():
    text = ("Putin arrived in Minsk.\n\nThe official part of the meeting\n\n"
            "The Russian president arrived with fighter jets.")
    [out], _ = clean(text)
    assert out.split("\n\n") == ["Putin arrived in Minsk.", "The official part of the meeting",
                                 "The Russian president arrived with fighter jets."]


def test_rejoin_can_be_turned_off():
    text = "He met the president of Russia, Vladimir\n\nIn particular, they talked."
    [out], _ = clean(text, cfg=CleaningConfig(rejoin_fragments=False))
    assert out == "He met the president of Russia, Vladimir\n\nIn particular, they talked."


def test_stray_punctuation_is_removed_but_a_closing_period_is_kept():
    [out], removals = clean("They will make concessions.\n\n– .\n\nBut troops stay\n\n.")
    assert out == "They will make concessions.\n\nBut troops stay."
    assert "stray-punctuation" in removals["pattern"].tolist()


def test_headline_repeated_as_first_line_is_removed():
    [out], removals = clean("Talks in Sochi\n\nThe presidents met in Sochi today.",
                            titles=["Talks  in sochi"])
    assert out == "The presidents met in Sochi today."
    assert removals["pattern"].tolist() == ["repeated-title"]


def test_short_line_repeated_in_a_document_is_removed():
    text = ("Defense news\nThe army got new tanks this week, officials said.\nDefense news\n"
            "A caption line")
    [out], removals = clean(text)
    assert "Defense news" not in out
    assert (removals["pattern"] == "repeated-in-document").sum() == 2


def test_line_repeated_across_an_outlets_documents_is_removed():
    texts = [f"Story {i} tells what happened at the talks.\nSubscribe for daily briefings"
             for i in range(3)]
    cfg = CleaningConfig(repeated_lines=RepeatedLinesConfig(min_documents=3))
    outs, removals = clean(*texts, cfg=cfg)
    assert all("Subscribe" not in out for out in outs)
    assert (removals["pattern"] == "repeated-in-outlet").sum() == 3
    outs, _ = clean(*texts[:2], cfg=cfg)
    assert all("Subscribe" in out for out in outs)


def test_config_patterns_add_to_the_defaults_and_defaults_can_be_disabled():
    text = "The talks ended.\nADVERTISE WITH US\nSource: Donga"
    extra = PatternConfig(name="house-ad", regex=r"^advertise with us$")
    [out], _ = clean(text, cfg=CleaningConfig(patterns=[extra]))
    assert out == "The talks ended."
    [out], _ = clean(text, cfg=CleaningConfig(patterns=[extra], default_patterns=False))
    assert out == "The talks ended.\n\nSource: Donga"


def test_invalid_regex_in_config_is_rejected():
    with pytest.raises(ValueError, match="not a valid regular expression"):
        PatternConfig(name="bad", regex="(unclosed")


def test_default_patterns_load_and_all_compile():
    names = [p.name for p in default_patterns()]
    assert {"read-also", "google-news", "breadcrumb", "picture-caption", "author-bio",
            "comment-form", "akismet", "stray-punctuation"} <= set(names)


def test_seed_boilerplate_is_gone_and_the_story_stays():
    from stance.config import CorpusConfig
    from stance.corpus import load_corpus

    columns = {"id": "doc_id", "file": "file", "outlet": "outlet", "date": "date",
               "title": "title", "labels": ["framing"]}
    loaded = load_corpus(CorpusConfig(path=SEEDS, columns=columns))
    corpus, removals = clean_corpus(loaded.corpus, CleaningConfig())
    texts = dict(zip(corpus.documents["doc_id"], corpus.documents["text"], strict=True))
    joined = "\n".join(texts.values())
    for junk in ("Read also", "Google News", "Home »", "Picture source", "Akismet",
                 "Leave a Comment", "journalist for News Rebeat", "Source: Donga"):
        assert junk not in joined, junk
    assert texts["000_749f9479509f3e50"].startswith(
        "The self-proclaimed president of Belarus, Oleksandr Lukashenko, arrived in Sochi on "
        "September 26, where he met with the president of Russia, Vladimir In particular,")
    assert "provision of Russian troops. This means" in texts["000_749f9479509f3e50"]
    assert texts["001_2a0d7510474f6b48"].endswith("training of Russian soldiers.")
    assert "Military expert Serhii Grabsky believes" in texts["001_2a0d7510474f6b48"]
    # Every character is accounted for: kept + removed = original line text, plus at most
    # one joining space per re-join.
    for doc_id, original in zip(loaded.corpus.documents["doc_id"],
                                loaded.corpus.documents["text"], strict=True):
        mine = removals[removals["doc_id"] == doc_id]
        kept = sum(len(p) for p in texts[doc_id].split("\n\n"))
        original_chars = sum(len(line.strip()) for line in original.splitlines())
        joins = (mine["pattern"] == "rejoined-fragment").sum()
        assert original_chars <= kept + mine["n_chars"].sum() <= original_chars + joins, doc_id

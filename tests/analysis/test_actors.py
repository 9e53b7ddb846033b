import pandas as pd
import pytest

from stance.analysis import (
    DESCRIPTOR_CLASSES,
    MENTION_COLUMNS,
    NAMING_COLUMNS,
    find_mentions,
    tabulate_actor_naming,
)
from stance.config import load_config
from stance.corpus import load_lexicon, prepare_corpus, segment_corpus
from stance.data import Segments
from stance.errors import StanceError
from tests.conftest import EXPERIMENTS

LEXICON = load_lexicon()
#: The seed story's actors, as experiments/seeds.yaml names them.
SEED_ACTORS = load_config(EXPERIMENTS / "seeds.yaml").actors


def _segments(*texts, outlet="X"):
    return Segments(pd.DataFrame({
        "seg_id": [f"s{i}" for i in range(len(texts))],
        "doc_id": [f"d{i}" for i in range(len(texts))], "outlet": outlet, "position": 0,
        "start": 0, "end": [len(t) for t in texts], "text": list(texts)}))


def _mentions(text, actors=SEED_ACTORS):
    return find_mentions(_segments(text), actors, LEXICON)


def _described(text, actors=SEED_ACTORS):
    """(actor, descriptor, class) of every mention, in text order."""
    found = _mentions(text, actors)
    return list(zip(found["actor"], found["descriptor"], found["descriptor_class"], strict=True))


@pytest.fixture(scope="module")
def seed_mentions():
    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    cleaned, _ = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=cfg.seed)
    segments = segment_corpus(cleaned.corpus, cfg.segmentation)
    return segments, find_mentions(segments, cfg.actors, LEXICON)


def test_seed_mentions_keep_offsets_and_columns(seed_mentions):
    segments, mentions = seed_mentions
    assert list(mentions.columns) == list(MENTION_COLUMNS)
    texts = segments.table.set_index("seg_id")["text"]
    for row in mentions.itertuples():
        named = " ".join(texts[row.seg_id][row.start:row.end].split()).lower()
        assert named == " ".join(row.alias.split()).lower()
    assert set(mentions["descriptor_class"]) <= set(DESCRIPTOR_CLASSES)
    assert (mentions["descriptor"] == "").eq(mentions["descriptor_class"] == "bare").all()


def test_tsn_calls_both_leaders_dictators_and_self_proclaimed(seed_mentions):
    _, mentions = seed_mentions
    tsn = mentions[(mentions["outlet"] == "TSN.ua")
                   & (mentions["descriptor_class"] == "delegitimising")]
    assert {"Putin", "Lukashenko"} <= set(tsn["actor"])
    assert "self-proclaimed Belarusian leader" in set(tsn["descriptor"])
    assert set(tsn.loc[tsn["actor"] == "Putin", "descriptor"]) == {"dictators"}


def test_army_recognition_titles_lukashenko_officially(seed_mentions):
    _, mentions = seed_mentions
    army = mentions[(mentions["outlet"] == "Army Recognition")
                    & (mentions["actor"] == "Lukashenko")]
    assert "official" in set(army["descriptor_class"])
    assert "President of Belarus" in set(army["descriptor"])


def test_naming_table_counts_every_mention_once(seed_mentions):
    _, mentions = seed_mentions
    naming = tabulate_actor_naming(mentions)
    assert list(naming.columns) == list(NAMING_COLUMNS)
    assert naming["mentions"].sum() == len(mentions)
    assert (naming[list(DESCRIPTOR_CLASSES)].sum(axis=1) == naming["mentions"]).all()
    tsn = naming[(naming["actor"] == "Lukashenko") & (naming["outlet"] == "TSN.ua")].iloc[0]
    assert tsn["share_delegitimising"] > 0 and "dictators (1)" in tsn["top_descriptors"]


def test_preceding_title():
    assert _described("Kyiv condemned the dictator Lukashenko yesterday.") == [
        ("Lukashenko", "the dictator", "delegitimising")]
    assert _described("Talks with Russian President Vladimir Putin ended.") == [
        ("Putin", "Russian President", "official")]
    assert _described("Talks with the Belarusian leader Lukashenko ended.") == [
        ("Lukashenko", "the Belarusian leader", "neutral")]


def test_title_of_a_country_absorbs_that_country():
    # "president of Belarus" describes Lukashenko: no separate bare mention of Belarus.
    assert _described("The president of Belarus Lukashenko flew home.") == [
        ("Lukashenko", "The president of Belarus", "official")]
    assert _described("The self-proclaimed president of Belarus, Oleksandr Lukashenko, "
                      "arrived in Sochi.") == [
        ("Lukashenko", "The self-proclaimed president of Belarus", "delegitimising")]
    # With no name after it, the country is named, bare.
    assert _described("He met the president of Russia, then left.") == [("Russia", "", "bare")]


def test_apposition_after_the_name():
    assert _described("Lukashenko, the self-proclaimed president, spoke.") == [
        ("Lukashenko", "the self-proclaimed president", "delegitimising")]
    assert _described("In Minsk, the crowd waited.") == [("Belarus", "", "bare")]


def test_plural_descriptors_apply_to_coordinated_actors():
    assert _described("Putin and Lukashenko, two dictators, met in Sochi.") == [
        ("Putin", "two dictators", "delegitimising"),
        ("Lukashenko", "two dictators", "delegitimising")]
    assert _described("Talks between dictators Putin and Lukashenka began.") == [
        ("Putin", "dictators", "delegitimising"), ("Lukashenko", "dictators", "delegitimising")]
    # A singular title does not spread.
    assert _described("The dictator Putin and Lukashenko met.")[1] == ("Lukashenko", "", "bare")


def test_possessives_and_bare_mentions():
    assert _described("The Putin regime's lies.") == [("Putin", "regime's", "delegitimising")]
    found = _mentions("Lukashenko's regime jailed critics. Putin's visit to Minsk ended.")
    assert list(found["actor"]) == ["Lukashenko", "Putin", "Belarus"]
    assert list(found["descriptor_class"]) == ["delegitimising", "bare", "bare"]
    # The offsets cover the alias, not the possessive.
    assert found.iloc[0][["start", "end"]].tolist() == [0, len("Lukashenko")]


def test_aliases_map_to_one_actor_longest_first():
    found = _mentions("Alexander Lukashenko met Lukashenka in the Kremlin.")
    assert list(found["actor"]) == ["Lukashenko", "Lukashenko", "Russia"]
    assert list(found["alias"]) == ["Alexander Lukashenko", "Lukashenka", "Kremlin"]
    assert found.iloc[0][["start", "end"]].tolist() == [0, len("Alexander Lukashenko")]


def test_an_alias_claimed_by_two_actors_is_a_config_error():
    with pytest.raises(StanceError, match="'minsk' is listed under both 'Belarus' and 'Russia'"):
        find_mentions(_segments("Minsk."), {"Belarus": ["Minsk"], "Russia": ["minsk"]}, LEXICON)
    with pytest.raises(StanceError, match="actors.Putin: no aliases"):
        find_mentions(_segments("Putin."), {"Putin": []}, LEXICON)


def test_no_mentions_give_empty_tables():
    mentions = _mentions("Nothing about anyone here.")
    assert mentions.empty and list(mentions.columns) == list(MENTION_COLUMNS)
    assert tabulate_actor_naming(mentions).empty


def test_the_methods_describe_every_place_a_descriptor_is_read():
    # the finder reads titles before a name, appositions after it and "regime" after it
    from types import SimpleNamespace

    from stance.config import parse_config
    from stance.report._framing import framing_methods

    cfg = parse_config({"name": "x", "corpus": {"path": "/c.csv"},
                        "actors": {"Putin": ["Vladimir Putin"]}})
    bullets = framing_methods(SimpleNamespace(framing=None, config=cfg, distinctive_terms=None,
                                              actor_naming=pd.DataFrame()))
    assert len(bullets) == 1
    assert all(place in bullets[0] for place in ("a title before the name", "apposition",
                                                 "'regime' or 'junta' right after it"))
    assert _described("The Putin regime's lies.")[0][1] == "regime's"

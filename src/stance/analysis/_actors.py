"""Actor naming: each mention of a configured actor and the descriptor attached to it.

An actor (the top-level ``actors``) is named by any of its aliases, matched case-insensitively on
word boundaries, longest alias first ("Alexander Lukashenko" is one mention), possessives
included ("Lukashenko's"). A mention's descriptor is one of, within its sentence and clause:

* a title before it: "dictator Lukashenko", "the Belarusian leader Lukashenko", or "the
  self-proclaimed president of Belarus, Oleksandr Lukashenko," (a comma may part title and
  name when the name is set off by commas);
* an apposition after it, set off by commas: "Lukashenko, the self-proclaimed president,";
* "regime" or "junta" right after it: "the Lukashenko regime";
* a plural title before or after coordinated actors, which applies to each: "dictators
  Putin and Lukashenka", "Putin and Lukashenko, two dictators,".

A title needs a head, a role noun (president, leader, ...) or a descriptor cue of the
lexicon; a mention without one is *bare*. Without part-of-speech tagging, a title stops at
punctuation, function words and other actors, and at a lower-case word that is neither head
nor hyphenated modifier unless a determiner ("the") closes the phrase further left.

An actor named inside another actor's title ("President of Belarus Alexander Lukashenko",
"Russia's President Putin") is part of that descriptor and not a mention of its own: the phrase
names one person, and counting it would add a bare Belarus mention to every official title of
Lukashenko. "the president of Russia" with no name after it stays a bare mention of Russia.

Each segment that names an actor is tokenised once by one compiled regex and every walk is
bounded by a few words, so the cost is linear in the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from stance.corpus import DESCRIPTOR_CATEGORIES, NEUTRAL, Lexicon
from stance.data import ActorNaming, Segments
from stance.errors import StanceError

BARE = "bare"
#: Descriptor classes, strongest first; ``bare`` is a mention with no descriptor.
DESCRIPTOR_CLASSES = (*DESCRIPTOR_CATEGORIES, NEUTRAL, BARE)
MENTION_COLUMNS = ("seg_id", "doc_id", "outlet", "actor", "alias", "start", "end",
                   "descriptor", "descriptor_class", "cues")
NAMING_COLUMNS = ("actor", "outlet", "mentions", *DESCRIPTOR_CLASSES, "share_delegitimising",
                  "share_official", "top_descriptors")
#: Longest title or apposition, in words.
MAX_DESCRIPTOR_WORDS = 8
#: Descriptors listed per actor and outlet in ``top_descriptors``.
TOP_DESCRIPTORS = 3

# Nouns that head a title of a person or a state.
ROLE_NOUNS = frozenset("""
    president presidents leader leaders head chief ruler rulers premier minister chancellor
    counterpart counterparts colleague colleagues ally allies partner partners friend friends
    strongman strongmen boss king tsar czar emperor secretary spokesman spokeswoman ambassador
    commander chairman governor state states country countries nation neighbour neighbor
    republic government capital city administration
""".split())
# Words that cannot sit inside a title before a name: prepositions (except "of"),
# conjunctions, pronouns, auxiliaries and the commonest reporting verbs.
BREAK_WORDS = frozenset("""
    about after against along amid among around as at before behind between beyond by despite
    during for from in inside into like near off on onto over per since than through to toward
    towards under until upon via with within without and or but nor so yet while because
    although though if when whereas whether unless that which who whom whose what where how why
    he she it they we i you him them us me is are was were be been being am has have had do does
    did will would shall should can could may might must not said says say told tells tell
    asked added noted stated met meet meets visited called also then there here now already
    still even just only again
""".split())
DETERMINERS = frozenset("the a an his her its their our this these those".split())
QUANTIFIERS = frozenset("two both three".split())
# Nouns after a name that describe the actor's rule ("the Lukashenko regime"). Official titles
# after a name belong to someone else ("Kremlin spokesman Peskov"), so only these count.
POSTMODIFIERS = frozenset("regime regimes junta".split())


class _Token(NamedTuple):
    kind: str  # actor, word, comma or stop (other punctuation, line break)
    start: int
    end: int  # for an actor, past a possessive 's
    text: str
    lower: str
    alias_end: int = 0
    possessive: bool = False


class _Descriptor(NamedTuple):
    start: int
    end: int
    absorbed: frozenset[int]  # token indices of actors named inside the descriptor
    plural: bool


def name_actors(segments: Segments, actors: Mapping[str, Sequence[str]],
                lexicon: Lexicon) -> ActorNaming:
    """Every mention of ``actors`` in the segments, and how each outlet names each actor.

    Example:
        >>> naming = name_actors(segments, {"Putin": ["Putin"]}, load_lexicon())  # doctest: +SKIP
        >>> naming.naming[["actor", "outlet", "mentions"]]  # doctest: +SKIP
    """
    mentions = find_mentions(segments, actors, lexicon)
    return ActorNaming(mentions, tabulate_actor_naming(mentions))


def find_mentions(segments: Segments, actors: Mapping[str, Sequence[str]],
                  lexicon: Lexicon) -> pd.DataFrame:
    """Every mention of an actor in the segments, with its descriptor and descriptor class.

    Args:
        segments: the segments to search.
        actors: actor -> aliases (the config's ``actors``).
        lexicon: classifies descriptors (see :meth:`Lexicon.classify`).

    Returns:
        One row per mention: seg_id, doc_id, outlet, actor, alias (as configured), start and
        end (offsets of the alias in the segment text), descriptor ('' when bare),
        descriptor_class (delegitimising, official, neutral or bare) and cues (the lexicon
        cues in the descriptor, '; '-joined).

    Raises:
        StanceError: an alias is empty or claimed by two actors.

    Example:
        >>> find_mentions(segs, {"Putin": ["Putin"]}, load_lexicon())  # doctest: +SKIP
    """
    aliases = _alias_table(actors)
    rows: list[tuple] = []
    if not aliases:
        return pd.DataFrame(rows, columns=list(MENTION_COLUMNS))
    body = "|".join(_phrase_regex(a) for a in sorted(aliases, key=len, reverse=True))
    finder = re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)
    tokenizer = re.compile(
        rf"(?P<actor>(?<!\w)(?:{body})(?!\w))(?P<poss>['’]s(?!\w))?"
        r"|(?P<word>\w+(?:[-'’]\w+)*)|(?P<comma>,)|(?P<stop>[^\w\s]|\n)", re.IGNORECASE)
    classes: dict[str, tuple[str, str]] = {"": (BARE, "")}
    table = segments.table
    named = table[table["text"].str.contains(finder)]
    for seg_id, doc_id, outlet, text in zip(named["seg_id"], named["doc_id"], named["outlet"],
                                            named["text"], strict=True):
        tokens = _tokenize(text, tokenizer)
        for token, descriptor in _describe(text, tokens, _cue_words(text, tokens, lexicon)):
            if descriptor not in classes:
                cues = dict.fromkeys(m.cue for m in lexicon.matches(descriptor))
                classes[descriptor] = (lexicon.classify(descriptor), "; ".join(cues))
            actor, alias = aliases[_normalise(text[token.start:token.alias_end])]
            rows.append((seg_id, doc_id, outlet, actor, alias, token.start, token.alias_end,
                         descriptor, *classes[descriptor]))
    return pd.DataFrame(rows, columns=list(MENTION_COLUMNS)).astype(
        {"start": "int64", "end": "int64"})


def tabulate_actor_naming(mentions: pd.DataFrame) -> pd.DataFrame:
    """How each outlet names each actor: mentions per descriptor class (actors.csv).

    Returns:
        One row per actor and outlet with mentions: actor, outlet, mentions, the count of
        each descriptor class, share_delegitimising, share_official and top_descriptors
        (the commonest descriptors, lower-cased without a leading article, with counts).
    """
    if mentions.empty:
        return pd.DataFrame(columns=list(NAMING_COLUMNS))
    keys = ["actor", "outlet"]
    counts = (pd.crosstab([mentions["actor"], mentions["outlet"]],
                          mentions["descriptor_class"])
              .reindex(columns=list(DESCRIPTOR_CLASSES), fill_value=0))
    counts.columns.name = None
    naming = counts.assign(mentions=counts.sum(axis=1))
    naming["share_delegitimising"] = naming["delegitimising"] / naming["mentions"]
    naming["share_official"] = naming["official"] / naming["mentions"]
    described = mentions[mentions["descriptor"] != ""]
    top = described.groupby(keys)["descriptor"].agg(_top_descriptors)
    naming["top_descriptors"] = top.reindex(naming.index).fillna("")
    return naming.reset_index()[list(NAMING_COLUMNS)]


def _alias_table(actors: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, str]]:
    """Normalised alias -> (actor, alias as configured); a config error for clashes."""
    table: dict[str, tuple[str, str]] = {}
    for actor, aliases in actors.items():
        if not aliases:
            raise StanceError(f"actors.{actor}: no aliases; list every name of the "
                              f"actor (e.g. [{actor}])")
        for alias in aliases:
            key = _normalise(alias)
            if not key:
                raise StanceError(f"actors.{actor}: empty alias; remove it")
            owner = table.setdefault(key, (actor, alias))[0]
            if owner != actor:
                raise StanceError(f"actors: alias '{alias}' is listed under both "
                                  f"'{owner}' and '{actor}'; give each alias to one actor")
    return table


def _normalise(alias: str) -> str:
    return " ".join(alias.lower().split())


def _phrase_regex(phrase: str) -> str:
    return r"\s+".join(re.escape(word) for word in phrase.split())


def _tokenize(text: str, tokenizer: re.Pattern[str]) -> list[_Token]:
    tokens = []
    for match in tokenizer.finditer(text):
        kind = match.lastgroup if match.lastgroup != "poss" else "actor"
        if kind == "actor":
            tokens.append(_Token("actor", match.start(), match.end(), match.group(), "",
                                 alias_end=match.end("actor"), possessive=bool(match["poss"])))
        else:
            tokens.append(_Token(kind, match.start(), match.end(), match.group(),
                                 match.group().lower()))
    return tokens


def _cue_words(text: str, tokens: list[_Token], lexicon: Lexicon) -> set[int]:
    """Indices of the word tokens inside a descriptor cue ("self-proclaimed", "president of")."""
    spans = sorted((m.start, m.end) for m in lexicon.matches(text)
                   if m.category in DESCRIPTOR_CATEGORIES)
    starts = [s for s, _ in spans]
    reach = np.maximum.accumulate([e for _, e in spans]) if spans else []
    found = set()
    for i, token in enumerate(tokens):
        k = bisect_right(starts, token.start) - 1
        if token.kind == "word" and k >= 0 and reach[k] > token.start:
            found.add(i)
    return found


def _describe(text: str, tokens: list[_Token],
              cues: set[int]) -> list[tuple[_Token, str]]:
    """Each mention not absorbed into another's descriptor, with its descriptor text."""
    walker = _Walker(tokens, cues)
    mentions = [i for i, t in enumerate(tokens) if t.kind == "actor"]
    before = {i: walker.title_before(i) for i in mentions}
    after = {i: walker.apposition(i) for i in mentions}
    # A plural title spreads over "X and Y": forwards when it precedes, backwards when it follows.
    for i in mentions:
        other = walker.coordinated(i)
        if other is not None and before[i] is None and _plural(before[other]):
            before[i] = before[other]
    for i in reversed(mentions):
        other = walker.coordinated(i)
        if other is not None and after[other] is None and _plural(after[i]):
            after[other] = after[i]
    found = [d for d in (*before.values(), *after.values()) if d is not None]
    absorbed = set().union(*(d.absorbed for d in found))
    return [(tokens[i], ", ".join(" ".join(text[d.start:d.end].split())
                                  for d in (before[i], after[i]) if d is not None))
            for i in mentions if i not in absorbed]


def _plural(descriptor: _Descriptor | None) -> bool:
    return descriptor is not None and descriptor.plural


class _Walker:
    """Reads titles and appositions around the mentions of one tokenised segment."""

    def __init__(self, tokens: list[_Token], cues: set[int]):
        self.tokens, self.cues = tokens, cues

    def word(self, i: int, *words: str) -> bool:
        return 0 <= i < len(self.tokens) and self.tokens[i].kind == "word" and (
            not words or self.tokens[i].lower in words)

    def head(self, i: int) -> bool:
        return self.word(i) and (self.tokens[i].lower in ROLE_NOUNS or i in self.cues)

    def modifier(self, i: int) -> bool:
        """A word a title may hold besides its head: capitalised, hyphenated, a number word."""
        token = self.tokens[i]
        return (self.head(i) or "-" in token.lower or token.lower in QUANTIFIERS
                or token.text[:1].isupper())

    def absorbable(self, i: int) -> bool:
        """An actor that belongs to a title: "Russia's [president]", "[president] of Belarus"."""
        token = self.tokens[i]
        return token.kind == "actor" and (token.possessive or (
            self.word(i - 1, "of") and self.head(i - 2)))

    def coordinated(self, i: int) -> int | None:
        """The actor X of "X and <mention i>", if any."""
        if self.word(i - 1, "and") and i >= 2 and self.tokens[i - 2].kind == "actor" \
                and not self.tokens[i - 2].possessive:
            return i - 2
        return None

    def title_before(self, i: int) -> _Descriptor | None:
        """The title phrase ending right before mention ``i``."""
        tokens, j = self.tokens, i - 1
        if self.word(j, "of"):  # "the president of Russia": that title names someone else
            return None
        if j >= 0 and tokens[j].kind == "comma":
            # "the self-proclaimed president of Belarus, Oleksandr Lukashenko, arrived"
            set_off = i + 1 >= len(tokens) or tokens[i + 1].kind in ("comma", "stop")
            if not set_off or not (self.head(j - 1) or self.absorbable(j - 1)):
                return None
            j -= 1
        run: list[int] = []
        closed = False
        while j >= 0 and len(run) < MAX_DESCRIPTOR_WORDS:
            token = tokens[j]
            if token.kind == "actor" and self.absorbable(j):
                run.append(j)
            elif token.kind != "word" or token.lower in BREAK_WORDS:
                break
            elif token.lower in DETERMINERS:
                run.append(j)
                closed = True
                break
            elif token.lower == "of":
                if not self.head(j - 1):
                    break
                run += [j, j - 1]
                j -= 1
            else:
                run.append(j)
            j -= 1
        if not closed:  # without a determiner, trust no lower-case word that is not a title
            trusted = [self.tokens[k].kind == "actor" or self.word(k, "of") or self.modifier(k)
                       for k in run]
            run = run[:trusted.index(False)] if False in trusted else run
        return self._descriptor(run[::-1])

    def apposition(self, i: int) -> _Descriptor | None:
        """The noun phrase set off by commas after mention ``i``, or "regime" right after it."""
        tokens = self.tokens
        if self.word(i + 1) and re.sub(r"['’]s$", "", tokens[i + 1].lower) in POSTMODIFIERS:
            return _Descriptor(tokens[i + 1].start, tokens[i + 1].end, frozenset(), False)
        if tokens[i].possessive or i + 1 >= len(tokens) or tokens[i + 1].kind != "comma":
            return None
        end = i + 2
        while end < len(tokens) and tokens[end].kind in ("word", "actor"):
            end += 1
        phrase = list(range(i + 2, end))
        if not phrase or len(phrase) > MAX_DESCRIPTOR_WORDS:
            return None
        first, last = phrase[0], phrase[-1]
        if not (self.word(first, *DETERMINERS, *QUANTIFIERS) or self.head(first)
                or self.absorbable(first) or self.modifier(first)):
            return None
        if any(tokens[k].lower in BREAK_WORDS or (tokens[k].kind == "actor"
                                                  and not self.absorbable(k))
               for k in phrase):
            return None
        if not (self.head(last) or self.absorbable(last)):
            return None
        return self._descriptor(phrase)

    def _descriptor(self, run: list[int]) -> _Descriptor | None:
        """A descriptor over token indices ``run`` (in text order), if it has a head."""
        if not any(self.head(k) for k in run):
            return None
        words = [k for k in run if self.tokens[k].kind == "word"]
        last = self.tokens[words[-1]].lower
        plural = last.endswith("s") and not last.endswith(("ss", "'s", "’s"))
        absorbed = frozenset(k for k in run if self.tokens[k].kind == "actor")
        return _Descriptor(self.tokens[run[0]].start, self.tokens[run[-1]].end, absorbed,
                           plural)


def _top_descriptors(descriptors: pd.Series) -> str:
    forms = descriptors.str.lower().str.replace(r"^(?:the|an?)\s+", "", regex=True)
    counts = forms.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP_DESCRIPTORS]
    return "; ".join(f"{form} ({n})" for form, n in ranked)

"""Remove news-site boilerplate and re-join paragraphs that link stripping split.

Rules are data: the package's ``data/boilerplate.yaml`` plus the experiment's
``cleaning.patterns``. Every removal is recorded (document, rule, characters,
text) so the run folder shows exactly what cleaning did.

Each non-blank line is treated as a paragraph (scraped articles put one
paragraph per line, with or without blank lines between); cleaned documents
join paragraphs with a blank line.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources

import pandas as pd
import yaml

from stance.config import CleaningConfig, PatternConfig
from stance.corpus._tasks import in_blocks, map_in_order
from stance.data import REMOVAL_COLUMNS, Corpus

#: A paragraph ending like this ends a sentence; anything else is a fragment.
_TERMINAL = re.compile(r"""[.!?…:;]["'”’»)\]]*\s*$""")
_STARTS_WITH_PUNCTUATION = re.compile(r"""^[.,;:!?)\]”’»]""")
_BULLET = re.compile(r"^\s*([•·▪◦‣●*+–—-]|\d{1,2}[.)])\s+\S")
_WORD = re.compile(r"\S+")
_HAS_WORD = re.compile(r"\w{2,}")
#: The audit's rule name for a re-join; its text shows the seam, and it removes no characters.
REJOINED = "rejoined-fragment"
#: A short unpunctuated line between full sentences is a subheading, not a fragment.
HEADING_MAX_WORDS = 8
#: A line ending in one of these is cut mid-sentence, whatever its length.
_FUNCTION_WORDS = frozenset(
    "a an the of to in on at by for from with and or but that which who is are was were be "
    "as than into about".split())
#: Lines after a block heading that are this short (or bullets) belong to the block.
BLOCK_ITEM_MAX_WORDS = 25


@dataclass(frozen=True)
class _Rule:
    name: str
    regex: re.Pattern
    scope: str


def default_patterns() -> list[PatternConfig]:
    """The packaged boilerplate rules."""
    text = resources.files("stance").joinpath("data/boilerplate.yaml").read_text("utf-8")
    return [PatternConfig(**entry) for entry in yaml.safe_load(text)]


def clean_corpus(corpus: Corpus, cfg: CleaningConfig, *,
                 client=None) -> tuple[Corpus, pd.DataFrame]:
    """Clean every document; return the cleaned corpus and the removals table.

    Removals has one row per removed line or re-joined fragment
    (``doc_id, pattern, n_chars, text``); re-joins remove nothing (``n_chars`` 0)
    but are listed so the audit shows every change. Documents are cleaned
    a block at a time, on the workers of a Dask ``client`` if given.
    """
    docs = corpus.documents
    blocks = in_blocks(docs[["doc_id", "outlet", "title", "text"]])
    outlet_lines = _outlet_boilerplate(blocks, cfg, client) if cfg.repeated_lines else {}
    patterns = (default_patterns() if cfg.default_patterns else []) + list(cfg.patterns)
    rules = [_Rule(p.name, re.compile(p.regex, re.IGNORECASE), p.scope) for p in patterns]
    cleaned = map_in_order(client, clean_block, blocks, "cleaning", work=len(docs), cfg=cfg,
                           rules=rules, outlet_lines=outlet_lines)
    texts = pd.concat([texts for texts, _ in cleaned]) if cleaned else docs["text"]
    removals = [removed for _, removed in cleaned if not removed.empty]
    removals_table = (pd.concat(removals, ignore_index=True) if removals
                      else pd.DataFrame(columns=list(REMOVAL_COLUMNS)))
    return corpus.with_documents(docs.assign(text=texts)), removals_table


def clean_block(block: pd.DataFrame, *, cfg: CleaningConfig, rules: list[_Rule],
                outlet_lines: dict[str, frozenset[str]]) -> tuple[pd.Series, pd.DataFrame]:
    """One block of documents cleaned: their texts (same index) and their removals."""
    texts, removals = [], []
    rows = zip(block["doc_id"], block["outlet"], block["title"], block["text"], strict=True)
    for doc_id, outlet, title, text in rows:
        cleaned, removed = clean_text(text, rules, cfg, title=title,
                                      outlet_lines=outlet_lines.get(outlet, frozenset()))
        texts.append(cleaned)
        removals.extend((doc_id, rule, 0 if rule == REJOINED else len(piece), piece)
                        for rule, piece in removed)
    return (pd.Series(texts, index=block.index, dtype="str"),
            pd.DataFrame(removals, columns=list(REMOVAL_COLUMNS)))


def clean_text(text: str, rules: list[_Rule], cfg: CleaningConfig, *, title: str | None = None,
               outlet_lines: frozenset[str] = frozenset()) -> tuple[str, list[tuple[str, str]]]:
    """Clean one document; return its text and ``(rule, removed text)`` pairs."""
    removed: list[tuple[str, str]] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = _apply_line_rules(lines, [r for r in rules if r.scope != "paragraph"], removed)
    if outlet_lines:
        lines = _drop(lines, lambda line: _key(line) in outlet_lines, "repeated-in-outlet", removed)
    if cfg.remove_repeated_lines_in_document:
        lines = _drop_repeated_short_lines(lines, cfg, removed)
    if cfg.remove_repeated_title and lines and isinstance(title, str) and title.strip():
        if _key(lines[0]) == _key(title):
            removed.append(("repeated-title", lines.pop(0)))
    if cfg.rejoin_fragments:
        lines = _rejoin(lines, removed)
    paragraph_rules = [r for r in rules if r.scope == "paragraph"]
    for rule in paragraph_rules:
        lines = _drop(lines, lambda line, r=rule: r.regex.search(line), rule.name, removed)
    return "\n\n".join(lines), removed


def _apply_line_rules(lines: list[str], rules: list[_Rule], removed) -> list[str]:
    """Drop lines that a line rule matches, and block headings with their lists."""
    if not rules:
        return lines
    # One combined regex screens out the (many) clean lines before the per-rule pass.
    screen = re.compile("|".join(f"(?:{r.regex.pattern})" for r in rules), re.IGNORECASE)
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        rule = None
        if screen.search(line):
            rule = next((r for r in rules if r.regex.search(line)), None)
        if rule is None:
            kept.append(line)
            i += 1
            continue
        removed.append((rule.name, line))
        i += 1
        if rule.scope == "block":
            while i < len(lines) and _is_block_item(lines[i]):
                removed.append((rule.name, lines[i]))
                i += 1
    return kept


def _is_block_item(line: str) -> bool:
    return bool(_BULLET.match(line)) or (
        len(_WORD.findall(line)) <= BLOCK_ITEM_MAX_WORDS and not _TERMINAL.search(line))


def _drop(lines, predicate, rule_name: str, removed) -> list[str]:
    kept = []
    for line in lines:
        if predicate(line):
            removed.append((rule_name, line))
        else:
            kept.append(line)
    return kept


def _drop_repeated_short_lines(lines: list[str], cfg: CleaningConfig, removed) -> list[str]:
    """A short line that occurs twice in one document is a tagline or caption header."""
    max_words = cfg.repeated_lines.max_words if cfg.repeated_lines else 15
    counts = Counter(_key(line) for line in lines if _is_short_text(line, max_words))
    repeated = {key for key, n in counts.items() if n > 1}
    if not repeated:
        return lines
    return _drop(lines, lambda line: _key(line) in repeated, "repeated-in-document", removed)


def _outlet_boilerplate(blocks: list[pd.DataFrame], cfg: CleaningConfig,
                        client) -> dict[str, frozenset[str]]:
    """Short lines found in at least ``min_documents`` documents of one outlet."""
    limits = cfg.repeated_lines
    counts = map_in_order(client, short_line_counts, blocks, "counting repeated lines",
                          work=sum(len(block) for block in blocks), max_words=limits.max_words)
    total = pd.concat(counts).groupby(["outlet", "line"], sort=False)["documents"].sum()
    found: dict[str, set[str]] = {}
    for outlet, key in total.index[total >= limits.min_documents]:
        found.setdefault(outlet, set()).add(key)
    return {outlet: frozenset(keys) for outlet, keys in found.items()}


def short_line_counts(block: pd.DataFrame, *, max_words: int) -> pd.DataFrame:
    """In how many of the block's documents of each outlet each short line occurs."""
    counts: Counter[tuple[str, str]] = Counter()
    for outlet, text in zip(block["outlet"], block["text"], strict=True):
        counts.update({(outlet, _key(line)) for line in text.splitlines()
                       if _is_short_text(line, max_words)})
    return pd.DataFrame([(outlet, line, n) for (outlet, line), n in counts.items()],
                        columns=["outlet", "line", "documents"]).astype(
                            {"outlet": "str", "line": "str", "documents": "int64"})


def _rejoin(lines: list[str], removed) -> list[str]:
    """Join a fragment without terminal punctuation to the paragraph after it.

    A line that starts with punctuation (``. This means``) continues the one
    before it. A short unpunctuated line between full sentences followed by a
    capitalised full sentence is a subheading and stays on its own.
    """
    out: list[str] = []
    for line in lines:
        if out and _STARTS_WITH_PUNCTUATION.match(line) and not _TERMINAL.search(out[-1]):
            removed.append((REJOINED, _seam(out[-1], line)))
            out[-1] = out[-1] + line
        elif out and not _TERMINAL.search(out[-1]) and not _is_heading(out, line):
            removed.append((REJOINED, _seam(out[-1], line)))
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return out


def _seam(before: str, after: str) -> str:
    return f"…{before[-40:]} ⏎ {after[:40]}…"


def _is_heading(out: list[str], following: str) -> bool:
    """Is ``out[-1]`` a subheading rather than a sentence cut mid-way?"""
    candidate = out[-1]
    words = _WORD.findall(candidate)
    before_ends_sentence = len(out) == 1 or bool(_TERMINAL.search(out[-2]))
    return (len(words) <= HEADING_MAX_WORDS and before_ends_sentence and "," not in candidate
            and words[-1].casefold() not in _FUNCTION_WORDS
            and following[:1].isupper() and bool(_TERMINAL.search(following)))


def _is_short_text(line: str, max_words: int) -> bool:
    """A short line with a real word: punctuation-only lines may end fragments, so never count."""
    return len(_WORD.findall(line)) <= max_words and bool(_HAS_WORD.search(line))


def _key(line: str) -> str:
    """Comparison key: case- and whitespace-insensitive."""
    return " ".join(line.casefold().split())

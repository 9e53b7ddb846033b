"""Build a synthetic news-like corpus of exactly N paragraph segments, as Parquet shards.

The scale benchmark (100k, 300k, 1M segments) needs corpora far larger than any shared
data set, so this re-paragraphs real text: the sentences of the AllSides articles, the BBC
News articles, the 20 Newsgroups posts and the BABE news sentences (all read from
../shared/data at run time, never copied) form a pool of distinct sentences, grouped by the
article (BABE: outlet and topic; posts and articles under 6 sentences joined per
newsgroup or outlet) they came from. Documents are cut from one source article at a time:
1 to 5 paragraphs of 1 to 3 consecutive sentences, joined by a blank line, which is what
stance's paragraph segmentation splits on; the last document is cut short so that the
total number of paragraphs equals the request exactly.

Every paragraph text is distinct (also ignoring case): exact repeats would be served from
the embedding cache and make the benchmark's timings look better than the pipeline is. A
large corpus uses each pool sentence several times (1M segments: about 5 passes over the
~365k sentences). The first pass (about 190k paragraphs) uses every sentence once; later
passes shuffle each article's sentences before cutting, so most paragraphs are new
combinations, and one that still repeats an earlier paragraph takes the next sentence if
it may, else gets a distinct marker sentence `` (Report 123.)`` (about 2% at 1M).

Paragraphs are also made to survive stance's own cleaning and segmentation unchanged:
every sentence ends a sentence (cleaning re-joins fragments), has at least 8 words
(``segmentation.min_words`` merges shorter ones), paragraphs stay under
:data:`PARAGRAPH_MAX_CHARS` (so none is over the embedding model's 256 tokens and split),
and sentences a packaged boilerplate rule would remove are left out.

Outlets: the AllSides outlet names for the most frequent AllSides outlets, BABE's outlets,
BBC News, and synthetic names (``outlet-017`` and a few Cyrillic ones, such as ``Белта``)
for the rest, about 150 in all. Dates are spread uniformly over 2021-01-01 .. 2022-12-31.
Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed and data give
byte-identical shards, and --shard-rows changes only where the shards are cut. Memory: the
sentence pool and one shard's rows (about 0.6 GB peak at 1M segments).

Output: ``part-00000.parquet``, ... (columns doc_id, outlet, date, title, text; about
shard_rows documents each) and ``corpus.json`` (counts, seed, the source files' sha256).
stance reads the folder as a corpus with ``corpus.format: parquet`` (every ``.parquet``
file in it); elsewhere read the shards with ``glob("part-*.parquet")``, since
``pd.read_parquet(folder)`` would also try to read corpus.json.

Run: .venv/bin/python benchmarks/scale_corpus.py --segments 1000000 --out /tmp/stance-scale/1m
     [--shard-rows 50000] [--seed 0]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
#: The packaged boilerplate rules; a sentence one of them matches would be cleaned away.
BOILERPLATE = ROOT / "src" / "stance" / "data" / "boilerplate.yaml"

ALLSIDES = "allsides_dev/articles.csv"
BBC = "bbc_news/bbc_news_raw.csv"
NEWSGROUPS = "20newsgroups/20news_bydate_clean.jsonl"
BABE = ("babe/final_labels_SG2.csv", "babe/final_labels_SG1.csv")

COLUMNS = ("doc_id", "outlet", "date", "title", "text")
SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS])

SENTENCE_MIN_CHARS, SENTENCE_MAX_CHARS = 30, 400
#: stance's ``segmentation.min_words``: a shorter paragraph would merge into its neighbour.
SENTENCE_MIN_WORDS = 8
#: Under 256 MiniLM tokens for prose (about 4.5 characters a token).
PARAGRAPH_MAX_CHARS = 700
SENTENCES_PER_PARAGRAPH = (1, 3)
PARAGRAPHS_PER_DOCUMENT = (1, 5)
#: Share of letters a kept sentence has at least (drops code, tables and ASCII art).
MIN_LETTER_SHARE = 0.7
#: BABE sentences of one outlet and topic make pseudo-articles of this many sentences.
BABE_ARTICLE_SENTENCES = 8
#: Shorter source articles are joined (per newsgroup or outlet), so passes recombine them.
MIN_ARTICLE_SENTENCES = 6

N_OUTLETS = 150
CYRILLIC_OUTLETS = ("Белта", "Наша Ніва", "Зеркало", "Радыё Свабода", "Еўрарадыё",
                    "Хартыя'97")
N_SYNTHETIC = 40  # the Cyrillic names plus outlet-000 ..
FIRST_DAY, N_DAYS = np.datetime64("2021-01-01"), 730  # through 2022-12-31
DATES = np.datetime_as_string(FIRST_DAY + np.arange(N_DAYS), unit="D").tolist()

_WS = re.compile(r"\s+")
# A sentence ends at . ! ? (plus closing quotes/brackets) before space and a capital, digit
# or opening quote; the same rule as stance's own sentence splitter.
_SENTENCE_END = re.compile(r"""[.!?]["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])""")
_ABBREVIATION = re.compile(  # searched in the last word before a sentence end
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|No|vs|etc|Jan|Feb|"
    r"Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.K|E\.U|[A-Z])\.$")
_STARTS = re.compile(r"""^["'“‘(\[]?[A-Z0-9]""")
_ENDS = re.compile(r"""[.!?]["'”’)\]]*$""")
_NOT_PROSE = re.compile(r"@|https?:|www\.|\.com\b|[<>{}|\\_=^~#*]")
#: 20NG lines that are not the post's own prose: quotes, headers, attributions.
_NEWSGROUP_LINE = re.compile(
    r"\s*(?:[>|:]|(?:From|Subject|Organization|Lines|Reply-To|Distribution|Keywords|Summary|"
    r"Sender|Newsgroups|Path|Date|Message-ID|Followup-To|NNTP-Posting-Host|Article-I\.D\.|"
    r"Expires|X-[\w-]+)\s*:|In article\b)", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Article:
    """A source article: where it came from, its outlet and title, its sentences' indices."""

    kind: str
    outlet: str
    title: str
    sentences: np.ndarray


@dataclass
class Pool:
    """The distinct sentences, grouped into the articles they came from."""

    sentences: list[str]
    articles: list[Article]
    outlets: list[str]
    sources: list[dict]


def split_sentences(block: str) -> list[str]:
    """Sentences of one paragraph of text (whitespace already collapsed)."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(block):
        end = match.start() + 1
        if _ABBREVIATION.search(block, max(start, block.rfind(" ", start, end) + 1), end):
            continue
        out.append(block[start:match.end()].strip())
        start = match.end()
    out.append(block[start:].strip())
    return out


def _keep(sentence: str, boilerplate: tuple[re.Pattern, re.Pattern] | None) -> bool:
    """Whether a sentence is clean prose of the right size that no cleaning rule removes."""
    n = len(sentence)
    if not SENTENCE_MIN_CHARS <= n <= SENTENCE_MAX_CHARS:
        return False
    if len(sentence.split()) < SENTENCE_MIN_WORDS:
        return False
    if not (_STARTS.match(sentence) and _ENDS.search(sentence, n - 8)):
        return False
    if _NOT_PROSE.search(sentence):
        return False
    if boilerplate is not None:
        anchored, anywhere = boilerplate
        if anchored.match(sentence) or anywhere.search(sentence):
            return False
    return sum(map(str.isalpha, sentence)) >= MIN_LETTER_SHARE * n


def _blocks(text: str, newsgroup: bool = False) -> Iterator[str]:
    """The paragraphs of a text, each on one line; 20NG header, quote and signature lines out."""
    for block in _BLANK_LINE.split(text):
        if newsgroup:
            kept = []
            for line in block.splitlines():
                stripped = line.strip()
                if stripped == "--":  # the signature follows
                    return
                # "... writes:" and other lines ending in a colon introduce a quote
                if not (stripped.endswith(":") or _NEWSGROUP_LINE.match(line)):
                    kept.append(stripped)
            block = " ".join(kept)
        joined = " ".join(block.split())
        if joined:
            yield joined


def _boilerplate_screen() -> tuple[tuple[re.Pattern, re.Pattern] | None, str | None]:
    """The packaged line and block rules as two regexes, and the rules file's sha256.

    The rules anchored at the line's start are matched there, the rest searched: one
    alternation searched at every position would be ten times slower.
    """
    if not BOILERPLATE.is_file():
        return None, None
    rules = yaml.safe_load(BOILERPLATE.read_text("utf-8"))
    regexes = [r["regex"] for r in rules if r.get("scope", "line") != "paragraph"]
    anchored = [f"(?:{x})" for x in regexes if x.startswith("^")] or ["(?!)"]
    anywhere = [f"(?:{x})" for x in regexes if not x.startswith("^")] or ["(?!)"]
    return ((re.compile("|".join(anchored), re.IGNORECASE),
             re.compile("|".join(anywhere), re.IGNORECASE)), _sha256(BOILERPLATE))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _csv_rows(path: Path, sep: str = ",", encoding: str = "utf-8") -> Iterator[dict[str, str]]:
    """The rows of a CSV file as dicts, one at a time; missing values as ''."""
    csv.field_size_limit(1 << 30)
    with path.open(encoding=encoding, newline="") as handle:
        for row in csv.DictReader(handle, delimiter=sep):
            yield {key: value or "" for key, value in row.items()}


def _canonical_outlet(name: str) -> str:
    return " ".join(name.replace("-", " ").split()).casefold()


def build_pool(data: Path, rng: np.random.Generator) -> Pool:
    """Read the shared data sets into distinct sentences grouped by source article."""
    screen, rules_sha = _boilerplate_screen()
    sentences: list[str] = []
    seen: set[str] = set()
    raw: list[tuple[str, str, str, list[int]]] = []  # (kind, outlet, title, sentence ids)
    sources: list[dict] = []

    def add(kind: str, outlet: str, title: str, texts: list[str], newsgroup: bool = False) -> int:
        ids, title_key = [], _WS.sub(" ", title).strip().casefold()
        for text in texts:
            for block in _blocks(text, newsgroup):
                for sentence in split_sentences(block):
                    key = sentence.casefold()
                    if key in seen or key == title_key or not _keep(sentence, screen):
                        continue
                    seen.add(key)
                    ids.append(len(sentences))
                    sentences.append(sentence)
        if ids:
            raw.append((kind, outlet, title, ids))
        return len(ids)

    def source(path: str, **extra) -> dict:
        entry = {"path": str(data / path), "sha256": _sha256(data / path),
                 "bytes": (data / path).stat().st_size, **extra}
        sources.append(entry)
        return entry

    # Read row by row: pandas would hold each whole file (and peak at 3x its size).
    allsides_counts: Counter[str] = Counter()
    n = 0
    for row in _csv_rows(data / ALLSIDES):
        allsides_counts[row["outlet"]] += 1
        n += add("allsides", row["outlet"], row["title"], [row["text"]])
    source(ALLSIDES, documents=allsides_counts.total(), sentences=n)

    n = rows = 0
    for row in _csv_rows(data / BBC):
        rows += 1
        n += add("bbc", "BBC News", row["title"], [row["text"]])
    source(BBC, documents=rows, sentences=n)

    n = rows = 0
    with (data / NEWSGROUPS).open(encoding="utf-8") as handle:
        for line in handle:
            rows += 1
            post = json.loads(line)
            n += add("newsgroups", "", post["label"], [post["text"] or ""], newsgroup=True)
    source(NEWSGROUPS, documents=rows, sentences=n)

    babe_names: dict[str, str] = {}
    for path in BABE:
        groups: dict[tuple[str, str], list[str]] = {}
        rows = 0
        for row in _csv_rows(data / path, sep=";", encoding="utf-8-sig"):
            rows += 1
            name = row["outlet"]
            outlet = babe_names.setdefault(_canonical_outlet(name), name if name != name.lower()
                                           else name.replace("-", " ").title())
            groups.setdefault((outlet, row["topic"].strip()), []).append(row["text"])
        n = 0
        for (outlet, topic), texts in sorted(groups.items()):
            for first in range(0, len(texts), BABE_ARTICLE_SENTENCES):
                chunk = texts[first:first + BABE_ARTICLE_SENTENCES]
                n += add("babe", outlet, topic.capitalize(), chunk)
        source(path, documents=rows, sentences=n)
    if rules_sha:
        sources.append({"path": str(BOILERPLATE), "sha256": rules_sha,
                        "bytes": BOILERPLATE.stat().st_size, "use": "sentence filter"})

    named = ["BBC News", *sorted(set(babe_names.values()))]
    synthetic = [f"outlet-{i:03d}" for i in range(N_SYNTHETIC - len(CYRILLIC_OUTLETS))]
    for rank, name in enumerate(CYRILLIC_OUTLETS):  # spread over the heavy tail's ranks
        synthetic.insert(3 + 5 * rank, name)
    kept: list[str] = []
    taken = {_canonical_outlet(o) for o in named}
    for outlet, _ in allsides_counts.most_common():  # most articles first; ties in file order
        if len(named) + len(kept) + len(synthetic) >= N_OUTLETS:
            break
        if _canonical_outlet(outlet) not in taken:
            kept.append(outlet)
            taken.add(_canonical_outlet(outlet))
    kept_set = set(kept)
    raw = _merge_short(raw)
    # A heavy-tailed share for the synthetic outlets, as real corpora have.
    weights = 1.0 / np.arange(2, len(synthetic) + 2) ** 0.7
    drawn = iter(rng.choice(len(synthetic), size=len(raw), p=weights / weights.sum()))
    articles = []
    for kind, outlet, title, ids in raw:
        pick = synthetic[next(drawn)]
        if kind in ("newsgroups", "allsides") and outlet not in kept_set:
            outlet = pick
        articles.append(Article(kind, outlet, title, np.asarray(ids, dtype=np.int32)))
    outlets = sorted({a.outlet for a in articles})
    return Pool(sentences, articles, outlets, sources)


def _merge_short(raw: list[tuple[str, str, str, list[int]]]) -> list[tuple[str, str, str,
                                                                        list[int]]]:
    """Articles of fewer than :data:`MIN_ARTICLE_SENTENCES` sentences joined into longer ones.

    Short posts of one newsgroup (or short articles of one outlet) are joined in the order
    read, first one's title kept. A one-sentence article could give only the same
    one-sentence paragraph on every pass over the pool.
    """
    out, pending = [], {}
    for kind, outlet, title, ids in raw:
        if len(ids) >= MIN_ARTICLE_SENTENCES:
            out.append((kind, outlet, title, ids))
            continue
        key = (kind, title if kind == "newsgroups" else outlet)
        if key in pending:
            pending[key][3].extend(ids)
        else:
            pending[key] = (kind, outlet, title, list(ids))
        if len(pending[key][3]) >= MIN_ARTICLE_SENTENCES:
            out.append(pending.pop(key))
    return out + list(pending.values())


def _title(article: Article, first_paragraph: str) -> str:
    """The article's title; 20NG posts and BABE groups, which have none, their first words.

    A title never equals the first paragraph, which cleaning would then drop.
    """
    title = _WS.sub(" ", article.title).strip()
    if article.kind in ("allsides", "bbc") and title:
        return title
    return " ".join(first_paragraph.split()[:9]).rstrip(".,;:!?\"'”’") + " …"


class _Paragraphs:
    """Cuts articles into documents of distinct paragraphs, pass after pass over the pool."""

    def __init__(self, pool: Pool, rng: np.random.Generator) -> None:
        self.pool, self.rng = pool, rng
        self.seen: set[bytes] = set()
        self.passes = 0
        self.marked = 0
        self.sentences_used = 0
        self.used = np.zeros(len(pool.sentences), dtype=bool)

    def _distinct(self, text: str) -> bool:
        digest = hashlib.blake2b(text.casefold().encode(), digest_size=8).digest()
        if digest in self.seen:
            return False
        self.seen.add(digest)
        return True

    def documents(self) -> Iterator[tuple[Article, list[str], int]]:
        """(article, paragraphs, day) for ever: each pass visits the articles in a new order.

        The day is days after :data:`FIRST_DAY`, drawn here so that shard size does not
        change what is drawn.
        """
        sentences = self.pool.sentences
        lo, hi = SENTENCES_PER_PARAGRAPH
        while True:
            order = self.rng.permutation(len(self.pool.articles))
            for index in order:
                article = self.pool.articles[index]
                ids = article.sentences
                if self.passes:  # recombine: a new order of the article's sentences
                    ids = ids[self.rng.permutation(len(ids))]
                sizes = self.rng.integers(lo, hi + 1, size=len(ids))
                lengths = self.rng.integers(PARAGRAPHS_PER_DOCUMENT[0],
                                            PARAGRAPHS_PER_DOCUMENT[1] + 1, size=len(ids))
                days = self.rng.integers(0, N_DAYS, size=len(ids))
                paragraphs: list[str] = []
                i = k = d = 0
                while i < len(ids):
                    j = min(i + int(sizes[k]), len(ids))
                    while j > i + 1 and sum(len(sentences[s]) + 1 for s in ids[i:j]) \
                            > PARAGRAPH_MAX_CHARS:
                        j -= 1
                    text = " ".join(sentences[s] for s in ids[i:j])
                    # a repeat takes the next sentence while it may, else a marker
                    while not self._distinct(text):
                        if (j < len(ids) and j - i < hi
                                and len(text) + len(sentences[ids[j]]) < PARAGRAPH_MAX_CHARS):
                            text = f"{text} {sentences[ids[j]]}"
                            j += 1
                        else:
                            self.marked += 1
                            text = f"{text} (Report {self.marked}.)"
                    self.used[ids[i:j]] = True
                    self.sentences_used += j - i
                    paragraphs.append(text)
                    if len(paragraphs) == lengths[d]:
                        yield article, paragraphs, int(days[d])
                        paragraphs, d = [], d + 1
                    i, k = j, k + 1
                if paragraphs:
                    yield article, paragraphs, int(days[d])
            self.passes += 1


def _write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_shard(path: Path, rows: dict[str, list[str]]) -> int:
    table = pa.Table.from_pydict(rows, schema=SCHEMA)
    _write_atomic(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    return path.stat().st_size


def build_scale_corpus(n_segments: int, out_dir: Path, shard_rows: int = 50_000,
                       seed: int = 0, data: Path = DATA) -> dict:
    """Write Parquet shards of documents with ``n_segments`` paragraphs in all to ``out_dir``.

    Returns:
        The summary also written to ``out_dir/corpus.json``: documents, segments, shards,
        outlets, bytes (of the shards) and how the corpus was made.
    """
    if n_segments < 1 or shard_rows < 1:
        raise ValueError("n_segments and shard_rows must be positive")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pool = build_pool(Path(data), rng)
    pool_seconds = time.perf_counter() - started
    maker = _Paragraphs(pool, rng)
    documents = maker.documents()

    shards: list[dict] = []
    outlets: set[str] = set()
    remaining, n_docs = n_segments, 0
    while remaining:
        rows: dict[str, list[str]] = {name: [] for name in COLUMNS}
        while remaining and len(rows["doc_id"]) < shard_rows:
            article, paragraphs, day = next(documents)
            paragraphs = paragraphs[:remaining]
            remaining -= len(paragraphs)
            rows["doc_id"].append(f"scale-{n_docs:08d}")
            rows["outlet"].append(article.outlet)
            rows["date"].append(DATES[day])
            rows["title"].append(_title(article, paragraphs[0]))
            rows["text"].append("\n\n".join(paragraphs))
            outlets.add(article.outlet)
            n_docs += 1
        path = out_dir / f"part-{len(shards):05d}.parquet"
        size = _write_shard(path, rows)
        shards.append({"file": path.name, "documents": len(rows["doc_id"]), "bytes": size})
        del rows
    names = {s["file"] for s in shards}
    for stale in out_dir.glob("part-*.parquet"):  # from an earlier, larger build
        if stale.name not in names:
            stale.unlink()

    summary = {
        "documents": n_docs,
        "segments": n_segments,
        "shards": len(shards),
        "outlets": len(outlets),
        "bytes": sum(s["bytes"] for s in shards),
        "seed": seed,
        "columns": list(COLUMNS),
        "segment_unit": "paragraph (split on blank lines)",
        "pool_sentences": len(pool.sentences),
        "pool_articles": len(pool.articles),
        "sentences_used": maker.sentences_used,
        "distinct_sentences_used": int(maker.used.sum()),
        "passes_over_pool": maker.passes + 1,
        "marked_paragraphs": maker.marked,
        "dates": [DATES[0], DATES[-1]],
        "outlet_names_available": len(pool.outlets),
        "sources": pool.sources,
        "shard_files": shards,
        "built_by": "benchmarks/scale_corpus.py",
        "seconds": {"pool": round(pool_seconds, 1),
                    "total": round(time.perf_counter() - started, 1)},
    }
    text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    _write_atomic(out_dir / "corpus.json", lambda tmp: tmp.write_text(text, "utf-8"))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, required=True, help="paragraphs in all")
    parser.add_argument("--out", type=Path, required=True, help="folder for the shards")
    parser.add_argument("--shard-rows", type=int, default=50_000, help="documents per shard")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    args = parser.parse_args()
    summary = build_scale_corpus(args.segments, args.out, args.shard_rows, args.seed, args.data)
    keys = ("documents", "segments", "shards", "outlets", "bytes", "pool_sentences",
            "passes_over_pool", "marked_paragraphs", "seconds")
    print(json.dumps({k: summary[k] for k in keys}, ensure_ascii=False))


if __name__ == "__main__":
    main()

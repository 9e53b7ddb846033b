"""The corpus stage: load, clean and de-duplicate, accounting for every input document."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from stance.config import CleaningConfig, CorpusConfig, DedupConfig
from stance.corpus._clean import clean_corpus
from stance.corpus._dedup import apply_duplicates, find_near_duplicates
from stance.corpus._read import load_corpus
from stance.data import Audit, CleanedCorpus, Corpus
from stance.errors import StanceError

log = logging.getLogger(__name__)


def prepare_corpus(
    corpus_cfg: CorpusConfig, cleaning_cfg: CleaningConfig, dedup_cfg: DedupConfig, *, seed: int,
    other_inputs: Sequence[Path] = (), client=None
) -> tuple[CleanedCorpus, str]:
    """Load, clean and de-duplicate a corpus.

    ``other_inputs`` are files other settings read (a labels file kept beside the articles):
    a folder corpus does not report them as files it left unread. With a Dask ``client``
    a folder of shards is read, and the documents cleaned and
    signed for near-duplicates, on its workers.

    Returns:
        The cleaned corpus with its audit (one row per input document: kept,
        dropped with a reason, or merged), and the sha256 of the loaded data.
    """
    loaded = load_corpus(corpus_cfg, other_inputs=other_inputs, client=client)
    corpus, audit = loaded.corpus, loaded.audit
    if cleaning_cfg.enabled:
        corpus, removals = clean_corpus(corpus, cleaning_cfg, client=client)
    else:
        removals = Audit(audit).removals
    corpus, audit = _drop_emptied(corpus, audit, corpus_cfg)
    duplicates = find_near_duplicates(corpus, dedup_cfg, seed=seed, client=client)
    corpus, audit = apply_duplicates(corpus, audit, duplicates, dedup_cfg)
    return CleanedCorpus(corpus, Audit(audit, removals)), loaded.digest


def _drop_emptied(corpus: Corpus, audit, corpus_cfg: CorpusConfig):
    """Documents that cleaning emptied (all boilerplate) are dropped with that reason."""
    empty = corpus.documents["text"].str.strip() == ""
    if not empty.any():
        return corpus, audit
    if empty.all():
        raise StanceError(f"{corpus_cfg.path}: cleaning removed all the text of every document "
                          f"({len(empty)}); check the cleaning patterns, or set "
                          "cleaning.enabled: false")
    log.warning("%s: cleaning removed all the text of %d of %d documents; they are dropped "
                "(audit.csv names them)", corpus_cfg.path, int(empty.sum()), len(empty))
    gone = set(corpus.documents.loc[empty, "doc_id"])
    audit = audit.copy()
    hit = audit["doc_id"].isin(gone) & (audit["status"] == "kept")
    audit.loc[hit, "status"] = "dropped"
    audit.loc[hit, "reason"] = "empty after cleaning (all boilerplate)"
    return corpus.with_documents(corpus.documents[~empty]), audit

"""Near-duplicate documents: the same wire story syndicated by several outlets.

MinHash with locality-sensitive hashing (datasketch) finds candidate pairs in
roughly linear time, so it scales to millions of documents where all-pairs
TF-IDF cosine would not.
"""

from __future__ import annotations

import re

import pandas as pd

from stance.config import DedupConfig
from stance.corpus._tasks import in_blocks, map_in_order
from stance.data import Corpus

_WORD = re.compile(r"\w+", re.UNICODE)
DUPLICATE_COLUMNS = ("doc_id", "duplicate_of", "similarity")


def find_near_duplicates(corpus: Corpus, cfg: DedupConfig, *, seed: int = 1,
                         client=None) -> pd.DataFrame:
    """Group near-duplicate documents and name each group's first document.

    Signatures are computed a block of documents at a time (on the workers
    of a Dask ``client`` if given); the join over them runs here.

    Groups are connected components of the pairs that pass the threshold (single
    linkage), so copies of copies share a group, as they must share a fold; a member's
    similarity to the group's first document can be below the threshold.

    Returns:
        One row per duplicate (not per first copy): doc_id, duplicate_of (the
        earliest document of its group in corpus order) and the estimated
        Jaccard similarity of their word shingles.

    Example:
        >>> find_near_duplicates(corpus, DedupConfig(threshold=0.8))  # doctest: +SKIP
    """
    if cfg.method == "none" or len(corpus) < 2:
        return pd.DataFrame(columns=list(DUPLICATE_COLUMNS))
    from datasketch import MinHashLSH

    ids = corpus.documents["doc_id"].tolist()
    blocks = map_in_order(client, signatures, in_blocks(corpus.documents["text"]),
                          "near-duplicate signatures", work=len(ids), cfg=cfg, seed=seed)
    hashes = [h for block in blocks for h in block]
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    for doc_id, minhash in zip(ids, hashes, strict=True):
        lsh.insert(doc_id, minhash)
    order = {doc_id: i for i, doc_id in enumerate(ids)}
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, minhash in enumerate(hashes):
        for other in lsh.query(minhash):
            j = order[other]
            # LSH returns candidates; keep only pairs whose estimate passes the threshold.
            if j != i and minhash.jaccard(hashes[j]) >= cfg.threshold:
                a, b = find(i), find(j)
                parent[max(a, b)] = min(a, b)  # the earliest document stays the root
    rows = []
    for i, doc_id in enumerate(ids):
        root = find(i)
        if root != i:
            rows.append((doc_id, ids[root], round(float(hashes[i].jaccard(hashes[root])), 3)))
    return pd.DataFrame(rows, columns=list(DUPLICATE_COLUMNS))


def signatures(texts: pd.Series, *, cfg: DedupConfig, seed: int) -> list:
    """The MinHash signature of each text's word shingles."""
    from datasketch import LeanMinHash, MinHash

    shingle_sets = [_shingles(text, cfg.shingle_words) for text in texts]
    return [LeanMinHash(h) for h in MinHash.bulk(shingle_sets, num_perm=cfg.num_perm, seed=seed)]


def apply_duplicates(
    corpus: Corpus, audit: pd.DataFrame, duplicates: pd.DataFrame, cfg: DedupConfig
) -> tuple[Corpus, pd.DataFrame]:
    """Record duplicates in the audit and add ``dup_group``; drop them if configured.

    ``dup_group`` names each document's group (its first copy), so later stages
    can keep syndicated copies in one cross-validation fold. ``action: drop`` merges a
    copy into the first only if they pass the threshold themselves: one that joined the
    group through other copies is kept (in the group).
    """
    documents = corpus.documents.copy()
    first_of = dict(zip(duplicates["doc_id"], duplicates["duplicate_of"], strict=True))
    similarity = dict(zip(duplicates["doc_id"], duplicates["similarity"], strict=True))
    documents["dup_group"] = [first_of.get(d, d) for d in documents["doc_id"]]
    audit = audit.copy()
    is_dup = audit["doc_id"].isin(first_of) & (audit["status"] == "kept")
    audit.loc[is_dup, "duplicate_of"] = audit.loc[is_dup, "doc_id"].map(first_of)
    merged = {d for d in first_of if cfg.action == "drop" and similarity[d] >= cfg.threshold}
    audit.loc[is_dup, "reason"] = [_reason(d, first_of[d], similarity[d], d in merged, cfg)
                                   for d in audit.loc[is_dup, "doc_id"]]
    audit.loc[is_dup & audit["doc_id"].isin(merged), "status"] = "merged"
    documents = documents[~documents["doc_id"].isin(merged)]
    return corpus.with_documents(documents), audit


def _reason(doc_id: str, first: str, similarity: float, merged: bool, cfg: DedupConfig) -> str:
    if merged:
        return f"merged into {first} (Jaccard {similarity:.2f})"
    if similarity >= cfg.threshold:
        return f"kept; near-duplicate of {first} (Jaccard {similarity:.2f})"
    return (f"kept; in {first}'s near-duplicate group through other copies (Jaccard "
            f"{similarity:.2f} to it, below {cfg.threshold:g})")


def _shingles(text: str, size: int) -> list[bytes]:
    words = _WORD.findall(text.lower())
    if len(words) <= size:
        return [" ".join(words).encode()]
    # A set: repeated shingles carry no extra information for Jaccard.
    return list({" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)})


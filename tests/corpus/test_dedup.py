import pandas as pd

from stance.config import DedupConfig
from stance.corpus import apply_duplicates, find_near_duplicates
from stance.data import Corpus

WIRE = ("Russian President Vladimir Putin and Belarusian President Alexander Lukashenko held "
        "talks in Sochi on Monday to discuss integration, trade and energy projects, the Kremlin "
        "said in a statement after the meeting ended late in the evening.")


def _corpus():
    texts = [WIRE, "An unrelated story about football results and the weekend weather forecast "
             "for the capital and the coast.", WIRE + " Reporting by our correspondent.", WIRE]
    frame = pd.DataFrame({"doc_id": ["a", "b", "c", "d"], "outlet": ["A", "B", "C", "D"],
                          "date": pd.NaT, "title": "", "text": texts})
    audit = pd.DataFrame({"doc_id": list("abcd"), "source": "x", "status": "kept",
                          "reason": "", "duplicate_of": ""})
    return Corpus(frame), audit


def test_finds_syndicated_copies_and_names_the_first():
    corpus, _ = _corpus()
    found = find_near_duplicates(corpus, DedupConfig(threshold=0.7))
    assert dict(zip(found["doc_id"], found["duplicate_of"], strict=False)) == {"c": "a", "d": "a"}
    assert (found["similarity"] >= 0.7).all()


def test_keep_marks_and_drop_merges_every_document_accounted():
    corpus, audit = _corpus()
    found = find_near_duplicates(corpus, DedupConfig(threshold=0.7))
    kept, kept_audit = apply_duplicates(corpus, audit, found, DedupConfig(action="keep"))
    assert len(kept) == 4
    assert list(kept.documents["dup_group"]) == ["a", "b", "a", "a"]
    assert kept_audit.set_index("doc_id").loc["c", "duplicate_of"] == "a"
    dropped, drop_audit = apply_duplicates(corpus, audit, found, DedupConfig(action="drop"))
    assert list(dropped.documents["doc_id"]) == ["a", "b"]
    statuses = drop_audit.set_index("doc_id")["status"].to_dict()
    assert statuses == {"a": "kept", "b": "kept", "c": "merged", "d": "merged"}
    assert "merged into a" in drop_audit.set_index("doc_id").loc["d", "reason"]


def test_method_none_and_deterministic():
    corpus, _ = _corpus()
    assert find_near_duplicates(corpus, DedupConfig(method="none")).empty
    cfg = DedupConfig(threshold=0.7)
    assert find_near_duplicates(corpus, cfg).equals(find_near_duplicates(corpus, cfg))


def test_drop_merges_only_copies_that_pass_the_threshold_themselves():
    # d joined a's group through c (a chain): too unlike a to be merged into it, so it is
    # kept, and stays in a's group (one fold)
    corpus, audit = _corpus()
    found = pd.DataFrame({"doc_id": ["c", "d"], "duplicate_of": ["a", "a"],
                          "similarity": [0.9, 0.594]})
    dropped, drop_audit = apply_duplicates(corpus, audit, found,
                                           DedupConfig(threshold=0.8, action="drop"))
    assert list(dropped.documents["doc_id"]) == ["a", "b", "d"]
    assert list(dropped.documents["dup_group"]) == ["a", "b", "a"]
    rows = drop_audit.set_index("doc_id")
    assert rows.loc["c", "status"] == "merged" and rows.loc["d", "status"] == "kept"
    assert rows.loc["d", "reason"] == ("kept; in a's near-duplicate group through other copies "
                                       "(Jaccard 0.59 to it, below 0.8)")

import json

import pandas as pd
import pytest

from stance.config import CorpusConfig
from stance.corpus import load_corpus
from stance.errors import StanceError

from .conftest import SEEDS


def _cfg(path, **kw):
    return CorpusConfig(path=path, **{"columns": {"labels": ["framing"]}, **kw})


def _check(loaded, n=3):
    docs = loaded.corpus.documents
    assert len(docs) == n
    assert list(docs["doc_id"]) == ["a1", "a2", "b1"][:n]
    assert set(docs["outlet"]) == {"Alpha", "Beta"}
    assert docs.loc[0, "date"] == pd.Timestamp("2022-09-26")
    assert pd.isna(docs.loc[2, "date"])
    assert docs.loc[2, "framing"] == "delegitimising"
    assert (loaded.audit["status"] == "kept").all()
    assert len(loaded.digest) == 64


def test_csv(write_csv, small_rows):
    _check(load_corpus(_cfg(write_csv(small_rows))))


def test_jsonl(tmp_path, small_rows):
    path = tmp_path / "corpus.jsonl"
    header, *rows = small_rows
    path.write_text("\n".join(json.dumps(dict(zip(header, r, strict=False))) for r in rows) + "\n")
    _check(load_corpus(_cfg(path)))


def test_parquet(tmp_path, small_rows):
    path = tmp_path / "corpus.parquet"
    header, *rows = small_rows
    pd.DataFrame(rows, columns=header).to_parquet(path)
    _check(load_corpus(_cfg(path)))


def test_folder_with_metadata(tmp_path, write_csv, small_rows):
    header, *rows = small_rows
    meta = [["doc_id", "file", "outlet", "date", "title", "framing"]]
    for row in rows:
        record = dict(zip(header, row, strict=False))
        (tmp_path / f"{record['doc_id']}.txt").write_text(record["text"])
        meta.append([record["doc_id"], f"{record['doc_id']}.txt", record["outlet"],
                     record["date"], record["title"], record["framing"]])
    write_csv(meta, name="metadata.csv")
    _check(load_corpus(_cfg(tmp_path)))


def test_seed_folder_loads_all_five():
    loaded = load_corpus(_cfg(SEEDS))
    docs = loaded.corpus.documents
    assert len(docs) == 5
    raw = {p.stem: p.read_text(encoding="utf-8") for p in SEEDS.glob("*.txt")}
    assert dict(zip(docs["doc_id"], docs["text"], strict=False)) == raw
    assert set(docs["framing"]) <= {"delegitimising", "official-sourced", "neutral-wire"}


def test_mapped_columns_and_content_hash_ids(write_csv):
    path = write_csv([["body", "site"], ["Text one here.", "X"], ["Text two here.", "Y"]])
    cfg = CorpusConfig(path=path, columns={"id": None, "text": "body", "outlet": "site"})
    first = load_corpus(cfg).corpus.documents
    again = load_corpus(cfg).corpus.documents
    assert list(first["doc_id"]) == list(again["doc_id"])  # stable across runs
    assert first["doc_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert list(first["outlet"]) == ["X", "Y"]


def test_missing_outlet_becomes_unknown(write_csv):
    path = write_csv([["doc_id", "text"], ["1", "Some text here."]])
    assert load_corpus(CorpusConfig(path=path)).corpus.documents.loc[0, "outlet"] == "unknown"


# --- bad input: one line per problem, naming file, row and column, and what to do ---

def _one_problem(cfg) -> str:
    with pytest.raises(StanceError) as caught:
        load_corpus(cfg)
    problems = [p for p in caught.value.problems if not p.startswith("(set corpus.on_invalid")]
    assert len(problems) == 1, caught.value.problems
    assert "\n" not in problems[0]
    return problems[0]


def test_missing_text_column(write_csv):
    path = write_csv([["doc_id", "body"], ["1", "x"]])
    line = _one_problem(CorpusConfig(path=path))
    assert str(path) in line and "no column 'text'" in line and "corpus.columns.text" in line


def test_duplicate_ids(write_csv):
    path = write_csv([["doc_id", "text"], ["1", "one text"], ["1", "another text"]])
    line = _one_problem(CorpusConfig(path=path))
    assert f"{path}:row 2" in line and "duplicate id '1'" in line and "make ids unique" in line


def test_bad_date(write_csv):
    path = write_csv([["doc_id", "text", "date"], ["1", "text", "26/09/2022"]])
    line = _one_problem(CorpusConfig(path=path))
    assert f"{path}:row 1" in line and "column 'date'" in line and "ISO date" in line


def test_empty_text_row(write_csv):
    path = write_csv([["doc_id", "text"], ["1", "fine text"], ["2", "   "]])
    line = _one_problem(CorpusConfig(path=path))
    assert f"{path}:row 2" in line and "empty text" in line


def test_empty_corpus_file(tmp_path):
    path = tmp_path / "corpus.csv"
    path.write_text("")
    assert "empty file" in _one_problem(CorpusConfig(path=path))


def test_header_only_csv_is_empty_corpus(write_csv):
    path = write_csv([["doc_id", "text"]])
    assert "corpus is empty" in _one_problem(CorpusConfig(path=path))


def test_empty_and_binary_files_in_folder(tmp_path):
    (tmp_path / "good.txt").write_text("A real article about the talks.")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(StanceError) as caught:
        load_corpus(CorpusConfig(path=tmp_path))
    lines = caught.value.problems
    assert any(str(tmp_path / "image.txt") in p and "binary file" in p for p in lines)
    assert any(str(tmp_path / "empty.txt") in p and "empty text" in p for p in lines)


def test_drop_mode_accounts_for_every_document(tmp_path):
    (tmp_path / "good.txt").write_text("A real article about the talks.")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "image.txt").write_bytes(b"\x00\x01\x02")
    loaded = load_corpus(CorpusConfig(path=tmp_path, on_invalid="drop"))
    assert list(loaded.corpus.documents["doc_id"]) == ["good"]
    audit = loaded.audit.set_index("doc_id")
    assert len(audit) == 3
    assert audit.loc["empty", "status"] == "dropped"
    assert "empty text" in audit.loc["empty", "reason"]
    assert audit.loc["image", "status"] == "dropped" and "binary" in audit.loc["image", "reason"]


def test_latin1_file_is_decoded_with_a_warning(tmp_path, caplog):
    (tmp_path / "cafe.txt").write_bytes("Caf\xe9 talks \x96 Minsk".encode("latin-1"))
    loaded = load_corpus(CorpusConfig(path=tmp_path))
    assert loaded.corpus.documents.loc[0, "text"] == "Café talks – Minsk"  # cp1252 en dash
    assert any(str(tmp_path / "cafe.txt") in r.getMessage() and "not UTF-8" in r.getMessage()
               for r in caplog.records)
    assert "decoded as cp1252" in loaded.audit.loc[0, "reason"]


def test_missing_path_and_unknown_suffix(tmp_path):
    assert "does not exist" in _one_problem(CorpusConfig(path=tmp_path / "nope.csv"))
    odd = tmp_path / "corpus.xlsx"
    odd.write_bytes(b"PK")
    assert "set corpus.format" in _one_problem(CorpusConfig(path=odd))


def test_bad_jsonl_line(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"doc_id": "1", "text": "ok"}\n{not json}\n')
    assert f"{path}:2" in _one_problem(CorpusConfig(path=path))


def test_limit_reads_first_documents(write_csv, small_rows):
    assert len(load_corpus(_cfg(write_csv(small_rows), limit=2)).corpus) == 2

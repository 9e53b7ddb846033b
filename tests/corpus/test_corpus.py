import json

import pandas as pd
import pytest

from stance.config import CorpusConfig, load_config
from stance.corpus import load_corpus, site_domain
from stance.errors import StanceError
from tests.conftest import EXPERIMENTS, SEEDS


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


def test_a_folder_of_parquet_shards_reads_as_one_corpus(tmp_path, small_rows):
    header, *rows = small_rows
    shards = tmp_path / "shards"
    shards.mkdir()
    pd.DataFrame(rows[:2], columns=header).to_parquet(shards / "part-00000.parquet")
    pd.DataFrame(rows[2:], columns=header).to_parquet(shards / "part-00001.parquet")
    (shards / "corpus.json").write_text("{}")  # other files beside the shards are not read
    _check(load_corpus(_cfg(shards, format="parquet")))


def test_a_folder_of_jsonl_shards_names_the_shard_and_line_of_a_problem(tmp_path, small_rows):
    header, *rows = small_rows
    shards = tmp_path / "shards"
    shards.mkdir()
    for i, row in enumerate(rows):
        (shards / f"part-{i}.jsonl").write_text(json.dumps(dict(zip(header, row, strict=False)))
                                                + "\n")
    _check(load_corpus(_cfg(shards, format="jsonl")))
    (shards / "part-9.jsonl").write_text('{"doc_id": "z", "text": "ok"}\n{not json}\n')
    assert f"{shards / 'part-9.jsonl'}:2" in _one_problem(_cfg(shards, format="jsonl"))


def test_a_folder_without_shards_of_the_format_is_one_clear_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StanceError, match="no .parquet or .pq shards in this folder"):
        load_corpus(CorpusConfig(path=tmp_path, format="parquet"))


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


def test_missing_outlet_becomes_unknown_and_is_logged(write_csv, caplog):
    path = write_csv([["doc_id", "text"], ["1", "Some text here."]])
    assert load_corpus(CorpusConfig(path=path)).corpus.documents.loc[0, "outlet"] == "unknown"
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"{path}: no column 'outlet' (corpus.columns.outlet: one outlet")
    assert "'date' (corpus.columns.date: no dates" in warning and "'title'" in warning
    caplog.clear()
    quiet = CorpusConfig(path=path, columns={"outlet": None, "date": None, "title": None})
    load_corpus(quiet)
    assert not caplog.records  # set to null: the corpus has none, nothing to say


@pytest.mark.parametrize("key", ["id", "outlet", "date", "title"])
def test_a_named_column_the_input_lacks_stops_the_run(write_csv, key):
    path = write_csv([["doc_id", "outlet", "date", "title", "text"],
                      ["1", "A", "2024-01-02", "T", "Some text here."]])
    line = _one_problem(CorpusConfig(path=path, columns={key: "mistyped"}))
    assert line == (f"{path}: no column 'mistyped' (corpus.columns.{key}); found doc_id, "
                    f"outlet, date, title, text; set corpus.columns.{key} to the right column")


def test_a_folder_corpus_lists_the_metadata_columns_it_has(tmp_path, write_csv):
    (tmp_path / "a.txt").write_text("Some text here.")
    write_csv([["doc_id", "file", "outlet"], ["a", "a.txt", "A"]], name="metadata.csv")
    line = _one_problem(CorpusConfig(path=tmp_path, columns={"date": "pubdate"}))
    # not 'text': in folder format the text comes from the files
    assert line == (f"{tmp_path / 'metadata.csv'}: no column 'pubdate' (corpus.columns.date); "
                    "found doc_id, file, outlet; set corpus.columns.date to the right column")


def test_documents_naming_no_outlet_are_counted(write_csv, caplog):
    path = write_csv([["doc_id", "outlet", "text"], ["1", "A", "One text."], ["2", "", "Two."],
                      ["3", " ", "Three."]])
    docs = load_corpus(CorpusConfig(path=path, columns={"date": None, "title": None}))
    assert list(docs.corpus.documents["outlet"]) == ["A", "unknown", "unknown"]
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}: 2 of 3 documents name no outlet; they share the outlet 'unknown' "
        "(corpus.default_outlet)"]
    caplog.clear()
    empty = write_csv([["doc_id", "outlet", "text"], ["1", "", "One."], ["2", "", "Two."]],
                      name="empty_outlets.csv")
    load_corpus(CorpusConfig(path=empty, columns={"date": None, "title": None}))
    assert caplog.messages == [f"{empty}: 2 of 2 documents name no outlet; they share the "
                               "outlet 'unknown' (corpus.default_outlet)"]


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


def test_problems_are_listed_in_input_order(write_csv):
    path = write_csv([["doc_id", "text"], ["1", "one text"], ["2", "  "], ["1", "again"],
                      ["3", ""]])
    with pytest.raises(StanceError) as caught:
        load_corpus(CorpusConfig(path=path))
    rows = [p.split(":row ")[1].split(":")[0] for p in caught.value.problems if ":row " in p]
    assert rows == ["2", "3", "4"]  # empty, duplicate, empty: not grouped by kind


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


def test_drop_mode_accounts_for_every_document(tmp_path, caplog):
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
    assert f"{tmp_path}: dropped 2 of 3 documents as invalid" in caplog.text


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


def test_bad_jsonl_lines_are_dropped_with_their_reason_under_on_invalid_drop(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"doc_id": "1", "text": "one"}\n{not json}\n\n["a", "list"]\n'
                    '{"doc_id": "4", "text": "four"}\n')
    loaded = load_corpus(CorpusConfig(path=path, on_invalid="drop"))
    assert list(loaded.corpus.documents["doc_id"]) == ["1", "4"]
    audit = loaded.audit.set_index("source")
    assert list(audit["status"]) == ["kept", "dropped", "dropped", "kept"]
    assert audit.loc[f"{path}:2", "reason"].startswith("not valid JSON (")
    assert audit.loc[f"{path}:4", "reason"] == "expected a JSON object per line"


def test_dropped_lines_get_no_derived_id_and_are_not_counted_as_naming_no_outlet(tmp_path,
                                                                                  caplog):
    path = tmp_path / "c.jsonl"
    path.write_text('{"text": "Putin met Lukashenko.", "outlet": "A"}\n[1, 2]\nnot json\n'
                    '{"text": "   ", "outlet": "B"}\n{"text": "A second article."}\n')
    loaded = load_corpus(CorpusConfig(path=path, on_invalid="drop",
                                      columns={"id": None, "date": None, "title": None}))
    audit = loaded.audit.set_index("source")
    assert list(audit["status"]) == ["kept", "dropped", "dropped", "dropped", "kept"]
    assert list(audit["doc_id"].iloc[1:4]) == ["", "", ""]  # no text, so no id from it
    assert all(len(doc_id) == 16 for doc_id in loaded.corpus.documents["doc_id"])
    assert f"{path}: 1 of 2 documents name no outlet; they share the outlet 'unknown' " \
           "(corpus.default_outlet)" in caplog.messages


def test_a_bad_jsonl_line_past_the_limit_is_only_beyond_the_limit(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text('{"doc_id": "1", "text": "one"}\n{"doc_id": "2", "text": "two"}\n'
                    "{not json}\n")
    audit = load_corpus(CorpusConfig(path=path, on_invalid="drop", limit=2)).audit
    assert list(audit["status"]) == ["kept", "kept", "dropped"]
    assert audit["reason"].iloc[2] == "beyond corpus.limit 2"


def test_a_jsonl_file_of_nothing_but_bad_lines_says_why(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text("{not json}\n[1]\n")
    with pytest.raises(StanceError, match=r"c\.jsonl:1: not valid JSON"):
        load_corpus(CorpusConfig(path=path, on_invalid="drop"))


def test_limit_reads_first_documents(write_csv, small_rows):
    assert len(load_corpus(_cfg(write_csv(small_rows), limit=2)).corpus) == 2


# --- label filters, code names and outlets from URLs (the labelled corpora in ../shared) ---

def test_bom_and_semicolon_csv(tmp_path):
    path = tmp_path / "babe.csv"
    path.write_bytes("text;outlet;label_bias\nA sentence.;Reuters;Biased\n".encode("utf-8-sig"))
    cfg = CorpusConfig(path=path, csv_separator=";",
                       columns={"id": None, "labels": ["label_bias"]})
    docs = load_corpus(cfg).corpus.documents
    assert docs.loc[0, "text"] == "A sentence." and docs.loc[0, "label_bias"] == "Biased"


def test_keep_labels_drops_other_rows_with_a_reason(write_csv):
    path = write_csv([["doc_id", "text", "bias", "side"],
                      ["1", "one text", "Biased", "left"], ["2", "two text", "No agreement", ""],
                      ["3", "three text", "Non-biased", ""],
                      ["4", "four text", " Biased ", "right"]])
    cfg = CorpusConfig(path=path, columns={"labels": ["bias", "side"]},
                       keep_labels={"bias": ["Biased", "Non-biased"], "side": ["left", "right"]})
    loaded = load_corpus(cfg)  # on_invalid: error, yet filtered rows are no error
    assert list(loaded.corpus.documents["doc_id"]) == ["1", "4"]
    assert loaded.corpus.documents.loc[1, "bias"] == "Biased"  # labels are stripped
    audit = loaded.audit.set_index("doc_id")
    assert list(audit["status"]) == ["kept", "dropped", "dropped", "kept"]
    assert audit.loc["2", "reason"] == "bias 'No agreement' not in keep_labels"
    assert audit.loc["3", "reason"] == "side '' not in keep_labels"


def test_missing_value_markers_in_a_label_column_are_no_label(write_csv, caplog):
    path = write_csv([["doc_id", "text", "framing", "side"], ["1", "a text", "NA", "NA"],
                      ["2", "b text", "null", "left"], ["3", "c text", "biased", "NaN"],
                      ["4", "d text", "NaN", "right"]])
    cfg = CorpusConfig(path=path, columns={"labels": ["framing", "side"]},
                       label_names={"side": {"NA": "North America"}})  # named: a class code
    kept = load_corpus(cfg.model_copy(update={"keep_labels": {"framing": ["NA", "biased"]}}))
    assert list(kept.corpus.documents["framing"]) == ["NA", "biased"]  # listed: a class
    docs = load_corpus(cfg).corpus.documents
    assert list(docs["framing"]) == ["", "", "biased", ""]  # unlabelled, not a class "NA"
    assert list(docs["side"]) == ["North America", "left", "", "right"]
    assert "3 of 4 documents have 'NA', 'NaN', 'null' in label column 'framing': read as " \
        "no label" in caplog.text
    assert "1 of 4 documents have 'NaN' in label column 'side'" in caplog.text


def test_label_names_map_codes_before_keep_labels(write_csv):
    path = write_csv([["doc_id", "text", "frame"], ["1", "a text", "1"], ["2", "b text", "3"],
                      ["3", "c text", "99"]])
    cfg = CorpusConfig.model_validate({
        "path": path, "columns": {"labels": ["frame"]},
        "label_names": {"frame": {1: "Gun rights", 3: "Politics"}},  # YAML gives int codes
        "keep_labels": {"frame": ["Gun rights", "Politics"]}})
    loaded = load_corpus(cfg)
    assert list(loaded.corpus.documents["frame"]) == ["Gun rights", "Politics"]
    assert loaded.audit.loc[2, "reason"] == "frame '99' not in keep_labels"


def test_label_options_name_label_columns():
    for key, value in (("keep_labels", {"bias": ["x"]}), ("label_names", {"bias": {"1": "x"}})):
        with pytest.raises(ValueError, match="not a label column"):
            CorpusConfig.model_validate({"path": "c.csv", key: value})
    with pytest.raises(ValueError, match="at least 1 item"):
        CorpusConfig.model_validate({"path": "c.csv", "columns": {"labels": ["bias"]},
                                     "keep_labels": {"bias": []}})


@pytest.mark.parametrize(("url", "domain"), [
    ("http://www.nytimes.com/2018/02/14/us/x.html", "nytimes.com"),
    ("https://edition.cnn.com/2018/x", "cnn.com"),
    ("http://beta.latimes.com/nation/x", "latimes.com"),
    ("https://uk.news.yahoo.com/x", "yahoo.com"),
    ("https://www.bbc.co.uk/news/x", "bbc.co.uk"),
    ("thehill.com/homenews/x", "thehill.com"),
    ("HTTPS://WWW.FoxNews.com:443/x", "foxnews.com"),
    ("", None), ("not a url", None), ("http://localhost/x", None),
])
def test_site_domain(url, domain):
    assert site_domain(url) == domain


def test_outlet_from_url_with_names(write_csv):
    path = write_csv([["doc_id", "text", "url"],
                      ["1", "a text", "https://edition.cnn.com/a"],
                      ["2", "b text", "http://abcnews.go.com/b"],
                      ["3", "c text", "nonsense"]])
    cfg = CorpusConfig(path=path, columns={"outlet": None}, outlet_from_url="url",
                       outlet_names={"go.com": "ABC News"}, on_invalid="drop")
    loaded = load_corpus(cfg)
    assert list(loaded.corpus.documents["outlet"]) == ["cnn.com", "ABC News"]
    assert "column 'url': 'nonsense' is not a URL" in loaded.audit.loc[2, "reason"]


def test_outlet_from_url_errors():
    with pytest.raises(ValueError, match="set it to null"):
        CorpusConfig(path="c.csv", outlet_from_url="url")  # columns.outlet defaults to 'outlet'


def test_outlet_from_url_missing_column(write_csv):
    path = write_csv([["doc_id", "text"], ["1", "a text"]])
    line = _one_problem(CorpusConfig(path=path, columns={"outlet": None}, outlet_from_url="url"))
    assert "no column 'url' (corpus.outlet_from_url)" in line


@pytest.mark.parametrize(("name", "n_kept", "n_dropped", "label"), [
    ("babe", 3673, 1, "label_bias"), ("babe_leaning", 2674, 1000, "type"),
    ("gvfc", 1300, 0, "Q3 Theme1")])
def test_shared_labelled_corpora_load(name, n_kept, n_dropped, label):
    cfg = load_config(EXPERIMENTS / f"{name}.yaml")
    if not cfg.corpus.path.exists():
        pytest.skip(f"{cfg.corpus.path} not present")
    loaded = load_corpus(cfg.corpus)
    docs = loaded.corpus.documents
    assert len(docs) == n_kept and (loaded.audit["status"] == "dropped").sum() == n_dropped
    assert set(docs[label]) == set(cfg.framing.classes or docs[label])
    assert (docs["outlet"] != "unknown").all()
    if name == "gvfc":
        assert docs["outlet"].nunique() == 21 and "cnn.com" in set(docs["outlet"])
        assert docs[label].nunique() == 9 and not docs[label].str.fullmatch(r"\d+").any()


def test_bad_label_option_in_yaml_is_one_line_with_its_line(tmp_path):
    config = tmp_path / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: c.csv\n  keep_labels:\n    bias: [Biased]\n")
    with pytest.raises(StanceError) as caught:
        load_config(config)
    (line,) = caught.value.problems
    assert line.startswith(f"{config}:4 corpus.keep_labels") and "not a label column" in line


def _jsonl(tmp_path, records, name="corpus.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n",
                    encoding="utf-8")
    return path


def _problems(cfg) -> list[str]:
    with pytest.raises(StanceError) as caught:
        load_corpus(cfg)
    return list(caught.value.problems)


def test_dates_keep_their_local_time_whatever_their_offsets(write_csv, tmp_path):
    path = write_csv([["doc_id", "date", "text"], ["a", "2022-03-01T00:30:00+02:00", "x y"],
                      ["b", "2022-09-26", "x z"], ["c", "2022-09-26T03:00:00-0500", "y z"],
                      ["d", "2022-09-26T23:00Z", "z w"]])
    dates = load_corpus(CorpusConfig(path=path)).corpus.documents["date"]
    assert list(dates) == [pd.Timestamp("2022-03-01 00:30"), pd.Timestamp("2022-09-26"),
                           pd.Timestamp("2022-09-26 03:00"), pd.Timestamp("2022-09-26 23:00")]
    stamps = pd.to_datetime(["2022-03-01 00:30"]).tz_localize("Europe/Kyiv")
    pq = tmp_path / "c.parquet"
    pd.DataFrame({"doc_id": ["a"], "text": ["x"], "date": stamps}).to_parquet(pq)
    assert load_corpus(CorpusConfig(path=pq)).corpus.documents.loc[0, "date"] == pd.Timestamp(
        "2022-03-01 00:30")


def test_one_latin1_line_leaves_the_utf8_lines_intact(tmp_path, caplog):
    path = tmp_path / "corpus.csv"
    path.write_bytes("doc_id,outlet,text\na,Ré,naïve Lukašenka\n".encode()
                     + b"b,Re,caf\xe9 au lait\n")
    docs = load_corpus(CorpusConfig(path=path)).corpus.documents
    assert list(docs["text"]) == ["naïve Lukašenka", "café au lait"]
    assert docs.loc[0, "outlet"] == "Ré"
    assert "1 of 3 lines not UTF-8 (first: line 3); decoded as cp1252" in caplog.text


def test_jsonl_strings_may_hold_line_separators(tmp_path):
    path = _jsonl(tmp_path, [{"doc_id": "a", "text": "one\u2028two\x85three"}])
    assert load_corpus(CorpusConfig(path=path)).corpus.documents.loc[0, "text"].startswith("one")


def test_integer_ids_and_codes_stay_integers_beside_a_gap(tmp_path):
    path = _jsonl(tmp_path, [{"doc_id": 9007199254740993, "text": "a b", "framing": 0},
                             {"doc_id": 2, "text": "a c", "framing": None},
                             {"doc_id": 3, "text": "b c", "framing": 1}])
    docs = load_corpus(CorpusConfig(path=path, columns={"labels": ["framing"]},
                                    label_names={"framing": {0: "neutral", 1: "biased"}})
                       ).corpus.documents
    assert list(docs["doc_id"]) == ["9007199254740993", "2", "3"]
    assert list(docs["framing"]) == ["neutral", "", "biased"]


@pytest.mark.parametrize("missing", [None, "", "  ", float("nan")])
def test_a_document_without_an_id_is_a_problem_not_a_nan_id(tmp_path, missing):
    record = {"doc_id": missing, "text": "b c"}
    path = _jsonl(tmp_path, [{"doc_id": "a", "text": "a b"},
                             record if missing is not None else {"text": "b c"}])
    assert _problems(CorpusConfig(path=path))[0] == (
        f"{path}:2: column 'doc_id': empty id; give every document an id, or set "
        "corpus.columns.id: null to derive them from the text")


def test_text_and_metadata_must_be_single_strings(tmp_path):
    path = _jsonl(tmp_path, [{"doc_id": "a", "text": ["p1", "p2"]},
                             {"doc_id": "b", "text": 12345},
                             {"doc_id": "c", "text": "fine", "outlet": {"name": "X"}}])
    assert _problems(CorpusConfig(path=path))[:3] == [
        f"{path}:1: column 'text': a list, not a single value; give one string (join the "
        "parts) or remove the row",
        f"{path}:2: column 'text': int 12345, not text; give the article text as a string",
        f"{path}:3: column 'outlet': a mapping, not a single value; give one string (join the "
        "parts) or remove the row"]


def test_metadata_must_exist_and_belongs_to_folders(tmp_path, write_csv):
    (tmp_path / "a.txt").write_text("some text")
    with pytest.raises(StanceError, match="nothere.csv: corpus.metadata file not found"):
        load_corpus(CorpusConfig(path=tmp_path, metadata=tmp_path / "nothere.csv"))
    csv = write_csv([["doc_id", "text"], ["a", "x"]], name="c.csv")
    with pytest.raises(StanceError, match="corpus.metadata is read only for a folder corpus"):
        load_corpus(CorpusConfig(path=csv, metadata=tmp_path / "m.csv"))


def test_every_file_of_a_folder_is_read_or_accounted_for(tmp_path, write_csv, caplog):
    for name in ("a/1.txt", "b/1.txt", "x.txt", "x.md", ".hidden.txt", "notes.html"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(f"text of {name}")
    loaded = load_corpus(CorpusConfig(path=tmp_path))
    # ids are paths without suffix, with it only where two files would share one
    assert list(loaded.corpus.documents["doc_id"]) == ["a/1", "b/1", "x.md", "x.txt"]
    assert "not read: 2 (first: .hidden.txt)" in caplog.text
    write_csv([["file", "doc_id"], ["a/1.txt", "one"], ["a/../x.txt", "x"]], name="metadata.csv")
    audit = load_corpus(CorpusConfig(path=tmp_path)).audit
    assert list(zip(audit["doc_id"], audit["status"], audit["reason"], strict=True)) == [
        ("one", "kept", ""), ("x", "kept", ""),
        ("b/1", "dropped", "not listed in metadata.csv"),
        ("x.md", "dropped", "not listed in metadata.csv")]


def test_documents_past_the_limit_are_in_the_audit(write_csv):
    path = write_csv([["doc_id", "text"], *[[f"d{i}", f"text {i}"] for i in range(5)]])
    audit = load_corpus(CorpusConfig(path=path, limit=2)).audit
    assert list(audit["status"]) == ["kept", "kept", "dropped", "dropped", "dropped"]
    assert list(audit["doc_id"])[2:] == ["d2", "d3", "d4"]
    assert set(audit["reason"][2:]) == {"beyond corpus.limit 2"}


def test_documents_past_the_limit_get_the_id_a_run_would_give_them(write_csv):
    path = write_csv([["text"], *[[f"text {i}"] for i in range(4)]])
    cfg = CorpusConfig(path=path, columns={"id": None})
    past = load_corpus(cfg.model_copy(update={"limit": 2})).audit["doc_id"].tolist()[2:]
    assert past == load_corpus(cfg).corpus.documents["doc_id"].tolist()[2:]
    assert all(len(doc_id) == 16 for doc_id in past)


def test_no_usable_documents_names_keep_labels_when_it_dropped_them(write_csv):
    path = write_csv([["doc_id", "text", "framing"], ["a", "x", "p"], ["b", "y", "q"]])
    assert _problems(_cfg(path, keep_labels={"framing": ["zzz"]})) == [
        f"{path}: the corpus has no usable documents (2 read: 2 not in corpus.keep_labels, 0 "
        "invalid); add articles or check corpus.columns and corpus.keep_labels"]


def test_a_column_name_with_spaces_is_shown_quoted(write_csv):
    path = write_csv([["doc_id", "text "], ["a", "x"]])
    assert "found doc_id, 'text '" in _problems(CorpusConfig(path=path))[0]


def test_cleaning_that_empties_every_document_stops_the_run(write_csv):
    from stance.config import CleaningConfig, DedupConfig
    from stance.corpus import prepare_corpus

    path = write_csv([["doc_id", "text"], ["a", "x y"], ["b", "y z"]])
    cleaning = CleaningConfig(patterns=[{"name": "all", "regex": ".*"}])
    with pytest.raises(StanceError, match="cleaning removed all the text of every document"):
        prepare_corpus(CorpusConfig(path=path), cleaning, DedupConfig(), seed=0)


def test_nullable_parquet_columns_and_lists_of_marked_words_load(tmp_path):
    path = tmp_path / "c.parquet"
    pd.DataFrame({"doc_id": pd.array([101, 102, 103], dtype="Int64"),
                  "text": ["a b", "a c", "b c"],
                  "framing": pd.array([0, None, 1], dtype="Int64"),
                  "biased_words": [["regime", "lied"], [], ["junta"]]}).to_parquet(path)
    docs = load_corpus(CorpusConfig(path=path, columns={"labels": ["framing", "biased_words"]})
                       ).corpus.documents
    assert list(docs["doc_id"]) == ["101", "102", "103"]
    assert list(docs["framing"]) == ["0", "", "1"]
    assert list(docs["biased_words"]) == ["['regime', 'lied']", "[]", "['junta']"]


def test_a_folder_limit_reads_no_file_past_it(tmp_path, write_csv, caplog):
    for name in ("1.txt", "2.txt", "c.html"):
        (tmp_path / name).write_text(f"text of {name}")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    write_csv([["file", "doc_id"], ["1.txt", "a"], ["c.html", "b"], ["missing.txt", "c"]],
              name="metadata.csv")
    loaded = load_corpus(CorpusConfig(path=tmp_path, limit=2))
    assert list(loaded.corpus.documents["doc_id"]) == ["a", "b"]  # listed, so read
    assert list(zip(loaded.audit["doc_id"], loaded.audit["reason"], strict=True))[2:] == [
        ("c", "beyond corpus.limit 2"), ("2", "not listed in metadata.csv")]
    # the hidden folder counts once; c.html is listed, so it was read
    assert "so not read: 1 (first: .git)" in caplog.text


def _folder_corpus(folder, rows):
    """A folder corpus whose metadata.csv lists ``rows`` (doc_id, file)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a.txt").write_text("An article inside the folder, long enough to keep.")
    lines = ["doc_id,file"] + [f"{doc},{name}" for doc, name in rows]
    (folder / "metadata.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize("name", ["/etc/hostname", "../../../etc/hostname", "../outside.txt",
                                  "sub/../../outside.txt"])
def test_a_metadata_row_naming_a_file_outside_the_folder_is_refused(tmp_path, name):
    (tmp_path / "outside.txt").write_text("A secret that must not reach the report.")
    folder = _folder_corpus(tmp_path / "corpus", [("a", "a.txt"), ("b", name)])
    with pytest.raises(StanceError) as caught:
        load_corpus(CorpusConfig(path=folder, on_invalid="drop"))
    (line,) = caught.value.problems
    assert line.startswith(f"{folder / 'metadata.csv'}:3 column 'file' '{name}' is outside "
                           f"the corpus folder {folder}")


def test_a_link_out_of_the_folder_is_refused_with_or_without_metadata(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("A secret that must not reach the report.")
    folder = _folder_corpus(tmp_path / "corpus", [("a", "a.txt"), ("b", "b.txt")])
    (folder / "b.txt").symlink_to(secret)
    with pytest.raises(StanceError, match=r"metadata.csv:3 column 'file' 'b.txt' is outside"):
        load_corpus(CorpusConfig(path=folder))
    (folder / "metadata.csv").unlink()
    with pytest.raises(StanceError, match=r"b.txt: 'b.txt' is outside the corpus folder"):
        load_corpus(CorpusConfig(path=folder, columns={"outlet": None, "date": None,
                                                       "title": None}))


def test_a_link_inside_the_folder_is_read(tmp_path):
    folder = _folder_corpus(tmp_path / "corpus", [("a", "a.txt"), ("b", "b.txt")])
    (folder / "b.txt").symlink_to(folder / "a.txt")
    loaded = load_corpus(CorpusConfig(path=folder))
    assert loaded.corpus.documents["doc_id"].tolist() == ["a", "b"]


def _dated(tmp_path, dates, **settings):
    rows = "\n".join(f"d{i},A,{d},Talks were held in the capital on that day." for i, d in
                     enumerate(dates))
    path = tmp_path / "dated.csv"
    path.write_text("doc_id,outlet,date,text\n" + rows + "\n")
    return CorpusConfig(path=path, columns={"title": None}, **settings)


@pytest.mark.parametrize(("date_format", "dates", "expected"), [
    ("monthfirst", ["02/28/2022", "2022-03-01", ""], ["2022-02-28", "2022-03-01", None]),
    ("dayfirst", ["28.02.2022", "1/3/2022 14:30"], ["2022-02-28", "2022-03-01 14:30"]),
    ("%d %B %Y", ["28 February 2022"], ["2022-02-28"]),
    ("%m/%d/%y", ["02/28/22"], ["2022-02-28"]),
    (["iso", "%m/%d/%y"], ["2022-03-01", "9/28/16"], ["2022-03-01", "2016-09-28"]),
])
def test_dates_are_read_in_the_configured_format(tmp_path, date_format, dates, expected):
    docs = load_corpus(_dated(tmp_path, dates, date_format=date_format)).corpus.documents
    assert docs["date"].tolist() == [pd.NaT if e is None else pd.Timestamp(e) for e in expected]


@pytest.mark.parametrize(("date_format", "value", "message"), [
    ("iso", "02/28/2022", "'02/28/2022' is not an ISO date (YYYY-MM-DD); fix it, leave it "
                          "empty, or set corpus.date_format ('%m/%d/%Y', dayfirst, "
                          "monthfirst, or a list such as [iso, '%m/%d/%y'])"),
    ("dayfirst", "02/28/2022", "'02/28/2022' is not a day/month/year date: no month 28"),
    ("monthfirst", "02/28/22", "'02/28/22' has a two-digit year, whose century would be a "
                               "guess"),
    ("monthfirst", "Feb 28", "'Feb 28' is not a month/day/year date (corpus.date_format: "
                             "monthfirst) nor an ISO one"),
    ("%d %B %Y", "2022-02-28", "'2022-02-28' does not match corpus.date_format '%d %B %Y'"),
    (["iso", "%m/%d/%y"], "28.02.2022", "'28.02.2022' is in none of the formats "
                                        "corpus.date_format lists (iso, %m/%d/%y)"),
])
def test_a_date_the_format_does_not_read_names_its_row(tmp_path, date_format, value, message):
    with pytest.raises(StanceError) as caught:
        good = "01 January 2022" if date_format == "%d %B %Y" else "2022-01-01"
        load_corpus(_dated(tmp_path, [good, value], date_format=date_format))
    assert caught.value.problems[0].startswith(
        f"{tmp_path / 'dated.csv'}:row 2: column 'date': {message}")


def test_a_date_format_that_is_no_format_is_refused():
    with pytest.raises(ValueError, match="neither iso, dayfirst, monthfirst nor a strftime"):
        CorpusConfig(path="x.csv", date_format="american")


def test_the_corpus_digest_does_not_depend_on_the_block_size(monkeypatch):
    from stance.corpus import _read

    cfg = load_config(EXPERIMENTS / "seeds.yaml").corpus
    whole = load_corpus(cfg).digest
    monkeypatch.setattr(_read, "DIGEST_ROWS", 2)  # five seed articles in three blocks
    assert load_corpus(cfg).digest == whole
    # the digest the seed runs recorded before it was computed block by block
    assert whole == "a727b153a62b84d0e7274858f2b0d67790145b70c37c83d2b05b5dd84f06f6bf"

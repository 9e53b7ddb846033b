"""`stance predict`: a run's saved framing model labels new text files and CSV rows."""

import io
import subprocess
import sys

import pandas as pd
import pytest

from stance.errors import StanceError
from stance.framing import predict_files, read_texts

NEW_ARTICLE = ("The self-proclaimed president of Belarus, the dictator Lukashenko, flew to "
               "Moscow again. Experts are convinced he may hand over more of his army.")
OFFICIAL = ("According to BelTA, the President of Belarus held talks with the President of "
            "Russia; the press secretary said the sides signed agreements on trade.")


def test_read_texts_from_files_and_csv(tmp_path):
    (tmp_path / "a.txt").write_text(NEW_ARTICLE)
    pd.DataFrame({"key": ["x", "y"], "body": [OFFICIAL, NEW_ARTICLE]}).to_csv(
        tmp_path / "b.csv", index=False)
    ids, texts = read_texts([tmp_path / "a.txt", tmp_path / "b.csv"], column="body",
                            id_column="key")
    assert ids == ["a.txt", "x", "y"] and texts == [NEW_ARTICLE, OFFICIAL, NEW_ARTICLE]


def test_csv_rows_with_empty_text_are_skipped_with_a_warning(tmp_path, caplog):
    pd.DataFrame({"body": [OFFICIAL, "", "   ", NEW_ARTICLE], "site": list("abcd")}).to_csv(
        tmp_path / "b.csv", index=False)
    ids, texts = read_texts([tmp_path / "b.csv"], column="body")
    assert ids == ["b.csv:row 2", "b.csv:row 5"] and texts == [OFFICIAL, NEW_ARTICLE]
    assert caplog.messages == [f"{tmp_path / 'b.csv'}: 2 rows with empty text in column 'body' "
                               "are skipped (b.csv:row 3, b.csv:row 4)"]


def test_blank_csv_lines_are_skipped_rows_and_keep_row_numbers(tmp_path, caplog):
    path = tmp_path / "b.csv"
    path.write_text(f'text\n\n"{OFFICIAL}"\n   \n"{NEW_ARTICLE}"\n')
    ids, texts = read_texts([path])
    assert ids == ["b.csv:row 3", "b.csv:row 5"] and texts == [OFFICIAL, NEW_ARTICLE]
    assert caplog.messages == [f"{path}: 2 rows with empty text in column 'text' are skipped "
                               "(b.csv:row 2, b.csv:row 4)"]


NOTHING = "nothing to label; no row has text in column 'text'; add rows with text"


@pytest.mark.parametrize("content, name, message", [
    (None, "missing.txt", "file not found"),
    ("", "empty.txt", "file is empty"),
    ("", "empty.csv", "file is empty"),
    ("text\n", "x.pdf", "unknown suffix"),
    ("body\nhello\n", "rows.csv", "no column 'text'"),
    ("text\n", "header.csv", NOTHING),
    ("id,text\n1,\n\n2,   \n", "blank.csv", NOTHING),
    ('text\n"unterminated\n', "quote.csv",
     r"not valid CSV \(.*EOF inside string.*\); fix the line it names"),
    ("\x00\x01\x02binary", "bin.txt", "binary file, not text"),
])
def test_bad_inputs_are_one_line_errors(tmp_path, content, name, message):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(StanceError, match=message) as err:
        read_texts([path])
    assert "\n" not in str(err.value) and name in str(err.value)


@pytest.mark.integration
def test_saved_seed_model_labels_a_new_file(seed_run_dir, tmp_path):
    article = tmp_path / "new_article.txt"
    article.write_text(NEW_ARTICLE)
    table = predict_files(seed_run_dir / "framing_model.skops", [article])
    classes = {"delegitimising", "official-sourced"}  # neutral-wire is dropped on the seeds
    assert table["id"].tolist() == ["new_article.txt"]
    assert table["predicted"].iloc[0] in classes
    probabilities = table[[f"proba_{c}" for c in sorted(classes)]]
    assert probabilities.sum(axis=1).iloc[0] == pytest.approx(1.0)

    done = subprocess.run([sys.executable, "-m", "stance", "-q", "predict",
                           str(seed_run_dir / "framing_model.skops"), str(article),
                           "--format", "csv"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    printed = pd.read_csv(io.StringIO(done.stdout))
    assert printed["predicted"].tolist() == table["predicted"].tolist()


def test_cli_predict_missing_model_is_one_line(tmp_path):
    (tmp_path / "a.txt").write_text(NEW_ARTICLE)
    done = subprocess.run([sys.executable, "-m", "stance", "-q", "predict",
                           str(tmp_path / "nope.skops"), str(tmp_path / "a.txt")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

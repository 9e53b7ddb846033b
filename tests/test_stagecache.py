"""Stage cache keys: what invalidates a cached stage, and what fetch does with an entry."""

import logging
import shutil
import sys
from pathlib import Path

import pytest

from stance import stagecache
from stance.config import load_config
from stance.runner import _input_fingerprint
from stance.stagecache import StageCache, files_sha256, stage_key

from .conftest import EXPERIMENTS, SEEDS


def test_a_module_is_hashed_by_its_source_without_being_imported(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "stance_key_probe.py"
    module.write_text("ANSWER = 1\n")
    before = stage_key("stage", {"a": 1}, modules=("stance_key_probe",))
    assert "stance_key_probe" not in sys.modules
    module.write_text("ANSWER = 2\n")
    assert stage_key("stage", {"a": 1}, modules=("stance_key_probe",)) != before


def test_a_packaged_data_file_is_part_of_the_key(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    lexicon = tmp_path / "data" / "lexicon.yaml"
    monkeypatch.setattr(stagecache.resources, "files", lambda package: tmp_path)
    lexicon.write_text("official: [president]\n")
    before = stage_key("framing", data=("lexicon.yaml",))
    lexicon.write_text("official: [president, minister]\n")
    assert stage_key("framing", data=("lexicon.yaml",)) != before


def test_files_are_hashed_by_name_and_bytes(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("seg_id,framing\ns1,official\n")
    b.write_text("seg_id,framing\ns1,official\n")
    assert files_sha256([("x", a)]) == files_sha256([("x", b)])
    assert files_sha256([("x", a)]) != files_sha256([("y", a)])
    b.write_text("seg_id,framing\ns1,delegitimising\n")
    assert files_sha256([("x", a)]) != files_sha256([("x", b)])


def _counted(calls):
    def compute():
        calls.append(1)
        return "value"
    return compute


def _save(value, folder):
    (folder / "value.txt").write_text(value)


def _load(folder):
    return (folder / "value.txt").read_text()


def test_fetch_computes_once_then_loads(tmp_path):
    cache, calls = StageCache(tmp_path), []
    assert cache.fetch("stage", "k", _counted(calls), _save, _load) == ("value", False)
    assert cache.fetch("stage", "k", _counted(calls), _save, _load) == ("value", True)
    assert len(calls) == 1
    disabled = StageCache(tmp_path, enabled=False)
    assert disabled.fetch("stage", "k", _counted(calls), _save, _load) == ("value", False)
    assert len(calls) == 2


def test_a_damaged_entry_is_recomputed_and_said_so(tmp_path, caplog):
    cache, calls = StageCache(tmp_path), []
    cache.fetch("stage", "k", _counted(calls), _save, _load)
    (tmp_path / "stage" / "k" / "value.txt").unlink()
    with caplog.at_level(logging.WARNING, logger="stance.stagecache"):
        assert cache.fetch("stage", "k", _counted(calls), _save, _load) == ("value", False)
    assert len(calls) == 2 and "unreadable" in caplog.text
    assert cache.fetch("stage", "k", _counted(calls), _save, _load) == ("value", True)


@pytest.fixture
def seed_folder(tmp_path):
    """The seed corpus copied, with its config pointing at the copy."""
    shutil.copytree(SEEDS, tmp_path / "seeds")
    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    return cfg.model_copy(update={"corpus": cfg.corpus.model_copy(
        update={"path": tmp_path / "seeds"})})


def test_corpus_metadata_kept_outside_the_folder_is_part_of_the_fingerprint(seed_folder):
    folder = seed_folder.corpus.path
    outside = folder.parent / "metadata.csv"
    (folder / "metadata.csv").rename(outside)
    cfg = seed_folder.model_copy(update={"corpus": seed_folder.corpus.model_copy(
        update={"metadata": outside})})
    before = _input_fingerprint(cfg)
    outside.write_text(outside.read_text().replace("TSN.ua", "TSN"))
    assert _input_fingerprint(cfg) != before


def test_corpus_metadata_inside_the_folder_is_hashed_once(seed_folder):
    inside = seed_folder.corpus.path / "metadata.csv"
    named = seed_folder.model_copy(update={"corpus": seed_folder.corpus.model_copy(
        update={"metadata": inside})})
    assert _input_fingerprint(named) == _input_fingerprint(seed_folder)


def test_a_missing_metadata_file_is_left_to_the_corpus_stage(seed_folder):
    missing = seed_folder.model_copy(update={"corpus": seed_folder.corpus.model_copy(
        update={"metadata": Path(seed_folder.corpus.path.parent / "nowhere.csv")})})
    assert _input_fingerprint(missing) == _input_fingerprint(seed_folder)

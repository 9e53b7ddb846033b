"""Stage cache keys: what invalidates a cached stage, and what fetch does with an entry."""

import json
import logging
import shutil
import sys
from pathlib import Path

import pytest

from stance.config import load_config
from stance.run import _cache as stagecache
from stance.run import _keys
from stance.run._cache import StageCache, files_sha256, stage_key
from stance.run._keys import _input_fingerprint, corpus_key, framing_key
from stance.run._manifest import RECORDED_PACKAGES
from tests.conftest import EXPERIMENTS, SEEDS


def test_a_module_is_hashed_by_its_source_without_being_imported(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = tmp_path / "stance_key_probe.py"
    module.write_text("ANSWER = 1\n")
    before = stage_key("stage", {"a": 1}, code=("stance_key_probe",))
    assert "stance_key_probe" not in sys.modules
    module.write_text("ANSWER = 2\n")
    assert stage_key("stage", {"a": 1}, code=("stance_key_probe",)) != before


def test_a_package_is_hashed_by_every_file_so_moving_code_between_them_counts(tmp_path,
                                                                              monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    package = tmp_path / "stance_key_package"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "_a.py").write_text("def f():\n    return 1\n")
    (package / "sub" / "__init__.py").write_text("")

    def key():
        return stage_key("stage", code=("stance_key_package",))

    keys = [key()]
    (package / "_b.py").write_text("def f():\n    return 1\n")  # a new file
    keys.append(key())
    (package / "_a.py").write_text("")  # the function moved to _b.py
    keys.append(key())
    (package / "sub" / "_c.py").write_text("X = 1\n")  # a subpackage's file
    keys.append(key())
    assert len(set(keys)) == 4 and "stance_key_package" not in sys.modules


def test_a_packaged_data_file_is_part_of_the_key(tmp_path, monkeypatch):
    _packaged(tmp_path, monkeypatch, lexicon="official: [president]\n")
    before = stage_key("framing", data=("lexicon.yaml",))
    _packaged(tmp_path, monkeypatch, lexicon="official: [president, minister]\n")
    assert stage_key("framing", data=("lexicon.yaml",)) != before


def test_files_are_hashed_by_name_and_bytes(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("seg_id,framing\ns1,official\n")
    b.write_text("seg_id,framing\ns1,official\n")
    assert files_sha256([("x", a)]) == files_sha256([("x", b)])
    assert files_sha256([("x", a)]) != files_sha256([("y", a)])
    b.write_text("seg_id,framing\ns1,delegitimising\n")
    assert files_sha256([("x", a)]) != files_sha256([("x", b)])
    # names and contents cannot run together
    a.write_text("bX")
    b.write_text("X")
    assert files_sha256([("a", a)]) != files_sha256([("ab", b)])


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
    with caplog.at_level(logging.WARNING, logger="stance.run._cache"):
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


def test_a_pattern_corpus_is_fingerprinted_by_the_files_it_matches(tmp_path):
    from stance.config import CorpusConfig

    for name in ("part-0.jsonl", "part-1.jsonl", "notes.jsonl"):
        (tmp_path / name).write_text(json.dumps({"text": name}) + "\n")
    cfg = load_config(EXPERIMENTS / "seeds.yaml").model_copy(update={"corpus": CorpusConfig(
        path=tmp_path / "part-*.jsonl", format="jsonl")})
    before = _input_fingerprint(cfg)
    (tmp_path / "notes.jsonl").write_text('{"text": "not matched"}\n')
    assert _input_fingerprint(cfg) == before
    (tmp_path / "part-1.jsonl").write_text('{"text": "changed"}\n')
    assert _input_fingerprint(cfg) != before


def _packaged(tmp_path, monkeypatch, **files):
    """Packaged data files with these contents, as stage keys read them."""
    (tmp_path / "data").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "data" / f"{name}.yaml").write_text(text)
    monkeypatch.setattr(stagecache.resources, "files", lambda package: tmp_path)


ENVIRONMENT = {"packages": dict.fromkeys(RECORDED_PACKAGES, "1.0"), "machine": "x86_64",
               "numeric_env": {}}
EMBEDDING = {"weights_sha256": "w1", "max_seq_length": 256, "vectors_sha256": "v1"}


@pytest.fixture
def environment(monkeypatch):
    """The environment stage keys see: set ``environment.update(...)`` to change it."""
    env = {key: dict(value) if isinstance(value, dict) else value
           for key, value in ENVIRONMENT.items()}
    monkeypatch.setattr(_keys, "environment", lambda: env)
    return env


def _changed(cfg, **sections):
    """``cfg`` with settings of its sections replaced: ``framing={"C": 2.0}``."""
    return cfg.model_copy(update={name: getattr(cfg, name).model_copy(update=values)
                                  for name, values in sections.items()})


def test_the_framing_key_follows_every_input_of_the_classifier(tmp_path, monkeypatch,
                                                               environment):
    _packaged(tmp_path, monkeypatch, lexicon="official: [president]\n")
    cfg = load_config(EXPERIMENTS / "seeds.yaml")

    def key(cfg=cfg, embedding=EMBEDDING, segments="segments", **env):
        environment.update(env)
        try:
            return framing_key(cfg, segments, embedding)
        finally:
            environment.update(ENVIRONMENT)

    base = key()
    differ = {
        "segments": key(segments="other"),
        "seed": key(cfg.model_copy(update={"seed": 7})),
        "C": key(_changed(cfg, framing={"C": 2.0})),
        "top_n": key(_changed(cfg, framing={"top_n": 5})),
        "scikit-learn": key(packages={**ENVIRONMENT["packages"], "scikit-learn": "9.9"}),
        "numeric_env": key(numeric_env={"OMP_NUM_THREADS": "1"}),
    }
    assert all(k != base for k in differ.values()), differ
    # what the classifier never reads does not refit it
    assert key(_changed(cfg, framing={"distinctive_prior": 0.5, "enabled": True})) == base
    assert key(cfg.model_copy(update={"actors": {}})) == base
    assert key(packages={**ENVIRONMENT["packages"], "matplotlib": "9.9"}) == base
    assert key(embedding={**EMBEDDING, "weights_sha256": "w2"}) == base  # unread
    _packaged(tmp_path, monkeypatch, lexicon="official: [president, minister]\n")
    assert key() != base


def test_with_the_embeddings_feature_the_framing_key_follows_the_model(tmp_path, monkeypatch,
                                                                       environment):
    _packaged(tmp_path, monkeypatch, lexicon="official: [president]\n")
    cfg = _changed(load_config(EXPERIMENTS / "seeds.yaml"),
                   framing={"features": ["tfidf_words", "embeddings"]})
    base = framing_key(cfg, "segments", EMBEDDING)
    for change in ({"weights_sha256": "w2"}, {"max_seq_length": 128}, {"vectors_sha256": "v2"},
                   {"vectors_sha256": None}):
        assert framing_key(cfg, "segments", {**EMBEDDING, **change}) != base
    assert framing_key(_changed(cfg, embedding={"batch_size": 8}), "segments",
                       EMBEDDING) != base
    # where the embedding cache lives is not an input
    assert framing_key(_changed(cfg, embedding={"cache_dir": tmp_path / "elsewhere"}),
                       "segments", EMBEDDING) == base


def test_the_framing_key_follows_the_segment_labels_file_bytes(tmp_path, environment):
    labels = tmp_path / "labels.csv"
    labels.write_text("seg_id,framing\na:0,official-sourced\n")
    cfg = _changed(load_config(EXPERIMENTS / "seeds.yaml"), framing={"segment_labels": labels})
    before = framing_key(cfg, "segments", EMBEDDING)
    labels.write_text("seg_id,framing\na:0,delegitimising\n")
    assert framing_key(cfg, "segments", EMBEDDING) != before


def test_the_corpus_key_follows_the_packaged_boilerplate_rules(seed_folder, tmp_path,
                                                               monkeypatch):
    packaged = tmp_path / "package"
    packaged.mkdir()
    _packaged(packaged, monkeypatch, boilerplate="patterns: []\n")
    before = corpus_key(seed_folder)
    _packaged(packaged, monkeypatch, boilerplate="patterns: ['Follow us']\n")
    assert corpus_key(seed_folder) != before

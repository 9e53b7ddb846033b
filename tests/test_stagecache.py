"""Stage cache keys: what invalidates a cached stage, and what fetch does with an entry."""

import logging
import shutil
import sys
from pathlib import Path

import pytest

from stance import stagecache
from stance.config import load_config
from stance.manifest import RECORDED_PACKAGES
from stance.runner import _corpus_key, _framing_key, _input_fingerprint
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


def _packaged(tmp_path, monkeypatch, **files):
    """Packaged data files with these contents, as stage keys read them."""
    (tmp_path / "data").mkdir(exist_ok=True)
    for name, text in files.items():
        (tmp_path / "data" / f"{name}.yaml").write_text(text)
    monkeypatch.setattr(stagecache.resources, "files", lambda package: tmp_path)


MANIFEST = {"packages": dict.fromkeys(RECORDED_PACKAGES, "1.0"), "machine": "x86_64",
            "numeric_env": {}, "embedding": {"weights_sha256": "w1", "max_seq_length": 256,
                                             "vectors_sha256": "v1"}}


def _changed(cfg, **sections):
    """``cfg`` with settings of its sections replaced: ``framing={"C": 2.0}``."""
    return cfg.model_copy(update={name: getattr(cfg, name).model_copy(update=values)
                                  for name, values in sections.items()})


def test_the_framing_key_follows_every_input_of_the_classifier(tmp_path, monkeypatch):
    _packaged(tmp_path, monkeypatch, lexicon="official: [president]\n")
    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    base = _framing_key(cfg, MANIFEST, "segments")

    def key(cfg=cfg, manifest=MANIFEST, segments="segments"):
        return _framing_key(cfg, manifest, segments)

    assert key() == base
    differ = {
        "segments": key(segments="other"),
        "seed": key(cfg.model_copy(update={"seed": 7})),
        "C": key(_changed(cfg, framing={"C": 2.0})),
        "top_n": key(_changed(cfg, framing={"top_n": 5})),
        "scikit-learn": key(manifest={**MANIFEST, "packages": {
            **MANIFEST["packages"], "scikit-learn": "9.9"}}),
        "numeric_env": key(manifest={**MANIFEST, "numeric_env": {"OMP_NUM_THREADS": "1"}}),
    }
    assert all(k != base for k in differ.values()), differ
    # what the classifier never reads does not refit it
    assert key(_changed(cfg, framing={"actors": {}, "distinctive_prior": 0.5,
                                      "enabled": True})) == base
    assert key(manifest={**MANIFEST, "packages": {**MANIFEST["packages"],
                                                  "matplotlib": "9.9"}}) == base
    assert key(manifest={**MANIFEST, "embedding": {"weights_sha256": "w2"}}) == base  # unread
    _packaged(tmp_path, monkeypatch, lexicon="official: [president, minister]\n")
    assert key() != base


def test_with_the_embeddings_feature_the_framing_key_follows_the_model(tmp_path, monkeypatch):
    _packaged(tmp_path, monkeypatch, lexicon="official: [president]\n")
    cfg = _changed(load_config(EXPERIMENTS / "seeds.yaml"),
                   framing={"features": ["tfidf_words", "embeddings"]})
    base = _framing_key(cfg, MANIFEST, "segments")
    for change in ({"weights_sha256": "w2"}, {"max_seq_length": 128}, {"vectors_sha256": "v2"},
                   {"vectors_sha256": None}):
        embedding = {**MANIFEST["embedding"], **change}
        assert _framing_key(cfg, {**MANIFEST, "embedding": embedding}, "segments") != base
    assert _framing_key(_changed(cfg, embedding={"batch_size": 8}), MANIFEST,
                        "segments") != base
    # where the embedding cache lives is not an input
    assert _framing_key(_changed(cfg, embedding={"cache_dir": tmp_path / "elsewhere"}),
                        MANIFEST, "segments") == base


def test_the_framing_key_follows_the_segment_labels_file_bytes(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("seg_id,framing\na:0,official-sourced\n")
    cfg = _changed(load_config(EXPERIMENTS / "seeds.yaml"), framing={"segment_labels": labels})
    before = _framing_key(cfg, MANIFEST, "segments")
    labels.write_text("seg_id,framing\na:0,delegitimising\n")
    assert _framing_key(cfg, MANIFEST, "segments") != before


def test_the_corpus_key_follows_the_packaged_boilerplate_rules(seed_folder, tmp_path,
                                                               monkeypatch):
    packaged = tmp_path / "package"
    packaged.mkdir()
    _packaged(packaged, monkeypatch, boilerplate="patterns: []\n")
    before = _corpus_key(seed_folder)
    _packaged(packaged, monkeypatch, boilerplate="patterns: ['Follow us']\n")
    assert _corpus_key(seed_folder) != before

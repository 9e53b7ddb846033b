"""The seed experiment end to end: run folder, manifest, audit, report."""

import json
import subprocess
import sys
from types import SimpleNamespace

import pandas as pd
import pytest
from pypdf import PdfReader

from stance.config import load_config
from stance.run import run_experiment
from tests.conftest import EXPERIMENTS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def seed_run(seed_runs):
    return seed_runs


def test_run_folder_has_everything(seed_run):
    cfg, first, _ = seed_run
    run_dir = first.run_dir
    for name in ("config.yaml", "manifest.json", "corpus.parquet", "segments.parquet",
                 "audit.csv", "cleaning.csv", "report.pdf", "figures/segments_per_outlet.png",
                 "figures/segments_per_outlet.svg"):
        assert (run_dir / name).is_file(), name
    assert load_config(run_dir / "config.yaml") == cfg


def test_latest_points_at_the_newest_run(seed_run):
    cfg, first, second = seed_run
    latest = (cfg.output_dir / "seeds" / "latest").resolve()
    assert latest == second.run_dir.resolve() != first.run_dir.resolve()


def test_manifest_records_provenance(seed_run):
    _, first, _ = seed_run
    manifest = json.loads((first.run_dir / "manifest.json").read_text())
    assert manifest["config_sha256"] == first.config.digest()
    assert len(manifest["corpus_sha256"]) == 64
    assert manifest["seeds"]["seed"] == 42
    assert manifest["packages"]["pandas"] and manifest["python"].startswith("3.")
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert {"corpus", "segment", "report"} <= set(manifest["stages"])
    assert all(s["seconds"] >= 0 for s in manifest["stages"].values())


def test_second_run_reuses_unchanged_stages_with_identical_output(seed_run):
    _, first, second = seed_run
    assert not first.manifest["stages"]["corpus"]["cached"]
    assert second.manifest["stages"]["corpus"]["cached"]
    assert second.manifest["stages"]["segment"]["cached"]
    for name in ("corpus.parquet", "segments.parquet"):
        assert pd.read_parquet(first.run_dir / name).equals(pd.read_parquet(second.run_dir / name))
    assert second.manifest["corpus_sha256"] == first.manifest["corpus_sha256"]


def test_second_run_reuses_the_topic_fit_and_map(seed_run):
    _, first, second = seed_run
    for stage in ("topics", "map"):
        assert not first.manifest["stages"][stage]["cached"], stage
        assert second.manifest["stages"][stage]["cached"], stage
    for name in ("segment_topics.parquet", "segment_map.parquet"):
        assert pd.read_parquet(first.run_dir / name).equals(pd.read_parquet(second.run_dir / name))
    for name in ("topics.csv", "topic_terms.csv"):
        assert pd.read_csv(first.run_dir / name).equals(pd.read_csv(second.run_dir / name))
    assert (json.loads((first.run_dir / "metrics.json").read_text())
            == json.loads((second.run_dir / "metrics.json").read_text()))


def test_second_run_reuses_the_framing_fit_and_writes_the_same_outputs(seed_run):
    from stance.framing import load_framing_model

    _, first, second = seed_run
    assert not first.manifest["stages"]["framing"]["cached"]
    assert second.manifest["stages"]["framing"]["cached"]
    for name in ("framing_metrics.json", "framing_top_features.csv", "framing_model.json",
                 "figures/framing_by_outlet.svg", "figures/framing_confusion.svg",
                 "figures/framing_top_features.svg"):
        assert (first.run_dir / name).read_bytes() == (second.run_dir / name).read_bytes(), name
    assert pd.read_parquet(first.run_dir / "predictions.parquet").equals(
        pd.read_parquet(second.run_dir / "predictions.parquet"))
    # the model saved from the cache is the fitted one, not merely a loadable file
    texts = ["The self-proclaimed president met the dictator in Sochi.",
             "The two presidents discussed gas prices, the ministry said."]
    models = [load_framing_model(run.run_dir / "framing_model.skops") for run in (first, second)]
    assert (models[0].predict_proba(texts) == models[1].predict_proba(texts)).all()
    # computed or cached, the result's model is the one saved in the run folder
    assert [run.framing.model.path for run in (first, second)] == [
        run.run_dir / "framing_model.skops" for run in (first, second)]


def test_framing_refits_when_a_file_it_reads_changes_and_only_then(seed_run, tmp_path):
    import shutil

    cfg, first, _ = seed_run
    shutil.copytree(cfg.output_dir, tmp_path / "reports", symlinks=True)  # with its caches
    segments = pd.read_parquet(first.run_dir / "segments.parquet")
    corpus = pd.read_parquet(first.run_dir / "corpus.parquet").set_index("doc_id")
    labels = tmp_path / "segment_labels.csv"
    own = segments[["seg_id"]].assign(framing=corpus.loc[segments["doc_id"], "framing"].values)
    own.to_csv(labels, index=False)
    relabelled = cfg.model_copy(update={
        "output_dir": tmp_path / "reports",
        "framing": cfg.framing.model_copy(update={"segment_labels": labels})})
    runs = [run_experiment(relabelled, progress=False)]
    runs.append(run_experiment(relabelled, progress=False))
    # the same path, other contents: one delegitimising paragraph relabelled official
    own.loc[own.index[own["framing"] == "delegitimising"][0], "framing"] = "official-sourced"
    own.to_csv(labels, index=False)
    runs.append(run_experiment(relabelled, progress=False))
    cached = [run.manifest["stages"]["framing"]["cached"] for run in runs]
    assert cached == [False, True, False]
    assert all(run.manifest["stages"]["topics"]["cached"] for run in runs)
    truths = [pd.read_parquet(run.run_dir / "predictions.parquet")["true"].value_counts()
              for run in runs]
    assert truths[0].equals(truths[1]) and not truths[0].equals(truths[2])


def test_the_model_saved_from_the_cache_labels_a_new_paragraph(seed_run):
    from stance.embed import load_embedder
    from stance.topics import load_topic_model

    cfg, first, second = seed_run
    embedder = load_embedder(cfg.embedding)
    model = load_topic_model(second.run_dir / "topic_model", embedder)
    text = ["Moscow will send more weapons, ammunition and troops to Belarus."]
    topics, _ = model.transform(text, embeddings=embedder.encode(text))
    assert topics[0] in set(first.topics.topics["topic"])


def test_a_changed_topic_setting_refits_but_keeps_the_upstream_stages(seed_run, tmp_path):
    import shutil

    cfg, _, _ = seed_run
    shutil.copytree(cfg.output_dir, tmp_path / "reports", symlinks=True)  # with its caches
    changed = cfg.model_copy(update={"output_dir": tmp_path / "reports", "topics":
                                     cfg.topics.model_copy(update={"stability_runs": 2})})
    third = run_experiment(changed, progress=False)
    stages = third.manifest["stages"]
    assert stages["segment"]["cached"] and stages["embed"]["cached"] and stages["map"]["cached"]
    assert not stages["topics"]["cached"]
    assert third.metrics["stability"]["runs"] == 2


def test_vectors_changed_in_the_cache_refit_the_topics(seed_run, tmp_path):
    import hashlib
    import shutil

    import numpy as np

    from stance.run import embedding_cache_dir

    cfg, first, _ = seed_run
    shutil.copytree(cfg.output_dir, tmp_path / "reports", symlinks=True)
    moved = cfg.model_copy(update={"output_dir": tmp_path / "reports"})
    # the last digits move, as when a cache is refilled by another encoder version (which
    # writes its shards whole, sidecars included)
    sidecars = sorted(embedding_cache_dir(moved).rglob("*.json"))
    assert sidecars
    for sidecar in sidecars:
        shard = sidecar.with_name(sidecar.name.removesuffix(".json") + ".vecs.npy")
        moved_digits = np.nextafter(np.load(shard), np.float32(2))
        np.save(shard, moved_digits)
        meta = json.loads(sidecar.read_text())
        meta["vectors_sha256"] = hashlib.sha256(moved_digits.data).hexdigest()
        sidecar.write_text(json.dumps(meta))
    again = run_experiment(moved, progress=False)
    stages = again.manifest["stages"]
    assert stages["embed"]["cached"] and stages["segment"]["cached"]
    assert not stages["topics"]["cached"] and not stages["map"]["cached"]
    assert (again.manifest["embedding"]["vectors_sha256"]
            != first.manifest["embedding"]["vectors_sha256"])


def test_topics_fitted_under_other_blas_settings_are_not_reused(seed_run, tmp_path,
                                                                monkeypatch):
    # OPENBLAS_CORETYPE=Haswell gave the seed run 8 topics instead of 7 on an earlier AMD EPYC:
    # a cached fit made under it is not this run's (OpenBLAS reads it at load, so setting
    # it here moves only the cache key)
    import os
    import shutil

    cfg, _, _ = seed_run
    shutil.copytree(cfg.output_dir, tmp_path / "reports", symlinks=True)
    moved = cfg.model_copy(update={"output_dir": tmp_path / "reports"})
    other = "Zen" if os.environ.get("OPENBLAS_CORETYPE") == "Haswell" else "Haswell"
    monkeypatch.setenv("OPENBLAS_CORETYPE", other)
    again = run_experiment(moved, progress=False)
    stages = again.manifest["stages"]
    assert stages["embed"]["cached"] and stages["segment"]["cached"]
    assert not stages["topics"]["cached"] and not stages["map"]["cached"]
    assert again.manifest["numeric_env"]["OPENBLAS_CORETYPE"] == other


def test_every_input_document_is_accounted_for(seed_run):
    _, first, _ = seed_run
    audit = pd.read_csv(first.run_dir / "audit.csv", dtype=str, keep_default_na=False)
    assert sorted(audit["doc_id"]) == sorted(p.stem for p in (EXPERIMENTS.parent / "seeds")
                                             .glob("*.txt"))
    assert set(audit["status"]) <= {"kept", "dropped", "merged"}
    segments = pd.read_parquet(first.run_dir / "segments.parquet")
    corpus = pd.read_parquet(first.run_dir / "corpus.parquet").set_index("doc_id")
    for row in segments.itertuples():
        assert corpus.loc[row.doc_id, "text"][row.start:row.end] == row.text


def test_report_pdf_contains_the_corpus_table(seed_run):
    _, first, _ = seed_run
    text = "\n".join(page.extract_text() for page in PdfReader(first.run_dir / "report.pdf").pages)
    assert "Corpus" in text and "Cleaning and duplicates" in text and "Methods" in text
    corpus = pd.read_parquet(first.run_dir / "corpus.parquet")
    for outlet in corpus["outlet"].unique():
        assert outlet in text
    assert "all outlets" in text
    # no seed article is a copy of another (the audit leaves duplicate_of empty)
    assert "near-duplicates of another kept one" not in " ".join(text.split())


def test_report_escapes_typst_markup(tmp_path, write_csv):
    rows = [["doc_id", "outlet", "text"],
            ["1", "#hash *star* $dollar$ ]bracket[", "A story with #tags, *stars*, $5 and ] here. "
             "It is long enough to keep as a paragraph of text."],
            ["2", "Plain", "Another story about talks between leaders in the capital city today."]]
    path = write_csv(rows)
    config = tmp_path / "odd.yaml"
    config.write_text(f"name: odd\noutput_dir: {tmp_path / 'out'}\ncorpus:\n  path: {path}\n"
                      "topics:\n  enabled: false\n")
    result = run_experiment(load_config(config), progress=False)
    text = "\n".join(p.extract_text() for p in PdfReader(result.run_dir / "report.pdf").pages)
    assert "#hash *star* $dollar$ ]bracket[" in text


def test_a_framing_run_that_embeds_records_the_model_without_topics(seed_run, tmp_path):
    cfg, first, _ = seed_run
    framing_only = cfg.model_copy(update={
        "output_dir": tmp_path, "topics": cfg.topics.model_copy(update={"enabled": False}),
        "framing": cfg.framing.model_copy(update={"features": ["tfidf_words", "embeddings"],
                                                  "level": "document"})})
    result = run_experiment(framing_only, progress=False)
    embedding = result.manifest["embedding"]
    assert embedding["weights_sha256"] == first.manifest["embedding"]["weights_sha256"]
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(result.run_dir / "report.pdf").pages)
    assert "Embeddings (for framing features): all-MiniLM-L6-v2" in text
    # whole articles as units: each is the mean of its paragraphs' vectors, none is cut
    assert result.framing.metrics["embedded"] == "mean of the document's segment vectors"
    assert "units_cut" not in result.framing.metrics
    assert ("The embeddings feature represents each document by the mean of its segments' "
            "cached vectors") in text
    assert "reads only the start of many units" not in text
    # the seed paragraphs are all shorter than the 256 tokens the model reads
    assert first.manifest["embedding"]["segments_cut"] == {
        "max_tokens": 256, "texts": 63, "truncated": 0, "checked": 5, "sampled": False}


def test_a_run_that_fails_after_preparing_says_so_in_its_folder(seed_run, tmp_path,
                                                                 monkeypatch):
    import stance.run._flow
    from stance.api import load_run
    from stance.errors import StanceError

    cfg, _, _ = seed_run
    cheap = cfg.model_copy(update={
        "output_dir": tmp_path, "topics": cfg.topics.model_copy(update={"enabled": False}),
        "report": cfg.report.model_copy(update={"enabled": False})})
    finished = run_experiment(cheap, progress=False)

    def boom(*stage_args):
        raise RuntimeError("boom")

    monkeypatch.setattr(stance.run._flow, "_distinctive_stage", boom)
    with pytest.raises(RuntimeError, match="boom"):
        run_experiment(cheap, progress=False)
    failed, = [run for run in (tmp_path / cfg.name / "runs").iterdir()
               if run != finished.run_dir]
    assert (failed / "FAILED.txt").read_text() == (
        "This run did not finish (RuntimeError: boom). Its outputs are partial; latest still "
        "points at the last finished run.\n")
    assert (failed / "config.yaml").is_file() and (failed / "segments.parquet").is_file()
    assert not (failed / "manifest.json").exists()
    assert (tmp_path / cfg.name / "latest").resolve() == finished.run_dir.resolve()
    with pytest.raises(StanceError, match=r"did not finish \(RuntimeError: boom\)"):
        load_run(failed)
    assert not (finished.run_dir / "FAILED.txt").exists()


def test_cli_bad_corpus_is_one_line_and_exit_2_and_leaves_no_folder(tmp_path):
    (tmp_path / "corpus.csv").write_text("doc_id,body\n1,hello\n")
    config = tmp_path / "bad.yaml"
    config.write_text(f"name: bad\noutput_dir: {tmp_path / 'out'}\ncorpus:\n  path: corpus.csv\n")
    done = subprocess.run([sys.executable, "-m", "stance", "-q", "run", str(config)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no column 'text'" in lines[0], done.stderr
    assert not (tmp_path / "out").exists()  # no run folder, no runs/, no cache


def test_label_problems_stop_the_run_before_any_model_loads(tmp_path, write_csv, monkeypatch):
    import stance.embed

    def no_model(*_, **__):
        raise AssertionError("the embedding model was loaded")

    monkeypatch.setattr(stance.embed, "load_embedder", no_model)
    rows = [["doc_id", "outlet", "text", "frame"]] + [
        [str(i), f"outlet{i % 3}", f"Article {i} says the leaders met for talks in the "
         "capital today and discussed trade.", "only-one"] for i in range(12)]
    config = tmp_path / "one_class.yaml"
    config.write_text(f"name: one_class\noutput_dir: {tmp_path / 'out'}\ncorpus:\n"
                      f"  path: {write_csv(rows)}\n  columns: {{labels: [frame]}}\n"
                      "framing:\n  label: frame\n")
    from stance.cli import main

    assert main(["-q", "run", str(config)]) == 2
    assert not (tmp_path / "out" / "one_class" / "runs").exists()


def test_cli_missing_corpus_path_is_one_line_and_exit_2(tmp_path):
    config = tmp_path / "missing.yaml"
    config.write_text(f"name: missing\noutput_dir: {tmp_path / 'out'}\n"
                      "corpus:\n  path: no_such_folder\n")
    # without -q: no stage starts (and logs its progress) before the path is checked
    done = subprocess.run([sys.executable, "-m", "stance", "run", str(config)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == (f"error: {tmp_path / 'no_such_folder'}: corpus.path does not "
                                   "exist; point it at a folder or file"), done.stderr
    assert not (tmp_path / "out").exists()


def test_the_manifest_records_environment_variables_that_move_numbers(monkeypatch):
    from stance.run._manifest import environment

    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("STANCE_UNRELATED", "x")
    recorded = environment()["numeric_env"]
    assert recorded["OPENBLAS_CORETYPE"] == "Haswell" and "STANCE_UNRELATED" not in recorded


def test_every_figure_is_in_the_run_as_svg_and_png(seed_run):
    _, first, second = seed_run
    for result in (first, second):
        folder = result.run_dir / "figures"
        for suffix in ("svg", "png"):
            assert sorted(result.figures) == sorted(p.stem for p in folder.glob(f"*.{suffix}"))
        assert {"topic_map", "topic_terms", "framing_confusion", "segments_per_outlet",
                "actor_naming", "distinctive_terms"} <= set(result.figures)


def test_without_configured_actors_only_actor_naming_is_skipped(seed_run, tmp_path):
    from stance.report._framing import framing_methods
    from stance.run._cache import StageCache
    from stance.run._flow import _actor_naming, _distinctive_stage, _prepare
    from stance.run._stages import Stages

    cfg = seed_run[0].model_copy(update={"actors": {}})
    assert not cfg.actor_stance_runs
    stages = Stages(StageCache(tmp_path / "c", enabled=False))
    (cleaned, _), segments, _ = _prepare(cfg, stages)
    actors = _actor_naming(cfg, segments, stages)
    distinctive = _distinctive_stage(cfg, cleaned, segments, stages)
    assert list(stages.records) == ["corpus", "segment", "distinctive"]
    assert actors is None and not distinctive.empty
    methods = framing_methods(SimpleNamespace(
        framing=None, config=cfg, actor_naming=None, distinctive_terms=distinctive))
    assert len(methods) == 1 and "Distinctive terms" in methods[0] and "Actor" not in methods[0]


def test_a_user_error_raised_in_a_worker_process_keeps_one_problem_per_line():
    import pickle

    from stance.errors import StanceError

    error = pickle.loads(pickle.dumps(StanceError("corpus.csv: no column 'text'", "and more")))
    assert error.problems == ("corpus.csv: no column 'text'", "and more")


def test_the_seed_report_gives_the_framing_of_every_paragraph_per_outlet(seed_run):
    _, first, _ = seed_run
    markup = (first.run_dir / "report.typ").read_text(encoding="utf-8")
    shares = pd.read_csv(first.run_dir / "framing_outlets.csv")
    assert "The final model's labels for all 63 segments of the corpus" in markup
    # neutral-wire's outlet was dropped from training and testing; its paragraphs get labels
    assert set(shares["outlet"]) == set(first.segments.table["outlet"])
    row = shares.set_index("outlet").loc["TSN.ua"]
    assert f'"{row["share_delegitimising"]:.3f}"' in markup
    assert "framing_corpus" in first.figures and first.figures["framing_corpus"].is_file()
    assert "Framing across the corpus: the final model, fitted on every labelled unit, labels " \
           "every one of the corpus's segments" in markup

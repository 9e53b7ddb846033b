"""stance verify: a re-run of the seed config matches; tampered outputs are caught."""

import json
import shutil

import pandas as pd
import pytest

from stance.cli import main
from stance.run import VerifyReport, compare_runs
from stance.run._compare import (
    FIGURE_FILES_CHECK,
    FIGURES_CHECK,
    Difference,
    environment_differences,
    flatten,
)


def test_flatten_gives_dotted_keys():
    assert flatten({"a": 1, "b": {"c": [2, {"d": 3}]}}) == {"a": 1, "b.c.0": 2, "b.c.1.d": 3}


def _run_folder(folder, metrics, topics):
    folder.mkdir()
    (folder / "config.yaml").write_text("name: x\nseed: 1\n")
    (folder / "manifest.json").write_text(json.dumps({"corpus_sha256": "abc"}))
    (folder / "metrics.json").write_text(json.dumps(metrics))
    pd.DataFrame({"seg_id": ["s1", "s2"], "topic": topics}).to_parquet(
        folder / "segment_topics.parquet")
    return folder


def test_compare_runs_tolerates_only_rounding(tmp_path):
    a = _run_folder(tmp_path / "a", {"npmi": 0.1, "nan": float("nan"), "n": 3}, [0, 1])
    b = _run_folder(tmp_path / "b", {"npmi": 0.1 + 1e-12, "nan": float("nan"), "n": 3}, [0, 1])
    c = _run_folder(tmp_path / "c", {"npmi": 0.1 + 1e-6, "n": 3}, [0, 0])
    assert all(check.ok for check in compare_runs(a, b))
    checks = {check.name: check for check in compare_runs(a, c)}
    assert checks["config.yaml"].ok and checks["input corpus"].ok
    assert [d.key for d in checks["metrics.json"].examples] == ["npmi", "nan"]
    assert checks["segment_topics.parquet topic"].n_different == 1
    assert checks["segment_topics.parquet topic"].examples[0].key == "seg_id s2"


def test_output_missing_on_one_side_is_a_mismatch(tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 1])
    (b / "metrics.json").unlink()
    checks = {check.name: check for check in compare_runs(a, b)}
    assert checks["metrics.json"].examples[0].found == "absent"


def test_figures_compare_by_the_bytes_of_their_svg(tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 1])
    for run, map_svg in ((a, "<svg>1</svg>"), (b, "<svg>2</svg>")):
        (run / "figures").mkdir()
        (run / "figures" / "topic_sizes.svg").write_text("<svg>same</svg>")
        (run / "figures" / "topic_map.svg").write_text(map_svg)
        (run / "figures" / "topic_map.png").write_text(map_svg * 2)  # rendered from the SVG
    (a / "figures" / "topic_terms.svg").write_text("<svg/>")
    check = {check.name: check for check in compare_runs(a, b)}[FIGURES_CHECK]
    assert (check.n_compared, check.n_different) == (3, 2)
    assert [d.key for d in check.examples] == ["topic_map.svg", "topic_terms.svg"]
    assert check.examples[1].found is None  # absent from the second run
    assert check.examples[0].expected != check.examples[0].found
    # no figures on either side: no figures check
    plain = [_run_folder(tmp_path / side, {}, [0, 0]) for side in ("c", "d")]
    assert FIGURES_CHECK not in {c.name for c in compare_runs(*plain)}


def test_tables_compare_cell_by_cell_as_written_with_floats_within_the_tolerance(tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 1])
    header = "outlet,doc_id,n,share\n"
    (a / "actors.csv").write_text(header + "BBC,007,123456789012,0.25\n"
                                           "NA,x1,2,0.3\nTASS,x2,3,\n")
    (b / "actors.csv").write_text(header + "BBC,007,123456789012,0.25000000000001\n"
                                           "NA,x1,2,0.30000000000000004\nTASS,x2,3,\n")
    assert {c.name: c for c in compare_runs(a, b)}["actors.csv"].ok
    (b / "actors.csv").write_text(header + "BBC,7,123456789013,0.25\n"
                                           "N/A,x1,2,0.300001\nTASS,x2,3,\n")
    check = {c.name: c for c in compare_runs(a, b)}["actors.csv"]
    assert (check.n_compared, check.n_different) == (12, 4)
    assert [(d.key, d.expected, d.found) for d in check.examples] == [
        ("row 1 outlet", "NA", "N/A"), ("row 0 doc_id", "007", "7"),  # ids: not numbers
        ("row 0 n", "123456789012", "123456789013"),  # whole numbers compare exactly
        ("row 1 share", 0.3, 0.300001)]  # a column of decimals compares as numbers
    for run, section in ((a, "1.10"), (b, "1.1")):  # section numbers, not decimals
        (run / "topics.csv").write_text(f"section,share\n{section},0.5\n2.a,0.5\n")
    check = {c.name: c for c in compare_runs(a, b)}["topics.csv"]
    assert [(d.key, d.expected, d.found) for d in check.examples] == [
        ("row 0 section", "1.10", "1.1")]
    (b / "actors.csv").write_text(header + "BBC,007,123456789012,0.25\n")  # rows lost
    check = {c.name: c for c in compare_runs(a, b)}["actors.csv"]
    assert check.examples[0] == Difference("rows", 3, 1) and check.n_different == 1
    (b / "actors.csv").write_text("outlet,doc_id,n,prevalence\n")
    check = {c.name: c for c in compare_runs(a, b)}["actors.csv"]
    assert check.examples[0].key == "columns" and not check.ok
    for run in (a, b):  # a table with no columns (nothing found) is written as one newline
        (run / "actors.csv").write_text("\n")
    assert {c.name: c for c in compare_runs(a, b)}["actors.csv"].ok


def test_map_coordinates_compare_by_segment_within_the_tolerance(tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 1])
    for run, x in ((a, [1.0, 2.0]), (b, [1.0 + 1e-12, 2.5])):
        pd.DataFrame({"seg_id": ["s1", "s2"], "x": x, "y": [0.0, 0.0]}).to_parquet(
            run / "segment_map.parquet")
    checks = {c.name: c for c in compare_runs(a, b)}
    assert checks["segment_map.parquet y"].ok
    assert [(d.key, d.found) for d in checks["segment_map.parquet x"].examples] == [
        ("seg_id s2", 2.5)]


def test_figures_drawn_by_another_matplotlib_are_not_compared_and_the_verdict_says_so(
        tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 1])
    for run, version in ((a, "3.9.2"), (b, "3.10.0")):
        (run / "manifest.json").write_text(json.dumps(
            {"corpus_sha256": "abc", "packages": {"matplotlib": version}}))
        (run / "figures").mkdir()
        (run / "figures" / "topic_map.svg").write_text(f"<svg>{version}</svg>")
    report = VerifyReport(a, compare_runs(a, b), 0.0, b)
    checks = {c.name: c for c in report.checks}
    assert checks[FIGURES_CHECK].n_compared == 0 and checks[FIGURES_CHECK].status == (
        "not compared: drawn by matplotlib 3.9.2 and 3.10.0")
    assert checks[FIGURE_FILES_CHECK].ok  # which figures exist still counts
    assert report.ok and report.verdict().endswith(
        f"; {FIGURES_CHECK} not compared: drawn by matplotlib 3.9.2 and 3.10.0")
    assert "in 5 checks match" in report.verdict()  # the bytes' check is not counted
    assert "0       0  not compared: drawn by" in report.table()
    (b / "figures" / "topic_terms.svg").write_text("<svg/>")  # a figure only one run drew
    (b / "manifest.json").write_text(json.dumps({"corpus_sha256": "abc", "packages": None}))
    report = VerifyReport(a, compare_runs(a, b), 0.0, b)
    files = {c.name: c for c in report.checks}[FIGURE_FILES_CHECK]
    assert [(d.key, d.expected, d.found) for d in files.examples] == [
        ("topic_terms.svg", None, "present")]
    assert report.verdict() == (
        f"NOT reproduced: 1 of 5 checks differ ({FIGURE_FILES_CHECK}); {FIGURES_CHECK} not "
        "compared: drawn by matplotlib 3.9.2 and unknown")


def test_environment_differences_are_listed_beside_the_checks(tmp_path):
    a = _run_folder(tmp_path / "a", {"n": 1}, [0, 1])
    b = _run_folder(tmp_path / "b", {"n": 1}, [0, 0])
    for run, numeric_env, numpy in ((a, {}, "2.1.0"), (b, {"OPENBLAS_CORETYPE": "Haswell"},
                                                        "2.2.0")):
        (run / "manifest.json").write_text(json.dumps({
            "corpus_sha256": "abc", "python": "3.11.7", "numeric_env": numeric_env,
            "packages": {"numpy": numpy, "scipy": "1.14.0"}}))
    assert [(d.key, d.expected, d.found) for d in environment_differences(a, b)] == [
        ("packages.numpy", "2.1.0", "2.2.0"), ("numeric_env.OPENBLAS_CORETYPE", None, "Haswell")]
    report = VerifyReport(a, compare_runs(a, b), 0.0, b, environment_differences(a, b))
    assert not report.ok  # the outputs decide; the environment says why they may differ
    assert report.table().splitlines()[-3:] == [
        "environment differs (numbers may move with it):",
        "  packages.numpy: run '2.1.0', now '2.2.0'",
        "  numeric_env.OPENBLAS_CORETYPE: run absent, now 'Haswell'"]
    assert environment_differences(a, a) == ()


@pytest.mark.integration
def test_a_rerun_of_the_seed_run_is_identical(seed_run_dir, capsys):
    # --no-cache recomputes the embeddings too, so this also checks the model is deterministic
    assert main(["-q", "verify", str(seed_run_dir), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "MISMATCH" not in out and out.strip().splitlines()[-1].startswith("reproduced:")
    assert "environment differs" not in out  # the same process environment
    for name in ("segments.parquet text", "segment_topics.parquet topic", "metrics.json",
                 "segment_map.parquet x", "topic_prevalence.csv", "distinctive_terms.csv",
                 "actors.csv", "predictions.parquet predicted", "framing_metrics.json",
                 FIGURES_CHECK):
        assert name in out


@pytest.mark.integration
def test_tampered_metrics_and_assignments_are_caught(seed_run_dir, tmp_path, capsys):
    tampered = tmp_path / "tampered"
    shutil.copytree(seed_run_dir, tampered)
    metrics = json.loads((tampered / "metrics.json").read_text())
    metrics["npmi_mean"] += 1e-6
    (tampered / "metrics.json").write_text(json.dumps(metrics))
    assignments = pd.read_parquet(tampered / "segment_topics.parquet")
    assignments.loc[0, "topic"] = assignments["topic"].max() + 1
    assignments.to_parquet(tampered / "segment_topics.parquet", index=False)

    assert main(["-q", "verify", str(tampered), "--against", str(seed_run_dir)]) == 1
    out = capsys.readouterr().out
    mismatched = {line.split("  ")[0] for line in out.splitlines() if "MISMATCH" in line}
    assert mismatched == {"metrics.json", "segment_topics.parquet topic"}
    assert "npmi_mean" in out and f"seg_id {assignments.loc[0, 'seg_id']}" in out
    assert out.strip().splitlines()[-1].startswith("NOT reproduced: 2 of")


def test_verify_of_a_folder_that_is_not_a_run_exits_2(tmp_path, capsys):
    assert main(["-q", "verify", str(tmp_path)]) == 2
    assert "not a finished run folder" in capsys.readouterr().err


@pytest.mark.integration
def test_verify_re_encodes_a_sample_and_catches_a_consistently_rewritten_cache(seed_run_dir,
                                                                               tmp_path):
    import hashlib

    import numpy as np

    from stance.config import load_config
    from stance.run import embedding_cache_dir
    from stance.run._verify import VECTOR_SAMPLE, check_cached_vectors

    cache = embedding_cache_dir(load_config(seed_run_dir / "config.yaml"))
    n_segments = len(pd.read_parquet(seed_run_dir / "segments.parquet"))
    check = check_cached_vectors(seed_run_dir, cache)
    assert check.ok and check.n_compared == min(VECTOR_SAMPLE, n_segments)
    # a cache whose shards were written with wrong vectors and matching sha256 sidecars
    # passes every file check; only the model can tell
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    for sidecar in copy.rglob("*.json"):
        vecs = sidecar.with_name(sidecar.name.removesuffix(".json") + ".vecs.npy")
        wrong = np.roll(np.load(vecs), 1, axis=0)
        np.save(vecs, wrong)
        meta = json.loads(sidecar.read_text())
        meta["vectors_sha256"] = hashlib.sha256(wrong.data).hexdigest()
        sidecar.write_text(json.dumps(meta))
    check = check_cached_vectors(seed_run_dir, copy)
    assert not check.ok and check.n_different > check.n_compared // 2
    assert "largest component difference" in check.examples[0].key

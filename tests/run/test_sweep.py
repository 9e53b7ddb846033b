"""Sweeps: grid expansion, validation with line numbers, summary tables and the sweep folder."""

import json
import math
from types import SimpleNamespace

import pandas as pd
import pytest
from pypdf import PdfReader

from stance.cli import main
from stance.config import MAX_POINTS, dump_config, expand_sweep, load_config, parse_config
from stance.data import SweepResult
from stance.errors import StanceError
from stance.run import run_sweep
from stance.run._sweep import point_metrics, seed_spread, summary_table
from tests.conftest import EXPERIMENTS

BASE = {"name": "grid", "corpus": {"path": "/data/x.csv", "columns": {"labels": ["framing"]}}}


def _config(sweep):
    return parse_config({**BASE, "sweep": sweep})


def _error(tmp_path, sweep_yaml: str) -> str:
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\ncorpus:\n  path: a.csv\nsweep:\n" + sweep_yaml)
    with pytest.raises(StanceError) as caught:
        load_config(config)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_grid_has_every_combination_first_key_slowest():
    cfg = _config({"seed": [1, 2], "topics.hdbscan.min_cluster_size": [3, "auto"],
                   "topics.representation": ["ctfidf"]})
    points = expand_sweep(cfg)
    assert [tuple(o.values()) for o, _ in points] == [
        (1, 3, "ctfidf"), (1, "auto", "ctfidf"), (2, 3, "ctfidf"), (2, "auto", "ctfidf")]
    for overrides, point in points:
        assert point.seed == overrides["seed"]
        assert point.topics.hdbscan.min_cluster_size == overrides[
            "topics.hdbscan.min_cluster_size"]
        assert point.topics.representation == "ctfidf"
        assert point.sweep == {}
        # Everything not swept stays as in the sweep's config.
        assert point.model_copy(update={"seed": cfg.seed, "topics": cfg.topics,
                                        "sweep": cfg.sweep}) == cfg


def test_each_point_config_is_runnable_alone(tmp_path):
    _, point = expand_sweep(_config({"framing.features": [["embeddings", "lexicon"]]}))[0]
    assert point.framing.features == ["embeddings", "lexicon"]
    text = dump_config(point)
    assert "sweep: {}" in text
    (tmp_path / "point.yaml").write_text(text)
    assert load_config(tmp_path / "point.yaml") == point


def test_no_sweep_is_one_point_equal_to_the_config():
    cfg = parse_config(BASE)
    assert expand_sweep(cfg) == [({}, cfg)]


def test_unknown_setting_names_line_and_suggests(tmp_path):
    line = _error(tmp_path, "  seed: [1, 2]\n  topics.hdbscan.min_cluster_sise: [3]\n")
    assert line == (f"{tmp_path / 'bad.yaml'}:6 sweep.topics.hdbscan.min_cluster_sise: "
                    "unknown setting; did you mean topics.hdbscan.min_cluster_size?")
    assert "did you mean topics.hdbscan.min_cluster_size?" in _error(
        tmp_path, "  topics.min_cluster_size: [3]\n")


def test_bad_value_names_its_index_and_line(tmp_path):
    line = _error(tmp_path, "  topics.representation:\n    - mmr\n    - bm25\n")
    assert line.startswith(f"{tmp_path / 'bad.yaml'}:7 sweep.topics.representation[1]: ")
    assert "'bm25'" in line
    line = _error(tmp_path, "  framing.features:\n    - [lexicon]\n    - [words, lexicon]\n")
    assert line.startswith(f"{tmp_path / 'bad.yaml'}:7 sweep.framing.features[1]: ")
    assert "'words'" in line


def test_empty_list_scalar_and_fixed_settings_are_errors(tmp_path):
    assert "sweep.seed: list should have at least 1 item" in _error(tmp_path, "  seed: []\n")
    assert "sweep.seed: input should be a valid list" in _error(tmp_path, "  seed: 4\n")
    assert "sweep.name: cannot be swept" in _error(tmp_path, "  name: [a, b]\n")


def test_grid_size_is_capped(tmp_path):
    seeds = list(range(MAX_POINTS // 2 + 1))
    line = _error(tmp_path, f"  seed: {seeds}\n  topics.representation: [mmr, ctfidf]\n")
    assert line.startswith(f"{tmp_path / 'bad.yaml'}:4 sweep: {len(seeds) * 2} points")


def test_values_invalid_together_fail_at_expansion():
    cfg = _config({"corpus.columns.labels": [["framing"], []], "framing.enabled": [True]})
    with pytest.raises(StanceError, match="sweep point corpus.columns.labels=\\[\\]"):
        expand_sweep(cfg)


def test_point_metrics_reads_topics_and_framing():
    metrics = {"n_topics": 4, "npmi_mean": 0.1, "diversity_25": 0.9, "diversity_10": 1.0,
               "outlier_share": 0.2, "stability": {"runs": 0, "ari_mean": None, "ari": []}}
    values = point_metrics(metrics, None)
    assert values["n_topics"] == 4 and math.isnan(values["stability_ari"])
    assert math.isnan(values["stability_ari_topics"])  # runs of old versions lack it
    stable = {"stability": {"ari_mean": 0.7, "ari_topics_mean": 0.4}}
    assert point_metrics(stable, None)["stability_ari_topics"] == 0.4
    assert math.isnan(values["macro_f1"])
    assert point_metrics({}, {"grouped": {"macro_f1": 0.5}})["macro_f1"] == 0.5
    assert math.isnan(point_metrics({}, None)["npmi_mean"])


def test_summary_json_has_null_for_what_a_point_did_not_measure(tmp_path, monkeypatch):
    import stance.run._sweep

    def run_without_framing(point, *, progress, use_cache):
        run_dir = tmp_path / "grid" / "runs" / f"seed{point.seed}"
        run_dir.mkdir(parents=True)
        return SimpleNamespace(run_dir=run_dir, metrics={"n_topics": 3, "npmi_mean": 0.1},
                               framing=None)

    monkeypatch.setattr(stance.run._sweep, "run_experiment", run_without_framing)
    cfg = parse_config({**BASE, "output_dir": str(tmp_path), "report": {"enabled": False},
                        "sweep": {"seed": [1, 2]}})
    sweep = run_sweep(cfg, progress=False)

    def no_nan(constant):
        raise AssertionError(f"summary.json holds {constant}, which JSON does not allow")

    summary = json.loads((sweep.sweep_dir / "summary.json").read_text(), parse_constant=no_nan)
    assert [p["metrics"]["macro_f1"] for p in summary["points"]] == [None, None]
    assert [p["metrics"]["n_topics"] for p in summary["points"]] == [3, 3]


FEATURES = [["tfidf_words", "lexicon"], ["lexicon"]]


def _records():
    records = []
    for number, (seed, features) in enumerate(
            [(1, FEATURES[0]), (1, FEATURES[1]), (2, FEATURES[0]), (2, FEATURES[1])], start=1):
        metrics = point_metrics({"npmi_mean": seed / 10 + len(features) / 100}, None)
        records.append({"point": number, "overrides": {"seed": seed, "framing.features": features},
                        "run": f"runs/r{number}", "metrics": metrics})
    return records


def test_summary_has_one_row_per_point_and_seed_spread_groups_other_settings():
    summary = summary_table(_records(), ["seed", "framing.features"])
    assert list(summary["framing.features"]) == ["tfidf_words+lexicon", "lexicon"] * 2
    assert list(summary.columns[:3]) == ["point", "seed", "framing.features"]
    spread = seed_spread(summary, ["seed", "framing.features"])
    assert set(spread["metric"]) == {"npmi_mean"}  # nothing else was measured
    row = spread.set_index("framing.features").loc["tfidf_words+lexicon"]
    assert row["seeds"] == 2 and row["mean"] == pytest.approx(0.17)
    assert seed_spread(summary, ["framing.features"]) is None


def test_figures_and_report_from_a_summary(tmp_path):
    from stance.report import plot_metrics_against, write_sweep_report

    parameters = ["seed", "framing.features"]
    summary = summary_table(_records(), parameters)
    fig = plot_metrics_against(summary, "framing.features", {"npmi_mean": "NPMI",
                                                             "macro_f1": "macro-F1"})
    assert len(fig.axes) == 2
    (tmp_path / "figures").mkdir()
    fig.savefig(tmp_path / "figures" / "f.svg")
    cfg = _config({"seed": [1, 2], "framing.features": FEATURES})
    sweep = SweepResult(tmp_path, cfg, "2026-01-01T00:00:00+00:00", summary,
                        seed_spread(summary, parameters), {"framing.features":
                                                           tmp_path / "figures" / "f.svg"}, None)
    pdf = write_sweep_report(sweep, tmp_path / "sweep_report.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Points" in text and "Seed-to-seed spread" in text and "NPMI" in text


def test_cli_run_with_a_sweep_runs_the_sweep(tmp_path, monkeypatch, capsys):
    import stance.run._sweep

    seen = {}

    def fake_run_sweep(cfg, *, progress, use_cache):
        seen["cfg"] = cfg
        return SweepResult(tmp_path / "sweeps" / "s", cfg, "", pd.DataFrame({"point": [1, 2]}),
                           None, {}, None)

    monkeypatch.setattr(stance.run._sweep, "run_sweep", fake_run_sweep)
    assert main(["-q", "run", str(EXPERIMENTS / "seeds_sweep.yaml")]) == 0
    assert seen["cfg"].sweep["seed"] == [42, 43, 44]
    assert f"sweep folder: {tmp_path / 'sweeps' / 's'} (2 points" in capsys.readouterr().out


@pytest.mark.integration
def test_tiny_sweep_of_the_seed_corpus(tmp_path):
    raw = load_config(EXPERIMENTS / "seeds_sweep.yaml").resolved_dump()
    raw["output_dir"] = str(tmp_path)
    raw["sweep"] = {"seed": [42, 43]}  # as shipped, but two points
    sweep = run_sweep(parse_config(raw), progress=False)
    summary = pd.read_csv(sweep.sweep_dir / "summary.csv")
    assert list(summary["seed"]) == [42, 43]
    assert summary[["n_topics", "npmi_mean", "outlier_share", "stability_ari"]].notna().all().all()
    experiment_dir = tmp_path / "seeds_sweep"
    for run in summary["run"]:
        point = load_config(experiment_dir / run / "config.yaml")
        assert point.sweep == {} and point.seed in (42, 43)
    assert (experiment_dir / "sweeps" / "latest").resolve() == sweep.sweep_dir.resolve()
    assert (sweep.sweep_dir / "figures" / "metrics_vs_seed.png").is_file()
    points = json.loads((sweep.sweep_dir / "summary.json").read_text())["points"]
    assert [p["overrides"] for p in points] == [{"seed": 42}, {"seed": 43}]
    assert 0 <= points[0]["metrics"]["macro_f1"] <= 1
    text = "\n".join(p.extract_text() for p in PdfReader(sweep.sweep_dir / "sweep_report.pdf")
                     .pages)
    assert "point" in text and "stability (ARI)" in text and "Seed-to-seed spread" in text


def test_run_experiment_refuses_a_sweep_it_would_run_as_one_point(tmp_path):
    from stance.run import run_experiment

    cfg = _config({"seed": [1, 2]}).model_copy(update={"output_dir": tmp_path})
    with pytest.raises(StanceError, match="has a sweep: section; run it with"):
        run_experiment(cfg, progress=False)
    assert not (tmp_path / cfg.name).exists()  # refused before any folder is made


@pytest.mark.integration
def test_points_that_differ_only_in_topics_share_one_framing_fit(tmp_path):
    raw = load_config(EXPERIMENTS / "seeds_sweep.yaml").resolved_dump()
    raw["output_dir"] = str(tmp_path)
    raw["sweep"] = {"topics.hdbscan.min_cluster_size": [3, 4]}
    sweep = run_sweep(parse_config(raw), progress=False)
    runs = [tmp_path / "seeds_sweep" / run
            for run in pd.read_csv(sweep.sweep_dir / "summary.csv")["run"]]
    stages = [json.loads((run / "manifest.json").read_text())["stages"] for run in runs]
    assert [s["framing"]["cached"] for s in stages] == [False, True]
    assert [s["topics"]["cached"] for s in stages] == [False, False]
    assert ((runs[0] / "framing_metrics.json").read_bytes()
            == (runs[1] / "framing_metrics.json").read_bytes())

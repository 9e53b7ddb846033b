"""The Python API: Experiment builds and runs configs, load_run exposes a run folder."""

import json
import subprocess
import sys

import pytest

import stance
from stance.config import load_config
from stance.errors import StanceError
from tests.conftest import EXPERIMENTS


def test_import_stance_is_instant():
    code = ("import sys, stance; heavy = {'pandas', 'numpy', 'pydantic', 'torch', 'stance.api'}; "
            "print(sorted(heavy & set(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_public_names_resolve_lazily():
    assert isinstance(stance.__version__, str) and stance.__version__
    assert stance.Experiment.__module__ == "stance.api"
    assert callable(stance.load_run) and callable(stance.verify_run)
    assert {"Experiment", "load_run", "__version__"} <= set(dir(stance))
    with pytest.raises(AttributeError):
        stance.no_such_name  # noqa: B018


def test_from_dict_resolves_paths_against_base_dir(tmp_path, write_csv, small_rows):
    write_csv(small_rows)
    experiment = stance.Experiment.from_dict(
        {"name": "mine", "corpus": {"path": "corpus.csv"}, "topics": {"enabled": False}},
        base_dir=tmp_path)
    assert experiment.config.corpus.path == tmp_path / "corpus.csv"
    assert experiment.config.segmentation.unit == "paragraph"  # defaults filled in
    assert "name: mine" in experiment.to_yaml()


def test_from_dict_names_a_mistyped_key(tmp_path):
    with pytest.raises(StanceError, match="topics.stabilty_runs: unknown key; did you mean "
                                          "stability_runs"):
        stance.Experiment.from_dict({"name": "x", "corpus": {"path": "c.csv"},
                                     "topics": {"stabilty_runs": 1}}, base_dir=tmp_path)


def test_with_settings_validates_dotted_keys(tmp_path):
    experiment = stance.Experiment.from_yaml(EXPERIMENTS / "seeds.yaml", output_dir=tmp_path)
    quick = experiment.with_settings({"topics.stability_runs": 0, "name": "quick"})
    assert quick.config.topics.stability_runs == 0 and quick.config.name == "quick"
    assert quick.config.corpus == experiment.config.corpus
    assert experiment.config.output_dir == tmp_path
    with pytest.raises(StanceError, match="corpus.limit"):
        experiment.with_settings({"corpus.limit": 0})


def test_sweep_configs_run_through_run_sweep(tmp_path):
    experiment = stance.Experiment.from_yaml(EXPERIMENTS / "seeds.yaml", output_dir=tmp_path)
    with pytest.raises(StanceError, match="run_sweep"):
        experiment.with_settings({"sweep": {"seed": [1, 2]}}).run()
    with pytest.raises(StanceError, match="no sweep"):
        experiment.run_sweep()


@pytest.mark.parametrize("method, output_dir", [
    ("run", "corpus.csv"), ("embed", "corpus.csv/reports"), ("run_sweep", "corpus.csv")])
def test_an_output_dir_on_a_file_is_refused_before_any_work(tmp_path, write_csv, small_rows,
                                                            method, output_dir):
    corpus = write_csv(small_rows)
    config = tmp_path / "x.yaml"
    sweep = "sweep:\n  seed: [1, 2]\n" if method == "run_sweep" else ""
    config.write_text(f"name: x\noutput_dir: {tmp_path / output_dir}\n"
                      f"corpus:\n  path: corpus.csv\n{sweep}")
    experiment = stance.Experiment.from_yaml(config)
    with pytest.raises(StanceError) as err:
        getattr(experiment, method)(progress=False)
    assert str(err.value) == (f"{config}:2 output_dir: {corpus} is a file, not a folder; "
                              "set output_dir to a folder (it is created if missing)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.csv", "x.yaml"]


def test_load_run_rejects_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(StanceError, match="not a finished run folder"):
        stance.load_run(tmp_path)


def test_outputs_of_stages_that_did_not_run_are_none(tmp_path):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "config.yaml").write_text("name: x\n")
    run = stance.load_run(tmp_path)
    assert run.topics is None and run.metrics is None and run.predictions is None
    assert run.actors is None and run.framing_metrics is None and run.report is None
    assert run.figures == {}
    with pytest.raises(StanceError, match="topics.enabled: false"):
        run.segments_of_topic(0)


@pytest.mark.integration
def test_load_run_exposes_the_pieces(seed_run_dir):
    run = stance.load_run(seed_run_dir)
    assert run.config == load_config(seed_run_dir / "config.yaml")
    assert run.manifest == json.loads((seed_run_dir / "manifest.json").read_text())
    segments = run.segments.table
    assert len(run.corpus.corpus) == 5
    assert sorted(run.assignments["seg_id"]) == sorted(segments["seg_id"])
    assert set(run.topics["topic"]) == set(run.assignments["topic"])
    assert set(run.topic_terms["topic"]) <= set(run.topics["topic"])
    assert {"outlet", "topic", "share", "low", "high"} <= set(run.prevalence.columns)
    assert set(run.prevalence["outlet"]) == set(segments["outlet"])
    assert run.over_time is not None and "npmi_mean" in run.metrics
    # the seed corpus carries framing labels, so the framing outputs are there too
    assert run.framing_metrics is not None
    assert 0 < len(run.predictions) and set(run.predictions["unit_id"]) <= set(segments["seg_id"])
    # ... and the final model's label for every paragraph, the unlabelled outlet's too
    assert run.framing_corpus["unit_id"].tolist() == segments["seg_id"].tolist()
    assert set(run.framing_corpus["predicted"]) <= set(run.framing_metrics["classes"])
    by_outlet = run.framing_by_outlet.set_index("outlet")
    assert by_outlet["segments"].to_dict() == segments["outlet"].value_counts().to_dict()
    for outlet, share in run.framing_corpus.groupby("outlet")["predicted"].apply(
            lambda p: (p == "delegitimising").mean()).items():
        assert by_outlet.loc[outlet, "share_delegitimising"] == pytest.approx(share)
    assert run.actors is not None and run.distinctive_terms is not None
    assert "segments_per_outlet" in run.figures
    assert all(p.suffix == ".png" and p.is_file() for p in run.figures.values())
    assert run.report == seed_run_dir / "report.pdf"


@pytest.mark.integration
def test_segments_of_topic_browses_each_topic(seed_run_dir):
    run = stance.load_run(seed_run_dir)
    texts = set(run.segments.table["text"])
    for topic, size in zip(run.topics["topic"], run.topics["size"], strict=True):
        rows = run.segments_of_topic(topic)
        assert len(rows) == size and set(rows["text"]) <= texts
        assert rows["probability"].is_monotonic_decreasing
    with pytest.raises(StanceError, match="no topic 999"):
        run.segments_of_topic(999)


@pytest.mark.integration
def test_latest_is_the_run_of_exactly_this_config(seed_run_dir):
    experiment = stance.Experiment.from_yaml(EXPERIMENTS / "seeds.yaml",
                                             output_dir=seed_run_dir.parents[2])
    assert experiment.latest().run_dir == seed_run_dir
    assert experiment.with_settings({"seed": 7}).latest() is None


@pytest.mark.integration
def test_run_predicts_with_its_framing_model(seed_run_dir, tmp_path):
    article = tmp_path / "new.txt"
    article.write_text("Putin and Lukashenko met in Minsk to discuss the Union State.")
    run = stance.load_run(seed_run_dir)
    table = run.predict([article])
    assert table["id"].tolist() == ["new.txt"]
    assert set(table["predicted"]) <= set(run.framing_metrics["classes"])

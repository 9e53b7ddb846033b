from pathlib import Path

import pytest

from stance.cli import main
from stance.config import dump_config, load_config, locate, parse_config
from stance.errors import StanceError
from tests.conftest import EXPERIMENTS


@pytest.mark.parametrize("path", sorted(EXPERIMENTS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_experiment_config_loads(path):
    cfg = load_config(path)
    assert cfg.name
    assert cfg.corpus.path.is_absolute()


def test_resolved_config_round_trips(tmp_path):
    cfg = load_config(EXPERIMENTS / "seeds.yaml")
    again = tmp_path / "config.yaml"
    again.write_text(dump_config(cfg))
    assert load_config(again) == cfg
    assert load_config(again).digest() == cfg.digest()


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: ../data.csv\n")
    assert load_config(config).corpus.path == (tmp_path / "data.csv").resolve()


def test_a_tilde_in_any_path_is_the_users_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "x.yaml"
    config.write_text("name: x\noutput_dir: ~/runs\ncorpus:\n  path: ~/data.csv\n"
                      "  metadata: ~/meta.csv\nembedding:\n  cache_dir: ~/vectors\n"
                      "framing:\n  segment_labels: ~/seg.csv\nsweep:\n  corpus.path: [~/b.csv]\n")
    cfg = load_config(config)
    home = tmp_path / "home"
    assert (cfg.corpus.path, cfg.corpus.metadata, cfg.framing.segment_labels) == (
        home / "data.csv", home / "meta.csv", home / "seg.csv")
    assert (cfg.output_dir, cfg.embedding.cache_dir) == (home / "runs", home / "vectors")
    assert cfg.sweep["corpus.path"] == [str(home / "b.csv")]


def test_a_tilde_in_a_swept_path_setting_is_the_users_home(tmp_path, monkeypatch):
    from stance.config import expand_sweep

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = tmp_path / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: c.csv\n"
                      "sweep:\n  embedding.cache_dir: [~/a]\n")
    _, point = expand_sweep(load_config(config))[0]
    assert point.embedding.cache_dir == tmp_path / "home" / "a"


def test_the_embedding_cache_may_be_an_fsspec_url_fsspec_can_open(tmp_path):
    config = tmp_path / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: c.csv\nembedding:\n"
                      "  cache_dir: memory://bucket/vectors\n")
    assert load_config(config).embedding.cache_dir == "memory://bucket/vectors"
    config.write_text("name: x\ncorpus:\n  path: c.csv\nembedding:\n"
                      "  cache_dir: nosuch://bucket/vectors\n")
    with pytest.raises(StanceError) as error:
        load_config(config)
    (line,) = str(error.value).splitlines()
    assert line.startswith(f"{config}:5 embedding.cache_dir: fsspec cannot open nosuch:// "
                           "(Protocol not known: nosuch); install the filesystem's package")


def test_a_tilde_for_an_unknown_user_is_a_one_line_error(tmp_path):
    config = tmp_path / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: ~no_such_user_here/c.csv\n")
    with pytest.raises(StanceError, match=r"x\.yaml:3 corpus\.path: .*no home folder for "
                                          r"'~no_such_user_here'"):
        load_config(config)


def test_every_input_path_and_swept_input_path_resolves_against_the_config(tmp_path):
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "x.yaml"
    config.write_text("name: x\ncorpus:\n  path: ../docs\n  metadata: meta/m.csv\n"
                      "framing:\n  segment_labels: seg.csv\n"
                      "actor_stance:\n  labels: ../stance.csv\n"
                      "sweep:\n  corpus.path: [a.csv, /abs/b.csv]\n  seed: [1]\n")
    cfg = load_config(config)
    assert cfg.corpus.metadata == (tmp_path / "sub" / "meta" / "m.csv").resolve()
    assert cfg.framing.segment_labels == (tmp_path / "sub" / "seg.csv").resolve()
    assert cfg.actor_stance.labels == (tmp_path / "stance.csv").resolve()
    assert cfg.sweep["corpus.path"] == [str((tmp_path / "sub" / "a.csv").resolve()),
                                        "/abs/b.csv"]


@pytest.mark.parametrize(("text", "expected"), [
    ("corpus:\n  path: c.csv\n  csv_separator: tab\n",
     "bad.yaml:4 corpus.csv_separator: 'tab' is not one character; give one"),
    ("corpus:\n  path: c.csv\n  encoding_fallbacks: [klingon-8]\n",
     "bad.yaml:4 corpus.encoding_fallbacks: unknown encoding 'klingon-8'"),
    ("seed: -1\ncorpus:\n  path: c.csv\n", "bad.yaml:2 seed: "),
    ("seed: 4294967295\ncorpus:\n  path: c.csv\n",
     "bad.yaml:2 seed 4294967295: the stability refits would use seeds up to 4294967297"),
    ("corpus:\n  path: c.csv\n  encoding_fallbacks: [hex]\n", "unknown encoding 'hex'"),
    ("corpus:\n  path: c.csv\nsegmentation:\n  unit: window\n  window_words: 5\n"
     "  window_overlap: 10\n",
     "bad.yaml:4 segmentation: window_overlap (10) must be below window_words (5)"),
    ("corpus:\n  path: c.csv\n  columns:\n    labels: [source]\n",
     "corpus.columns.labels: 'source' is the name of a column stance makes"),
    ("corpus:\n  path: c.csv\nactor_stance:\n  enabled: true\n",
     "actor_stance.enabled: true needs actors: name each actor with its aliases"),
    ("corpus:\n  path: c.csv\nactors:\n  Putin: [Putin]\nactor_stance:\n  adapt: true\n",
     "actor_stance.adapt: true tunes the model on your labels; give them as "
     "actor_stance.labels"),
    ("corpus:\n  path: c.csv\nframing:\n  actors:\n    Putin: [Putin]\n",
     "bad.yaml:5 framing.actors: moved to the top-level actors section; write it there"),
    ("corpus:\n  path: c.csv\ntopics:\n  enabled: false\n  enabled: true\n",
     "bad.yaml:6 topics.enabled: given twice (first at line 5); YAML keeps only the last"),
])
def test_values_that_would_fail_later_are_refused_with_their_line(tmp_path, text, expected):
    assert expected in _error(tmp_path, "name: x\n" + text)


@pytest.mark.parametrize("name", ["..", ".", "...", ".cache"])
def test_a_name_that_is_no_folder_of_its_own_is_refused(tmp_path, name):
    line = _error(tmp_path, f"name: '{name}'\ncorpus:\n  path: c.csv\n")
    assert line.startswith(f"{tmp_path / 'bad.yaml'}:1 name: '{name}' starts with a dot")


def test_a_config_that_is_not_utf8_is_one_line(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_bytes(b"name: x\ndescription: caf\xe9\ncorpus:\n  path: c.csv\n")
    with pytest.raises(StanceError, match=r"bad.yaml: not UTF-8 text \(byte \d+\); re-save"):
        load_config(config)


def _error(tmp_path, text: str) -> str:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(StanceError) as caught:
        load_config(config)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


def test_unknown_key_names_file_line_key_and_suggestion(tmp_path):
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a.csv\ntopics:\n  umap:\n"
                            "    n_neighbours: 5\n")
    assert line == f"{tmp_path / 'bad.yaml'}:6 topics.umap.n_neighbours: unknown key; " \
                   "did you mean n_neighbors?"


def test_wrong_type_names_line_and_value(tmp_path):
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a.csv\nsegmentation:\n  min_words: lots\n")
    assert line.startswith(f"{tmp_path / 'bad.yaml'}:5 segmentation.min_words:")
    assert "'lots'" in line


@pytest.mark.parametrize(("section", "key", "value", "expected"), [
    ("umap", "n_epochs", "0", "input should be greater than or equal to 1; or 'auto' (found 0)"),
    ("umap", "n_neighbors", "fast", "input should be a valid integer, unable to parse string "
                                    "as an integer; or 'auto' (found 'fast')"),
    ("hdbscan", "min_samples", "2.5", "input should be a valid integer, got a number with a "
                                      "fractional part; or 'auto' (found 2.5)"),
])
def test_a_value_fitting_no_member_of_a_union_is_one_problem(tmp_path, section, key, value,
                                                              expected):
    # pydantic fails a union once per member (int, 'auto'), each at its own location
    line = _error(tmp_path, f"name: x\ncorpus:\n  path: a.csv\ntopics:\n  {section}:\n"
                            f"    {key}: {value}\n")
    assert line == f"{tmp_path / 'bad.yaml'}:6 topics.{section}.{key}: {expected}"


def test_a_cluster_that_is_neither_an_address_nor_a_jobqueue_mapping_is_one_problem(tmp_path):
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a.csv\ncompute:\n  cluster: 12\n")
    assert line == (f"{tmp_path / 'bad.yaml'}:5 compute.cluster: input should be a valid "
                    "string; or a valid dictionary or instance of JobqueueConfig (found 12)")


def test_a_jobqueue_mapping_with_a_bad_key_names_only_that_key(tmp_path):
    # the mapping is meant as the jobqueue section: no "should be a valid string" problem
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a.csv\ncompute:\n  cluster:\n"
                            "    system: slurm\n    memory: 8GB\n    cores: many\n")
    assert line == (f"{tmp_path / 'bad.yaml'}:8 compute.cluster.cores: input should be a "
                    "valid integer, unable to parse string as an integer (found 'many')")


def test_a_named_framing_label_must_be_loaded_even_when_framing_is_auto(tmp_path):
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a.csv\n  columns: {labels: [framing]}\n"
                            "framing:\n  label: stanse\n")
    assert line == (f"{tmp_path / 'bad.yaml'}:6 framing.label 'stanse' is not in "
                    "corpus.columns.labels ['framing']; add the label column there, correct the "
                    "name, or set framing.enabled: false")
    # the default label only says "when loaded": a corpus without labels runs no framing
    config = tmp_path / "plain.yaml"
    config.write_text("name: x\ncorpus:\n  path: a.csv\n")
    assert load_config(config).framing_runs is False


def test_missing_section_and_bad_choice(tmp_path):
    assert "corpus: required key is missing" in _error(tmp_path, "name: x\n")
    line = _error(tmp_path, "name: x\ncorpus:\n  path: a\nsegmentation:\n  unit: chapter\n")
    assert "segmentation.unit" in line and "'chapter'" in line


def test_invalid_yaml_and_missing_file(tmp_path):
    assert "not valid YAML" in _error(tmp_path, "name: [x\n")
    with pytest.raises(StanceError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_parse_config_from_code():
    cfg = parse_config({"name": "api", "corpus": {"path": "/data/x.csv"}})
    assert cfg.segmentation.unit == "paragraph"
    assert cfg.corpus.path == Path("/data/x.csv")


def test_cli_prints_one_line_per_problem_and_exits_2(tmp_path, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("name: x\ncorpus:\n  path: a.csv\nsegmentation:\n  unti: paragraph\n")
    assert main(["config", "show", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {config}:5 segmentation.unti: unknown key; did you mean unit?"]


def test_config_show_prints_defaults(capsys):
    assert main(["config", "show", str(EXPERIMENTS / "seeds.yaml")]) == 0
    out = capsys.readouterr().out
    assert "min_words: 8" in out and "on_invalid: error" in out


def test_the_stance_executable_is_the_cli(monkeypatch):
    from importlib.metadata import entry_points

    from stance import cli

    (script,) = entry_points(group="console_scripts", name="stance")
    assert script.value == "stance.cli:command"
    monkeypatch.setattr(cli, "main", lambda: 3)
    assert cli.command() == 3


def test_a_problem_found_while_running_names_the_config_file_and_line(tmp_path):
    config = tmp_path / "exp.yaml"
    config.write_text("name: x\ncorpus:\n  path: a.csv\nframing:\n  enabled: true\n"
                      "  rare_classes: error\n")
    found = StanceError("framing.rare_classes: 'c' has one document; set it to drop",
                        "framing.label 'framing': one class; label more documents",
                        "topics: 4 segments; use a larger corpus",
                        f"{tmp_path / 'a.csv'}: no column 'date'; name it",
                        "experiment 'x' has a sweep: section")
    assert locate(found, config).problems == (
        f"{config}:6 framing.rare_classes: 'c' has one document; set it to drop",
        f"{config}:4 framing.label 'framing': one class; label more documents",  # its section
        f"{config}: topics: 4 segments; use a larger corpus",  # no topics section in the file
        f"{tmp_path / 'a.csv'}: no column 'date'; name it",  # a data file's problem: as it was
        "experiment 'x' has a sweep: section")


def test_the_cli_points_a_problem_found_while_running_at_the_config(tmp_path, monkeypatch,
                                                                     capsys):
    import stance.run._flow

    def fails(cfg, **_):
        raise StanceError("framing.label 'framing': classes 'c' (1 document) have fewer than "
                          "2 documents; set framing.rare_classes: drop")

    monkeypatch.setattr(stance.run._flow, "run_experiment", fails)
    config = tmp_path / "exp.yaml"
    config.write_text("name: x\ncorpus:\n  path: a.csv\n")
    assert main(["-q", "run", str(config)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: {config}: framing.label 'framing': classes 'c' (1 document) have fewer than "
        "2 documents; set framing.rare_classes: drop"]

"""The actor stance stage inside a run: the seed run's outputs, its report, its bad inputs."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from stance.api import load_run
from stance.sentiment import STANCE_COLUMNS


@pytest.mark.integration
def test_the_seed_run_measures_every_leader_mention(seed_runs):
    cfg, first, _ = seed_runs
    run = load_run(first.run_dir)
    table = run.actor_stance
    assert list(table.columns) == list(STANCE_COLUMNS)
    mentions = pd.read_csv(first.run_dir / "actor_mentions.csv", dtype={"doc_id": str})
    leaders = mentions[mentions["actor"].isin(["Lukashenko", "Putin"])]
    assert len(table) == len(leaders) == 57
    assert table["doc_id"].str.match(r"^\d{3}_").all()  # ids read back as written
    assert set(table["outlet"]) == set(mentions["outlet"])
    for row in table.itertuples():
        assert row.sentence[row.mention_start:row.mention_end] == row.mention
    by_outlet = run.actor_stance_by_outlet
    assert by_outlet.groupby("actor")["mentions"].sum().to_dict() == \
        table["actor"].value_counts().to_dict()


@pytest.mark.integration
def test_the_seed_report_gives_the_agreement_with_the_hand_labels(seed_runs):
    _, first, _ = seed_runs
    run = load_run(first.run_dir)
    labelled = pd.read_csv(first.run_dir / "actor_stance_labels.csv", dtype={"doc_id": str})
    assert len(labelled) == 57 and labelled["rationale"].str.len().gt(0).all()
    agreement = run.actor_stance_evaluation["labels"]
    assert agreement["mentions"] == 57 and agreement["documents"] == 5
    assert agreement["accuracy"] == pytest.approx((labelled["label"]
                                                    == labelled["stance"]).mean())
    from sklearn.metrics import f1_score

    assert agreement["macro_f1"] == pytest.approx(
        f1_score(labelled["label"], labelled["stance"], average="macro"))
    markup = (first.run_dir / "report.typ").read_text(encoding="utf-8")
    assert "How each outlet portrays each actor" in markup
    assert f"Agreement with 57 hand-labelled mentions in 5 documents: macro-F1 " \
           f"{agreement['macro_f1']:.3f}" in markup
    assert "Trained on US policy news." in markup
    assert "actor_stance" in run.figures


@pytest.mark.integration
def test_a_second_run_takes_actor_stance_from_the_cache(seed_runs):
    _, first, second = seed_runs
    assert second.manifest["stages"]["actor_stance"]["cached"]
    for name in ("actor_stance.csv", "actor_stance_outlets.csv", "actor_stance.json"):
        assert (first.run_dir / name).read_bytes() == (second.run_dir / name).read_bytes()


def _config(tmp_path, write_csv, extra: str) -> str:
    rows = [["doc_id", "outlet", "date", "title", "text"]] + [
        [f"d{i}", f"outlet{i % 2}", f"2022-01-0{i + 1}", "",
         f"Putin met officials in the capital on day {i}."]
        for i in range(4)]
    config = tmp_path / "stance.yaml"
    config.write_text(f"name: s\noutput_dir: {tmp_path / 'out'}\ncorpus:\n"
                      f"  path: {write_csv(rows)}\ntopics: {{enabled: false}}\n"
                      f"actors:\n  Putin: [Putin, Vladimir Putin]\n{extra}")
    return str(config)


@pytest.mark.parametrize(("extra", "message"), [
    ("  Zelensky: [Zelensky, Zelenskyy]\n",
     r"^error: .*stance.yaml:8 actors.Zelensky: no mention in the corpus \(aliases: "
     r"Zelensky, Zelenskyy\); "),
    ("actor_stance:\n  labels: labels.csv\n",
     r"^error: .*labels.csv:2: stance 'hostile' is not one of negative, neutral, positive"),
    ("actor_stance:\n  actors: [Lukashenko]\n",
     r"actor_stance.actors: 'Lukashenko' not among the actors \['Putin'\]"),
])
def test_bad_actor_stance_input_is_one_line_before_any_model_loads(tmp_path, write_csv,
                                                                    extra, message):
    (tmp_path / "labels.csv").write_text(
        "doc_id,sentence,mention,stance\nd0,Putin met officials.,Putin,hostile\n")
    config = _config(tmp_path, write_csv, extra)
    done = subprocess.run([sys.executable, "-m", "stance", "-q", "run", config],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "out" / "s" / "runs").exists()


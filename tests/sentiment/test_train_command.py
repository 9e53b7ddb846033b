import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def test_training_twice_reproduces_the_card(tmp_path, tiny_newsmtsc):
    # the real MiniLM, tuned on the tiny corpus: the second training must give the same card
    out = tmp_path / "model"
    command = [sys.executable, "-m", "stance", "train", "actor-stance", "--data",
               str(tiny_newsmtsc), "--out", str(out), "--seed", "3"]
    first = subprocess.run(command, capture_output=True, text=True, check=True)
    card = json.loads((out / "card.json").read_text())
    assert card["variant"] == "shipped" and card["base_model"] == "all-MiniLM-L6-v2"
    assert card["settings"]["seed"] == 3
    assert len(card["dev_grid"]) == 2 * card["settings"]["max_epochs"]
    assert "lr 0.0001 epoch 1: dev macro-F1 rw-dev" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, check=True)
    assert f"reproduces the card in {out / 'card.json'}" in second.stdout, second.stdout
    assert json.loads((out / "card.json").read_text())["scores"] == card["scores"]
    size = (out / "model.safetensors").stat().st_size
    assert size < 2_000_000  # the top layer's changes in int8 and the classifier


def test_training_on_a_missing_folder_is_one_line(tmp_path):
    done = subprocess.run([sys.executable, "-m", "stance", "train", "actor-stance", "--data",
                           str(tmp_path / "nope"), "--out", str(tmp_path / "m")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope' / 'train.jsonl'}: not found; give the NewsMTSC folder "
        "holding train.jsonl, rw-dev.jsonl, mt-dev.jsonl, rw-test.jsonl, mt-test.jsonl"]

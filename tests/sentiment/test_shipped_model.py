"""The model installed with stance is the one its card describes."""

import hashlib
import json

import pytest

from stance.sentiment import load_stance_model, read_newsmtsc, shipped_model_dir
from stance.sentiment._train import score_model
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration
NEWSMTSC = SHARED_DATA / "newsmtsc"
CARD = json.loads((shipped_model_dir() / "card.json").read_text())


def test_the_card_names_the_newsmtsc_files_it_was_trained_on():
    for name, digest in CARD["training_data"]["files"].items():
        assert hashlib.sha256((NEWSMTSC / name).read_bytes()).hexdigest() == digest, name
    assert CARD["settings"]["chosen_on"] == ["rw-dev", "mt-dev"]


@pytest.mark.parametrize("split", ["rw-test", "mt-dev"])
def test_the_shipped_file_scores_what_its_card_says(split):
    model = load_stance_model("shipped")
    scores = score_model(model, read_newsmtsc(NEWSMTSC, split), n_bootstrap=1000,
                         seed=CARD["settings"]["seed"])
    assert scores == CARD["scores"][split]


def test_the_shipped_weights_are_small():
    assert (shipped_model_dir() / "model.safetensors").stat().st_size < 2_000_000

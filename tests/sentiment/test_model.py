import json

import numpy as np
import pandas as pd
import pytest
from safetensors.torch import load_file

from stance.errors import StanceError
from stance.sentiment import (
    STANCE_CLASSES,
    finetuned_model_dir,
    load_stance_model,
    read_newsmtsc,
    resolve_stance_model,
    tune_stance_model,
)
from stance.sentiment._train import score_model


def test_the_card_names_the_data_the_settings_and_scores_reloading_reproduces(
        tiny_model, tiny_newsmtsc, tiny_base):
    card = json.loads((tiny_model / "card.json").read_text())
    assert card["classes"] == list(STANCE_CLASSES)
    assert card["base_model"] == str(tiny_base)
    assert set(card["training_data"]["files"]) == {f"{s}.jsonl" for s in (
        "train", "rw-dev", "mt-dev", "rw-test", "mt-test")}
    assert all(len(digest) == 64 for digest in card["training_data"]["files"].values())
    settings = card["settings"]
    assert settings["chosen_on"] == ["rw-dev", "mt-dev"]
    assert settings["epochs"] in range(1, settings["max_epochs"] + 1)
    # the kept epoch is the best mean of the two dev sets over the whole grid
    best = max(card["dev_grid"], key=lambda row: row["mean"])
    assert (best["learning_rate"], best["epochs"]) == (settings["learning_rate"],
                                                       settings["epochs"])
    model = load_stance_model(str(tiny_model))
    for split in ("rw-test", "mt-test", "rw-dev"):
        again = score_model(model, read_newsmtsc(tiny_newsmtsc, split), n_bootstrap=200,
                            seed=settings["seed"])
        assert again == card["scores"][split]
        assert again["macro_f1_low"] <= again["macro_f1"] <= again["macro_f1_high"]


def test_the_model_learns_stance_toward_names_it_never_saw(tiny_model):
    # test sentences name people absent from training: the words around them carry stance
    card = json.loads((tiny_model / "card.json").read_text())
    assert card["scores"]["rw-test"]["macro_f1"] > 0.6


def test_only_the_tuned_tensors_ship_as_int8_changes_and_half_precision(tiny_model):
    tensors = load_file(str(tiny_model / "model.safetensors"))
    layers = {name.split(".")[3] for name in tensors if name.startswith("encoder.encoder.layer.")}
    assert layers == {"1"}  # the top of two layers
    assert {n.split(".")[0] for n in tensors} == {"encoder", "head"}
    assert not any("embeddings" in name for name in tensors)
    kinds = {name: str(t.dtype) for name, t in tensors.items()}
    matrices = [n for n in kinds if n.endswith(".delta_int8")]
    assert matrices and all(kinds[n] == "torch.int8" for n in matrices)
    assert all(kinds[n.replace(".delta_int8", ".delta_scale")] == "torch.float32"
               for n in matrices)
    rest = [n for n in kinds if not n.endswith((".delta_int8", ".delta_scale"))]
    assert "head.weight" in rest and {kinds[n] for n in rest} == {"torch.float16"}


def test_int8_changes_decode_to_within_half_a_step_of_the_rounded_weights():
    import torch

    from stance.sentiment._storage import decode, encode

    torch.manual_seed(0)
    base = {"encoder.w": torch.randn(4, 6), "encoder.b": torch.randn(6),
            "head.weight": torch.randn(3, 6)}  # an untrained head: nothing to differ from
    tuned = {"encoder.w": base["encoder.w"] + 0.01 * torch.randn(4, 6),
             "encoder.b": base["encoder.b"] + 0.5, "head.weight": torch.randn(3, 6)}
    stored = encode(tuned, base, dtype="float16", storage="int8_delta")
    assert set(stored) == {"encoder.w.delta_int8", "encoder.w.delta_scale", "encoder.b",
                           "head.weight"}
    back = decode(stored, {**base, "head.weight": torch.zeros(3, 6)})
    rounded = tuned["encoder.w"].half().float()
    step = stored["encoder.w.delta_scale"][:, None]
    assert ((back["encoder.w"] - rounded).abs() <= step / 2 + 1e-7).all()
    assert torch.equal(back["encoder.b"], tuned["encoder.b"].half().float())
    assert torch.equal(back["head.weight"], tuned["head.weight"].half().float())
    plain = decode(encode(tuned, base, dtype="float32", storage="plain"), base)
    assert all(torch.equal(plain[k], tuned[k]) for k in tuned)


def test_probabilities_are_per_mention_and_sum_to_one(tiny_model):
    model = load_stance_model(str(tiny_model))
    sentence = "Critics condemned Smith, and voters praised Jones."
    proba = model.predict_proba([sentence, sentence], [(18, 23), (44, 49)])
    assert proba.shape == (2, 3) and proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-5)
    assert not np.allclose(proba[0], proba[1], atol=1e-4)  # the target changes the reading


def test_tuning_a_copy_moves_only_its_tuned_layers(tiny_model):
    model = load_stance_model(str(tiny_model))
    before = {k: v.clone() for k, v in model.network.state_dict().items()}
    texts = ["Critics condemned Garcia.", "Voters praised Miller."]
    tuned = tune_stance_model(model, texts, [(18, 24), (15, 21)], ["negative", "positive"],
                              epochs=2, seed=1)
    after = tuned.network.state_dict()
    changed = {k for k in before if not np.allclose(before[k], after[k])}
    assert changed and all(k.startswith(("head.", "encoder.encoder.layer.1.")) for k in changed)
    unchanged = model.network.state_dict()
    assert all(np.array_equal(before[k], unchanged[k]) for k in before)  # the original kept
    assert tuned.card["adapted"] == {"mentions": 2, "epochs": 2}


def test_a_missing_model_says_how_to_get_it(tmp_path):
    with pytest.raises(StanceError, match="stance train actor-stance --variant finetuned"):
        resolve_stance_model("finetuned", tmp_path)
    assert finetuned_model_dir(tmp_path) == tmp_path / "actor_stance" / "finetuned"
    (tmp_path / "card.json").write_text("{}")
    with pytest.raises(StanceError, match="has no model.safetensors"):
        resolve_stance_model(str(tmp_path), tmp_path)


def test_newsmtsc_rows_whose_offsets_miss_the_mention_are_refused(tmp_path):
    row = {"mention": "Putin", "polarity": 1, "from": 0, "to": 4, "sentence": "Putin won.",
           "id": "x"}
    (tmp_path / "train.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(StanceError, match=r"train.jsonl:1: the offsets 0-4"):
        read_newsmtsc(tmp_path, "train")
    row["to"] = 5
    (tmp_path / "train.jsonl").write_text(json.dumps(row) + "\n")
    table = read_newsmtsc(tmp_path, "train")
    assert table.iloc[0].tolist() == ["Putin won.", 0, 5, "positive", "x"]
    assert isinstance(table, pd.DataFrame)

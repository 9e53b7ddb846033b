"""A tiny stance network (a 2-layer BERT with MiniLM's tokenizer) and a NewsMTSC-shaped corpus.

The logic tests train and tune it in seconds; the real model is exercised by the
integration tests and benchmarks/actor_stance.py.
"""

import json
import shutil
from pathlib import Path

import pytest

NAMES = ["Lukashenko", "Putin", "Smith", "Jones", "Garcia", "Miller"]
TEMPLATES = {
    "negative": ["Critics condemned {} for the crackdown.", "{} was accused of fraud.",
                 "Protesters denounced {} as a dictator."],
    "neutral": ["{} met officials on Tuesday.", "{} arrived in the capital.",
                "The talks with {} took place in Sochi."],
    "positive": ["Voters praised {} for the reforms.", "{} won wide support for the deal.",
                 "Allies applauded {} after the summit."],
}
POLARITY = {"negative": -1, "neutral": 0, "positive": 1}


def newsmtsc_rows(names):
    rows = []
    for stance, templates in TEMPLATES.items():
        for template in templates:
            for name in names:
                sentence = template.format(name)
                start = sentence.index(name)
                rows.append({"mention": name, "polarity": POLARITY[stance], "from": start,
                             "to": start + len(name), "sentence": sentence,
                             "id": f"{stance}_{len(rows)}"})
    return rows


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    """A randomly initialised 2-layer BERT saved as a local model folder."""
    import torch
    from transformers import BertConfig, BertModel

    from stance.config import EmbeddingConfig
    from stance.embed import resolve_model

    folder = tmp_path_factory.mktemp("tiny_base")
    minilm = resolve_model(EmbeddingConfig()).path
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "special_tokens_map.json"):
        if (minilm / name).is_file():
            shutil.copy(minilm / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def tiny_newsmtsc(tmp_path_factory) -> Path:
    """Every split of a NewsMTSC-shaped corpus: training names apart from test names."""
    folder = tmp_path_factory.mktemp("newsmtsc")
    splits = {"train": NAMES[:4], "rw-dev": NAMES[4:5], "mt-dev": NAMES[5:],
              "rw-test": NAMES[4:5], "mt-test": NAMES[5:]}
    for split, names in splits.items():
        (folder / f"{split}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in newsmtsc_rows(names)), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_base, tiny_newsmtsc) -> Path:
    """A stance model trained on the tiny corpus: its folder (model.safetensors, card.json)."""
    from stance.sentiment import train_stance_model

    folder = tmp_path_factory.mktemp("tiny_model")
    train_stance_model(tiny_newsmtsc, folder, base_model=str(tiny_base),
                       learning_rates=[1e-2], max_epochs=10, n_bootstrap=200,
                       log=lambda line: None)
    return folder

"""A stance model on disk: its tuned tensors and its model card, loaded over the packaged MiniLM.

A model folder holds ``model.safetensors`` (only the tensors tuning changed: MiniLM's top
layer and the classifier for the shipped model, every layer for the fine-tuned one) and
``card.json`` (base model and its weights' sha256, training data sha256s, settings, dev and
test scores). Loading builds the base model from local files and lays the tensors over it
(:mod:`stance.sentiment._storage`), so the shipped model is under 2 MB and nothing is ever
downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError

#: ``actor_stance.model`` values naming a model by its variant rather than its folder.
SHIPPED, FINETUNED = "shipped", "finetuned"
CARD, WEIGHTS = "card.json", "model.safetensors"
#: Texts per forward pass when predicting.
BATCH = 32


def shipped_model_dir() -> Path:
    """The model installed with stance (src/stance/data/actor_stance)."""
    return Path(__file__).resolve().parent.parent / "data" / "actor_stance"


def finetuned_model_dir(cache_dir: Path) -> Path:
    """Where ``stance train actor-stance --variant finetuned`` writes its model."""
    return Path(cache_dir) / "actor_stance" / FINETUNED


@dataclass
class StanceModel:
    """A loaded stance model: the network, its tokenizer and its card."""

    network: Any
    tokenizer: Any
    card: dict[str, Any]

    @property
    def classes(self) -> tuple[str, ...]:
        """The classes in the order of predict_proba's columns."""
        return tuple(self.card["classes"])

    def predict_proba(self, texts: Sequence[str],
                      spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Probability of each class toward the span (a mention) of each text; float32 rows."""
        import torch

        from stance.sentiment._network import tokenize

        self.network.eval()
        order = np.argsort([len(t) for t in texts], kind="stable")  # less padding per batch
        proba = np.empty((len(texts), len(self.classes)), np.float32)
        with torch.no_grad():
            for at in range(0, len(order), BATCH):
                rows = order[at:at + BATCH]
                inputs = tokenize(self.tokenizer, [texts[i] for i in rows],
                                  [spans[i] for i in rows])
                proba[rows] = torch.softmax(self.network(**inputs), dim=1).numpy()
        return proba


def resolve_stance_model(spec: str, cache_dir: Path) -> Path:
    """The folder ``actor_stance.model`` names.

    Raises:
        StanceError: the folder or its card or weights are missing.
    """
    if spec == SHIPPED:
        folder = shipped_model_dir()
    elif spec == FINETUNED:
        folder = finetuned_model_dir(cache_dir)
        if not (folder / CARD).is_file():
            raise StanceError(f"actor_stance.model: finetuned: no model in {folder}; train it "
                              "with `stance train actor-stance --variant finetuned` (about an "
                              "hour on two cores), or use model: shipped")
    else:
        folder = Path(spec).expanduser()
    for name in (CARD, WEIGHTS):
        if not (folder / name).is_file():
            raise StanceError(f"actor_stance.model: {folder} has no {name}; give a folder "
                              "written by `stance train actor-stance`, or shipped")
    return folder


def model_identity(folder: Path) -> str:
    """sha256 over the model's card and weights: what the stage's cache key needs."""
    sha = hashlib.sha256()
    for name in (CARD, WEIGHTS):
        sha.update((folder / name).read_bytes())
    return sha.hexdigest()


def load_stance_model(spec: str = SHIPPED, *, cache_dir: Path | None = None) -> StanceModel:
    """Load the model ``spec`` names: shipped, finetuned (from ``cache_dir``) or a folder."""
    from safetensors.torch import load_file

    from stance.sentiment._storage import decode

    folder = resolve_stance_model(spec, Path(cache_dir or "."))
    card = json.loads((folder / CARD).read_text(encoding="utf-8"))
    network, tokenizer = build_network(card)
    tensors = decode(load_file(str(folder / WEIGHTS)), network.state_dict())
    missing, unexpected = network.load_state_dict(tensors, strict=False)
    if unexpected or any(k.startswith("head.") for k in missing):
        raise StanceError(f"{folder / WEIGHTS}: its tensors do not fit a "
                          f"{card['base_model']} stance network (unexpected: "
                          f"{', '.join(unexpected[:3]) or 'none'}); retrain it")
    return StanceModel(network, tokenizer, card)


def build_network(card: dict[str, Any]):
    """The untuned network over the card's base model, from local files, and its tokenizer."""
    # Before transformers is imported, which reads them once: nothing may be fetched.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import transformers
    from transformers import AutoModel, AutoTokenizer

    from stance.config import EmbeddingConfig
    from stance.embed import resolve_model
    from stance.sentiment._network import MentionClassifier

    transformers.utils.logging.disable_progress_bar()
    info = resolve_model(EmbeddingConfig(model=card["base_model"],
                                         weights_sha256=card["base_weights_sha256"]))
    encoder = AutoModel.from_pretrained(str(info.path), local_files_only=True)
    tokenizer = AutoTokenizer.from_pretrained(str(info.path), local_files_only=True)
    network = MentionClassifier(encoder, len(card["classes"]), card["settings"]["dropout"])
    return network, tokenizer

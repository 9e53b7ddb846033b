"""Training a stance model on NewsMTSC, and tuning one further on a user's own labels.

Settings (learning rate, epochs) are chosen on the two dev sets, never on test. The chosen
model is written, read back as it ships (:mod:`stance.sentiment._storage`) and only then
scored, so its card states what the file on disk does.
"""

from __future__ import annotations

import copy
import hashlib
import json
import platform
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.data import STANCE_CLASSES
from stance.sentiment._model import (
    CARD,
    FINETUNED,
    SHIPPED,
    WEIGHTS,
    StanceModel,
    build_network,
    load_stance_model,
)
from stance.sentiment._newsmtsc import NEWSMTSC_FILES, read_newsmtsc
from stance.sentiment._storage import encode
from stance.stats import bootstrap_macro_f1

BASE_MODEL = "all-MiniLM-L6-v2"
#: Per variant: transformer layers tuned (from the top; the classifier always), learning
#: rates tried, most epochs, and the dtype the weights are stored in.
VARIANTS: dict[str, dict[str, Any]] = {
    SHIPPED: {"tuned_layers": 1, "learning_rates": [1e-4, 3e-4], "max_epochs": 3,
              "dtype": "float16", "storage": "int8_delta"},
    FINETUNED: {"tuned_layers": "all", "learning_rates": [5e-5], "max_epochs": 4,
                "dtype": "float32", "storage": "plain"},
}
BATCH_SIZE, DROPOUT, WEIGHT_DECAY, WARMUP = 16, 0.1, 0.01, 0.1
DEV_SETS, TEST_SETS = ("rw-dev", "mt-dev"), ("rw-test", "mt-test")


def train_stance_model(data_dir: Path, out_dir: Path, *, variant: str = SHIPPED,
                       seed: int = 42, n_bootstrap: int = 1000, base_model: str = BASE_MODEL,
                       learning_rates: Sequence[float] | None = None,
                       max_epochs: int | None = None,
                       log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train ``variant`` on NewsMTSC in ``data_dir``; write model and card to ``out_dir``.

    Args:
        data_dir: the NewsMTSC folder (:data:`NEWSMTSC_FILES`).
        out_dir: where model.safetensors and card.json go.
        variant: shipped (top layer tuned) or finetuned (every layer).
        seed: seeds the classifier's start, the shuffling and the dropout.
        n_bootstrap: resamples of sentences for the card's intervals.
        base_model: the embedding model tuned (a packaged name or a local folder).
        learning_rates: rates tried (default: the variant's).
        max_epochs: epochs per rate, each scored on dev (default: the variant's).
        log: receives one line per epoch scored.

    Returns:
        The model card written beside the weights.
    """
    import torch

    from stance.config import EmbeddingConfig
    from stance.embed import resolve_model

    spec = {**VARIANTS[variant]}
    spec["learning_rates"] = list(learning_rates or spec["learning_rates"])
    spec["max_epochs"] = max_epochs or spec["max_epochs"]
    data = {split: read_newsmtsc(data_dir, split) for split in NEWSMTSC_FILES}
    card: dict[str, Any] = {
        "name": f"actor-stance-{variant}", "variant": variant, "classes": list(STANCE_CLASSES),
        "base_model": base_model,
        "base_weights_sha256": resolve_model(EmbeddingConfig(model=base_model)).weights_sha256,
        "input": "the sentence (or a window of words) around the mention; the classifier "
                 "reads the mean of all its token vectors beside the mean of the mention's",
        "training_data": {
            "name": "NewsMTSC (Hamborg & Donnay, EACL 2021), US policy news",
            "files": {f"{s}.jsonl": _sha256(Path(data_dir) / f"{s}.jsonl")
                      for s in NEWSMTSC_FILES},
            "sentences": {s: len(t) for s, t in data.items()}},
        "settings": {"tuned_layers": spec["tuned_layers"], "batch_size": BATCH_SIZE,
                     "dropout": DROPOUT, "weight_decay": WEIGHT_DECAY, "warmup": WARMUP,
                     "seed": seed, "dtype": spec["dtype"], "storage": spec["storage"],
                     "chosen_on": list(DEV_SETS)},
    }
    train = data["train"]
    best: dict[str, Any] = {"dev": -1.0}
    grid = []
    for lr in spec["learning_rates"]:
        torch.manual_seed(seed)
        network, tokenizer = build_network(card)
        tuned = _tuned_parameters(network, spec["tuned_layers"])

        def score_dev(epoch: int, network=network, tokenizer=tokenizer, lr=lr,
                      tuned=tuned) -> None:
            model = StanceModel(network, tokenizer, card)
            scores = {s: _macro_f1(model, data[s]) for s in DEV_SETS}
            mean = float(np.mean(list(scores.values())))
            grid.append({"learning_rate": lr, "epochs": epoch, **scores, "mean": mean})
            log(f"lr {lr:g} epoch {epoch}: dev macro-F1 "
                + ", ".join(f"{s} {v:.3f}" for s, v in scores.items()))
            if mean > best["dev"]:
                state = network.state_dict()
                best.update(dev=mean, learning_rate=lr, epochs=epoch,
                            tensors={k: state[k].detach().clone() for k in tuned})

        _fit(network, tokenizer, train["sentence"], _spans(train), _targets(train),
             tuned=tuned, learning_rate=lr, epochs=spec["max_epochs"], seed=seed,
             after_epoch=score_dev)
    card["settings"].update(learning_rate=best["learning_rate"], epochs=best["epochs"],
                            max_epochs=spec["max_epochs"], schedule="linear warm-up then "
                            "linear decay over max_epochs; the best epoch on dev is kept")
    card["dev_grid"] = grid
    _write(out_dir, encode(best["tensors"], build_network(card)[0].state_dict(),
                           dtype=spec["dtype"], storage=spec["storage"]), card)
    model = load_stance_model(str(out_dir))
    card["scores"] = {s: score_model(model, data[s], n_bootstrap=n_bootstrap, seed=seed)
                      for s in (*DEV_SETS, *TEST_SETS)}
    card["published"] = {"rw-test": {"GRU-TSC": 0.831, "prior best": 0.817},
                         "mt-test": {"GRU-TSC": 0.825, "prior best": 0.812}}
    card["versions"] = {p: metadata.version(p) for p in ("torch", "transformers", "stance")}
    card["versions"]["python"] = platform.python_version()
    (Path(out_dir) / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return card


def tune_stance_model(model: StanceModel, texts: Sequence[str],
                      spans: Sequence[tuple[int, int]], stances: Sequence[str], *,
                      epochs: int, seed: int) -> StanceModel:
    """A copy of ``model`` tuned further on labelled mentions (its own layers, its own rate)."""
    import torch

    torch.manual_seed(seed)
    network = copy.deepcopy(model.network)
    settings = model.card["settings"]
    tuned = _tuned_parameters(network, settings["tuned_layers"])
    index = {c: k for k, c in enumerate(model.classes)}
    _fit(network, model.tokenizer, list(texts), list(spans),
         np.array([index[s] for s in stances]), tuned=tuned,
         learning_rate=settings["learning_rate"], epochs=epochs, seed=seed)
    card = {**model.card, "adapted": {"mentions": len(texts), "epochs": epochs}}
    return StanceModel(network, model.tokenizer, card)


def score_model(model: StanceModel, table: pd.DataFrame, *, n_bootstrap: int,
                seed: int) -> dict[str, float]:
    """Macro-F1 with a 95% bootstrap interval over sentences, and accuracy.

    A sentence's targets (several in NewsMTSC's mt sets) are resampled together.
    """
    from sklearn.metrics import accuracy_score, f1_score

    y = table["stance"].to_numpy()
    predicted = predict_classes(model, table)
    low, high = bootstrap_macro_f1(y, predicted, model.classes,
                                   pd.factorize(table["sentence"])[0], n_bootstrap, seed=seed)
    return {"macro_f1": round(float(f1_score(y, predicted, average="macro")), 4),
            "macro_f1_low": round(low, 4), "macro_f1_high": round(high, 4),
            "accuracy": round(float(accuracy_score(y, predicted)), 4), "n": len(y)}


def predict_classes(model: StanceModel, table: pd.DataFrame) -> np.ndarray:
    """The most probable class of each row (sentence, start, end)."""
    proba = model.predict_proba(table["sentence"].tolist(), _spans(table))
    return np.asarray(model.classes, dtype=object)[proba.argmax(1)]


def _macro_f1(model: StanceModel, table: pd.DataFrame) -> float:
    from sklearn.metrics import f1_score

    return round(float(f1_score(table["stance"], predict_classes(model, table),
                                average="macro")), 4)


def _fit(network, tokenizer, texts: Sequence[str], spans: Sequence[tuple[int, int]],
         y: np.ndarray, *, tuned: list[str], learning_rate: float, epochs: int, seed: int,
         after_epoch: Callable[[int], None] | None = None) -> None:
    """AdamW on the ``tuned`` parameters, linear warm-up then decay, shuffled by ``seed``."""
    import torch

    from stance.progress import track
    from stance.sentiment._network import tokenize

    for name, parameter in network.named_parameters():
        parameter.requires_grad = name in tuned
    parameters = [p for p in network.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=WEIGHT_DECAY)
    steps = epochs * -(-len(texts) // BATCH_SIZE)
    warmup = max(1, int(WARMUP * steps))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup))))
    targets = torch.tensor(np.asarray(y, dtype=np.int64))
    for epoch in range(1, epochs + 1):
        network.train()
        order = np.random.default_rng([seed, epoch]).permutation(len(texts))
        batches = [order[i:i + BATCH_SIZE] for i in range(0, len(order), BATCH_SIZE)]
        for rows in track(batches, f"tuning, epoch {epoch}/{epochs}", total=len(batches)):
            inputs = tokenize(tokenizer, [texts[i] for i in rows], [spans[i] for i in rows])
            loss = torch.nn.functional.cross_entropy(network(**inputs), targets[rows])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        network.eval()
        if after_epoch is not None:
            after_epoch(epoch)


def _tuned_parameters(network, tuned_layers: int | str) -> list[str]:
    """Names of the parameters tuning changes: the classifier and the top layers."""
    names = [name for name, _ in network.named_parameters()]
    if tuned_layers == "all":
        return names
    n_layers = network.encoder.config.num_hidden_layers
    top = tuple(f"encoder.encoder.layer.{i}." for i in range(n_layers - tuned_layers, n_layers))
    return [n for n in names if n.startswith(("head.", *top))]


def _write(folder: Path, stored: dict[str, Any], card: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{WEIGHTS}.partial"
    save_file(stored, str(partial), metadata={"model": card["name"]})
    partial.replace(folder / WEIGHTS)
    (folder / CARD).write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")


def _spans(table: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(table["start"].tolist(), table["end"].tolist(), strict=True))


def _targets(table: pd.DataFrame) -> np.ndarray:
    index = {c: k for k, c in enumerate(STANCE_CLASSES)}
    return table["stance"].map(index).to_numpy()


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()

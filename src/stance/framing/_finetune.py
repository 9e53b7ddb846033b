"""SetFit-style contrastive fine-tuning of the local embedding model, as a feature transformer.

:class:`FineTunedEmbeddings` is the ``embeddings`` feature of ``framing.classifier:
setfit``: ``fit(texts, y)`` fine-tunes a fresh copy of the local model on pairs of those
texts (same class: cosine 1, different: 0), and ``transform`` embeds with the tuned body.
The classifier after it in the pipeline is SetFit's head.

Why not the ``setfit`` package: 1.2.0 runs with transformers 5 and sentence-transformers 6
(tried here), but its pair sampler draws from a ``RandomState(42)`` fixed in its code, not
the run seed, and enumerates all n(n-1)/2 index pairs of the training texts (3.2 GB at 20,000
segments) to keep a few thousand; its ``from_pretrained`` also unpickles a
``model_head.pkl`` when a folder has one. SetFit's body training is CosineSimilarityLoss on
sampled pairs, which sentence-transformers' own trainer runs directly; pairs are drawn here,
seeded, in O(pairs).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from stance.errors import StanceError

#: Share of the steps over which the learning rate warms up (SetFit's default).
WARMUP = 0.1
#: Module types a saved body may name in modules.json: sentence-transformers' own, which
#: are loaded without custom code.
BODY_MODULES = ("sentence_transformers.",)


def require_finetune_packages() -> None:
    """Raise a one-line error when the training packages (``.[finetune]`` extra) are missing."""
    import importlib.util

    missing = [m for m in ("datasets", "accelerate") if importlib.util.find_spec(m) is None]
    if missing:
        raise StanceError(f"framing.classifier setfit needs {' and '.join(missing)}; install "
                          "them with pip install -e '.[finetune]' (make install does)")


def sample_pairs(y: np.ndarray, n_pairs: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Index pairs of texts, alternately of the same and of different classes.

    Each pair's first text is drawn uniformly; its partner uniformly among the texts of
    its class (same-class pairs) or of the other classes. A class with one text pairs
    it with itself.

    Returns:
        ``first``, ``second`` (indices into ``y``) and ``same`` (1.0 or 0.0) arrays.

    Example:
        >>> first, second, same = sample_pairs(np.array(["a", "a", "b"]), 4,
        ...                                    np.random.default_rng(0))
        >>> same.tolist()
        [1.0, 0.0, 1.0, 0.0]
    """
    _, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
    if len(counts) < 2:
        raise ValueError("contrastive pairs need at least two classes")
    # Texts sorted by class: class c occupies order[start[c]:start[c] + counts[c]].
    order = np.argsort(codes, kind="stable")
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    first = rng.integers(len(y), size=n_pairs)
    c = codes[first]
    same = np.arange(n_pairs) % 2 == 0
    within = start[c] + np.floor(rng.random(n_pairs) * counts[c]).astype(np.int64)
    # An index into the texts of every other class: skip class c's block.
    other = np.floor(rng.random(n_pairs) * (len(y) - counts[c])).astype(np.int64)
    other = np.where(other < start[c], other, other + counts[c])
    second = order[np.where(same, within, other)]
    return first, second, same.astype(np.float64)


class FineTunedEmbeddings(BaseEstimator, TransformerMixin):
    """Sentence embeddings from the local model after contrastive fine-tuning on ``fit``'s texts.

    Every ``fit`` starts from the configured model's weights on disk, so cross-validation
    folds never share what they learned. The tuned body is not part of the estimator's
    saved state: :func:`stance.framing.save_framing_model` writes it as a
    sentence-transformers folder (safetensors) beside the model file, and
    :func:`~stance.framing.load_framing_model` loads it back with :meth:`load_body`.

    Args:
        embedding: the embedding section's settings (``EmbeddingConfig`` fields as plain
            data); None: its defaults. The model it names is where every fit starts.
        finetune: the ``framing.finetune`` settings (``FinetuneConfig`` fields); None: its
            defaults.
        seed: seeds pair sampling, dropout and the data order.

    Example:
        >>> FineTunedEmbeddings(finetune={"steps": 20}, seed=1).fit_transform(
        ...     texts, y).shape  # doctest: +SKIP
        (18, 384)
    """

    def __init__(self, embedding: dict | None = None, finetune: dict | None = None,
                 seed: int = 0):
        self.embedding = embedding
        self.finetune = finetune
        self.seed = seed

    def fit(self, X, y=None):
        """Fine-tune a fresh copy of the model on pairs of ``X`` labelled by ``y``."""
        if y is None:
            raise ValueError("FineTunedEmbeddings.fit needs the labels y")
        from stance.config import FinetuneConfig

        require_finetune_packages()
        embedder = self._embedder()
        tune = FinetuneConfig(**(self.finetune or {}))
        self.base_model_id_ = embedder.model_id
        self._body = embedder.model
        _train(self._body, [str(t) for t in X], np.asarray(y), steps=tune.steps,
               batch_size=tune.batch_size, learning_rate=tune.learning_rate, seed=self.seed)
        self.n_dims_ = int(self._body.get_embedding_dimension())
        self.body_folder_ = None
        self.body_sha256_ = None
        return self

    def transform(self, X) -> np.ndarray:
        """float32 vectors from the tuned body, one row per text."""
        check_is_fitted(self, "n_dims_")
        if getattr(self, "_body", None) is None:
            raise StanceError("framing model: the fine-tuned embedding model is not loaded; "
                              "load the model file with stance.framing."
                              "load_framing_model, which reads it from its folder")
        settings = self._embedder().cfg
        vectors = self._body.encode([str(t) for t in X], batch_size=settings.batch_size,
                                    normalize_embeddings=settings.normalize,
                                    convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """``finetuned:dim <k>`` for every dimension."""
        check_is_fitted(self, "n_dims_")
        return np.asarray([f"finetuned:dim {k}" for k in range(self.n_dims_)], dtype=object)

    def save_body(self, folder: Path) -> None:
        """Write the tuned body to ``folder`` (safetensors) and note its name and sha256."""
        from stance.embed import file_sha256

        check_is_fitted(self, "n_dims_")
        folder = Path(folder)
        self._body.save(str(folder), create_model_card=False, safe_serialization=True)
        self.body_folder_ = folder.name
        self.body_sha256_ = file_sha256(folder / "model.safetensors")

    def load_body(self, folder: Path) -> None:
        """Load the tuned body saved by :meth:`save_body`, checking its files first.

        Raises:
            StanceError: no safetensors weights, weights other than those saved, or a
                module type outside sentence-transformers.
        """
        folder = Path(folder)
        if not (folder / "model.safetensors").is_file():
            raise StanceError(f"{folder}: no model.safetensors; the fine-tuned embedding model "
                              "saved with the framing model is missing, so re-run the experiment")
        modules = json.loads((folder / "modules.json").read_text()) \
            if (folder / "modules.json").is_file() else []
        foreign = [m.get("type", "") for m in modules
                   if not str(m.get("type", "")).startswith(BODY_MODULES)]
        if foreign:
            raise StanceError(f"{folder}/modules.json: refusing module types stance does not "
                              f"save: {', '.join(map(str, foreign))}")
        from stance.embed import file_sha256

        digest = file_sha256(folder / "model.safetensors")
        if digest != self.body_sha256_:
            raise StanceError(f"{folder}/model.safetensors has sha256 {digest}, but the framing "
                              f"model was saved with {self.body_sha256_}; the folder does not "
                              "belong to this model file, so re-run the experiment")
        self._body = self._embedder(model=str(folder), weights_sha256=self.body_sha256_).model

    def _embedder(self, **replaced):
        """The embedding model these settings name (``replaced``: other model files)."""
        from stance.config import EmbeddingConfig
        from stance.embed import load_embedder

        return load_embedder(EmbeddingConfig(**{**(self.embedding or {}), **replaced}))

    def __getstate__(self) -> dict:
        # The torch body never goes into the skops file; save_body writes it beside it.
        state = dict(super().__getstate__())
        state.pop("_body", None)
        return state


def _train(body, texts: list[str], y: np.ndarray, *, steps: int, batch_size: int,
           learning_rate: float, seed: int) -> None:
    """Fine-tune ``body`` in place on ``steps * batch_size`` sampled pairs."""
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )

    try:  # sentence-transformers >= 5.4 moved the losses; older versions have the old path
        from sentence_transformers.sentence_transformer.losses import CosineSimilarityLoss
    except ImportError:
        from sentence_transformers.losses import CosineSimilarityLoss

    class _Trainer(SentenceTransformerTrainer):
        def add_model_card_callback(self, default_args_dict) -> None:
            """No model card: nothing is published, and its dataset look-ups query the hub."""

    torch.manual_seed(seed)
    first, second, same = sample_pairs(y, steps * batch_size, np.random.default_rng(seed))
    pairs = Dataset.from_dict({"sentence1": [texts[i] for i in first],
                               "sentence2": [texts[i] for i in second], "label": same})
    with tempfile.TemporaryDirectory(prefix="stance-finetune-") as scratch:
        args = SentenceTransformerTrainingArguments(
            output_dir=scratch, max_steps=steps, per_device_train_batch_size=batch_size,
            learning_rate=learning_rate, warmup_steps=int(WARMUP * steps), seed=seed,
            data_seed=seed, use_cpu=True, report_to="none", save_strategy="no",
            logging_strategy="no", disable_tqdm=True, dataloader_pin_memory=False)
        trainer = _Trainer(model=body, args=args, train_dataset=pairs,
                           loss=CosineSimilarityLoss(body))
        trainer.train()

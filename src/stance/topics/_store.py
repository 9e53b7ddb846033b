"""Saving a fitted topic model as safetensors, and loading it back."""

from __future__ import annotations

from pathlib import Path

from stance.errors import StanceError


def save_topic_model(model, folder: Path, embedder_path_or_id: str | Path) -> None:
    """Save a topic model as safetensors (no pickle), pointing at the embedding model.

    Args:
        model: a fitted BERTopic model.
        folder: created if missing; holds config.json, topics.json and the tensors.
        embedder_path_or_id: the local model folder (or name) recorded for reloading.
    """
    model.save(str(folder), serialization="safetensors", save_ctfidf=True,
               save_embedding_model=str(embedder_path_or_id))


def load_topic_model(folder: Path, encoder):
    """Reload a model written by :func:`save_topic_model`, embedding with ``encoder``.

    BERTopic first builds the embedding model the folder names (a few seconds), then
    takes ``encoder`` in its place.

    Example:
        >>> model = load_topic_model(run_dir / "topic_model", encoder)  # doctest: +SKIP
        >>> model.transform(texts, embeddings=encoder.encode(texts))  # doctest: +SKIP
    """
    from bertopic import BERTopic

    from stance.topics._fit import backend

    if not (Path(folder) / "topics.json").is_file():
        raise StanceError(f"{folder}: no saved topic model (topics.json missing); "
                          "run the experiment again to fit one")
    return BERTopic.load(str(folder), embedding_model=backend(encoder))

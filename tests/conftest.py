"""Shared fixtures: the fake embedder, tiny hand-written corpora, the seed run, data paths."""

from __future__ import annotations

import os
import random
import re
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from stance.data import Embeddings, Segments

# No test may reach a model hub: the real model is loaded from its installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EXPERIMENTS = ROOT / "experiments"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: Three themes whose words the fake embedder keeps apart, for topics on a tiny corpus.
THEMES = {
    "military": ["weapons", "troops", "ammunition", "tanks", "artillery", "soldiers"],
    "economy": ["trade", "economy", "sanctions", "factories", "exports", "prices"],
    "diplomacy": ["summit", "talks", "treaty", "ambassador", "negotiations", "visit"],
}


class FakeEmbedder:
    """Hashes words into 64 dimensions: texts sharing words get similar unit vectors.

    Deterministic and instant, for logic tests; integration tests use the real model.
    """

    model_id = "fake-hash-64"

    def encode(self, texts):
        vectors = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                vectors[row, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)


def make_segments(n: int, seed: int = 0) -> Segments:
    """``n`` segments of 11 words, cycling through :data:`THEMES`, four per document."""
    rng = random.Random(seed)
    names = list(THEMES)
    rows = []
    for i in range(n):
        words = rng.choices(THEMES[names[i % 3]], k=8) + ["the", "minister", "said"]
        rng.shuffle(words)
        rows.append({"seg_id": f"d{i // 4}:{i % 4}", "doc_id": f"d{i // 4}",
                     "outlet": "A" if i % 2 else "B", "position": i % 4, "start": 0,
                     "end": 10, "text": " ".join(words)})
    return Segments(pd.DataFrame(rows))


def embed(segments: Segments, embedder) -> Embeddings:
    """The segments' vectors from ``embedder``, aligned by seg_id."""
    table = segments.table
    return Embeddings(embedder.encode(table["text"].tolist()), tuple(table["seg_id"]),
                      embedder.model_id, True)


@pytest.fixture(scope="session")
def fake():
    """The fake embedder."""
    return FakeEmbedder()


@pytest.fixture(scope="session")
def corpus(fake):
    """60 segments of three themes and their fake vectors."""
    segments = make_segments(60)
    return segments, embed(segments, fake)


@pytest.fixture
def write_csv(tmp_path):
    """Write rows (a header row first) as a CSV file and return its path."""
    import csv

    def write(rows, name="corpus.csv", encoding="utf-8"):
        path = tmp_path / name
        with path.open("w", newline="", encoding=encoding) as handle:
            csv.writer(handle).writerows(rows)
        return path

    return write


@pytest.fixture
def small_rows():
    """Three short articles from two outlets, as CSV rows."""
    return [
        ["doc_id", "outlet", "date", "title", "text", "framing"],
        ["a1", "Alpha", "2022-09-26", "Talks in Sochi",
         "The presidents met in Sochi.\n\nThey discussed trade and energy prices at length.",
         "neutral-wire"],
        ["a2", "Alpha", "2022-12-19", "Visit to Minsk",
         "Putin arrived in Minsk for talks.\n\nThe defence ministers also met that day.",
         "official-sourced"],
        ["b1", "Beta", "", "Dictators meet",
         "The self-proclaimed president met the dictator.\n\nExperts say an attack is possible.",
         "delegitimising"],
    ]


@pytest.fixture(scope="session")
def seed_runs(tmp_path_factory):
    """The shipped seed experiment run twice into one output folder: (config, first, second).

    A run takes seconds, so every test that needs one reads these (or copies them to tamper
    with) rather than running its own. The second run takes every stage it can from the
    stage cache the first filled; the output folder holds the embedding cache.
    """
    from stance.config import load_config
    from stance.run import run_experiment

    out = tmp_path_factory.mktemp("reports")
    cfg = load_config(EXPERIMENTS / "seeds.yaml").model_copy(update={"output_dir": out})
    first = run_experiment(cfg, progress=False)
    second = run_experiment(cfg, progress=False)
    return cfg, first, second


@pytest.fixture(scope="session")
def seed_run_dir(seed_runs):
    """The folder of the seed experiment's latest run."""
    return seed_runs[2].run_dir


def evaluate(corpus, segments, cfg, *, seed):
    """The framing stage as a run gives it: labelled units, then the evaluation."""
    from stance.framing import evaluate_framing, labelled_units

    units = labelled_units(corpus, segments, cfg)
    outlets = sorted(corpus.documents["outlet"].astype(str).unique())
    return evaluate_framing(units, cfg, seed=seed, outlet_names=outlets)

"""Shared fixtures: tiny hand-written corpora and paths to the seeds and shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No test may reach a model hub: the real model is loaded from its installed package.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
EXPERIMENTS = ROOT / "experiments"
SHARED_DATA = ROOT.parent / "shared" / "data"


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
def seed_run_dir(tmp_path_factory):
    """One run of the shipped seed experiment, shared by the API, verify and notebook tests.

    A run takes ~20 s, so tests read this folder (or copy it to tamper with) rather than
    running their own; its output folder holds the embedding cache for any re-run.
    """
    from stance.api import Experiment

    out = tmp_path_factory.mktemp("reports")
    experiment = Experiment.from_yaml(EXPERIMENTS / "seeds.yaml", output_dir=out)
    return experiment.run(progress=False).run_dir

"""Whether a run on a LocalCluster gives the same outputs as the run in one process.

Runs the scale benchmark's config (benchmarks/scale.py) on an N-segment scale corpus twice,
``compute.cluster: none`` and ``local`` with two workers, into one output folder, then
compares the two run folders output by output as ``stance verify`` does (every table's
values, metrics.json, and the figures' SVG bytes). Prints each check; exits 1 on a
difference.

``--labelled`` adds the stages that need labels and actors: every fourth document gets a
``framing`` label drawn from its id's hash (three classes; a check of equality, not of
quality), so the framing classifier runs and then labels every segment (on the workers in
``local``), and Trump and Biden, whom the AllSides sentences name, are the actors whose
naming and stance are measured (stance predicted on the workers in ``local``).

Run: .venv/bin/python benchmarks/scale_equal.py [--size 10000] [--out /tmp/stance-equal]
     [--labelled]
"""

from __future__ import annotations

import argparse
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


#: The actors of ``--labelled``, with the names the AllSides sentences use.
ACTORS = {"Trump": ["Trump", "Donald Trump", "Donald J. Trump"],
          "Biden": ["Biden", "Joe Biden", "Joseph Biden"]}


def labelled_copy(corpus: Path, folder: Path) -> Path:
    """The corpus's shards with a ``framing`` label on every fourth document."""
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    for shard in sorted(corpus.glob("*.parquet")):
        table = pd.read_parquet(shard)
        hashes = table["doc_id"].map(lambda d: zlib.crc32(str(d).encode()))
        table["framing"] = [("a", "b", "c")[h % 3] if h % 4 == 0 else "" for h in hashes]
        table.to_parquet(folder / shard.name, index=False)
    return folder


def labelled_config(config: dict) -> dict:
    """The scale config with the framing label column and the actors."""
    config["corpus"]["columns"]["labels"] = ["framing"]
    return {**config, "actors": ACTORS}


def main() -> None:
    from scale import corpus_for, scale_config

    from stance.config import ExperimentConfig
    from stance.run import run_experiment
    from stance.run._compare import compare_runs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/stance-scale"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/stance-equal"))
    parser.add_argument("--labelled", action="store_true",
                        help="add framing labels and actors (see the module's docstring)")
    args = parser.parse_args()

    corpus = corpus_for(args.size, args.data)
    if args.labelled:
        corpus = labelled_copy(corpus, args.out / f"labelled_{args.size}")
    runs = {}
    for mode in ("none", "local"):
        config = scale_config(f"equal_{args.size}", corpus, args.out, mode, 2)
        cfg = ExperimentConfig.model_validate(labelled_config(config) if args.labelled
                                              else config)
        runs[mode] = run_experiment(cfg, progress=False).run_dir
        print(f"{mode}: {runs[mode]}", flush=True)
    checks = compare_runs(runs["none"], runs["local"])
    for check in checks:
        shown = f" e.g. {check.examples[0]}" if check.examples else ""
        print(f"{check.name}: {check.n_compared} compared, {check.n_different} differ"
              f"{shown}{check.not_compared}")
    equal = all(check.ok for check in checks)
    print(f"{len(checks)} checks; the two runs are {'equal' if equal else 'NOT equal'}")
    sys.exit(0 if equal else 1)


if __name__ == "__main__":  # the topic stage's refits start worker processes
    main()

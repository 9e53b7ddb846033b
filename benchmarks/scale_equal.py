"""Whether a run on a LocalCluster gives the same outputs as the run in one process.

Runs the scale benchmark's config (benchmarks/scale.py) on an N-segment scale corpus twice,
``compute.cluster: none`` and ``local`` with two workers, into one output folder, then
compares the two run folders output by output as ``stance verify`` does (every table's
values, metrics.json, and the figures' SVG bytes). Prints each check; exits 1 on a
difference.

Run: .venv/bin/python benchmarks/scale_equal.py [--size 10000] [--out /tmp/stance-equal]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    from scale import corpus_for, scale_config

    from stance.config import ExperimentConfig
    from stance.run import run_experiment
    from stance.run._compare import compare_runs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/stance-scale"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/stance-equal"))
    args = parser.parse_args()

    corpus = corpus_for(args.size, args.data)
    runs = {}
    for mode in ("none", "local"):
        cfg = ExperimentConfig.model_validate(
            scale_config(f"equal_{args.size}", corpus, args.out, mode, 2))
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

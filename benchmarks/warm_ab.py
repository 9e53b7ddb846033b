"""Warm runs of two versions of stance side by side: which code makes `stance run` faster?

A warm run (``stance run --no-cache``: only the embedding cache is used) is timed for each
source tree in turn, ``--pairs`` times, alternating (A B, B A, ...), so that both see the
same machine state: on a shared machine the speed of a whole run drifts by a fifth within
minutes, more than most changes move it. Prints, per tree, the median and range of wall
and CPU seconds (all processes) and the median CPU seconds of each stage (the run
manifest), then the ratio of the medians (B / A); writes them as JSON.

Fill the embedding cache first with one ``stance run CONFIG`` (``benchmarks/pipeline.py``
leaves such a config in its work folder). A source tree is a ``src`` folder, e.g. of a
``git worktree`` at the commit to compare:

    git worktree add /tmp/old <commit> --detach
    flock /tmp/stance-bench.lock .venv/bin/python benchmarks/warm_ab.py CONFIG \
        /tmp/old/src src --pairs 10 --out /tmp/warm_ab.json

The same tree twice with ``--env-b KEY=VALUE`` compares an environment setting instead
(e.g. ``OPENBLAS_NUM_THREADS=1``; HOME, PATH and PYTHONPATH are the script's own). Each
run's topic assignments (``topic`` by ``seg_id``) are hashed, so the JSON also says whether
each version gave the same topics in every run, and both the same.

``--rerun`` times re-runs instead (``stance run``, its stage cache on): one untimed run of
each version fills its cache first.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

from pipeline import run_process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path, help="a config whose embeddings are cached")
    parser.add_argument("tree_a", type=Path, help="src folder of version A")
    parser.add_argument("tree_b", type=Path, help="src folder of version B")
    parser.add_argument("--pairs", type=int, default=8)
    for name in ("a", "b"):
        parser.add_argument(f"--env-{name}", action="append", default=[], metavar="KEY=VALUE",
                            help=f"an environment variable for version {name.upper()}'s runs "
                            "(repeatable)")
    parser.add_argument("--rerun", action="store_true",
                        help="time re-runs with the stage cache, not warm runs without it")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: print only)")
    args = parser.parse_args()
    trees = {"A": args.tree_a.resolve(), "B": args.tree_b.resolve()}
    envs = {"A": _parse_env(parser, args.env_a), "B": _parse_env(parser, args.env_b)}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    latest = _latest_run(args.config)
    if args.rerun:  # each version's stage keys hash its own code: fill both caches
        for name in trees:
            timed_run(args.config, trees[name], latest, envs[name], stage_cache=True)
    for pair in range(args.pairs):  # A B, B A, A B, ...: neither always runs first
        for name in ("A", "B") if pair % 2 == 0 else ("B", "A"):
            runs[name].append(timed_run(args.config, trees[name], latest, envs[name],
                                        stage_cache=args.rerun))
    summary = {name: summarise(runs[name]) | {"tree": str(tree), "env": envs[name]}
               for name, tree in trees.items()}
    summary["same_topic_assignments"] = {
        "A": _all_same(runs["A"]), "B": _all_same(runs["B"]),
        "A and B": _all_same(runs["A"] + runs["B"])}
    summary["B / A"] = {key: round(summary["B"][key]["median"] / summary["A"][key]["median"], 3)
                        for key in ("wall_seconds", "cpu_seconds")}
    for name in trees:
        row = summary[name]
        print(f"{name} {row['tree']}: wall {row['wall_seconds']['median']} s "
              f"[{row['wall_seconds']['min']}, {row['wall_seconds']['max']}], CPU "
              f"{row['cpu_seconds']['median']} s [{row['cpu_seconds']['min']}, "
              f"{row['cpu_seconds']['max']}] ({args.pairs} runs)")
        print("  stage CPU s (median):", row["stage_cpu_seconds"])
    print("B / A (medians): wall", summary["B / A"]["wall_seconds"],
          "CPU", summary["B / A"]["cpu_seconds"])
    print("the same topic assignments in every run:", ", ".join(
        f"{who} {'-' if same is None else 'yes' if same else 'no'}"
        for who, same in summary["same_topic_assignments"].items()))
    if args.out is not None:
        args.out.write_text(json.dumps({"config": str(args.config), "pairs": args.pairs,
                                        "rerun": args.rerun, "cpu_count": os.cpu_count(),
                                        **summary,
                                        "runs": runs}, indent=1))


#: Set by the script for every run: the clean environment and the tree under test.
_OWN_ENV = ("HOME", "PATH", "PYTHONPATH")


def _parse_env(parser: argparse.ArgumentParser, items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not key or not equals:
            parser.error(f"--env-a/--env-b take KEY=VALUE, not {item!r}")
        if key in _OWN_ENV:
            parser.error(f"--env-a/--env-b cannot set {key}: the script sets it for every run")
        env[key] = value
    return env


def timed_run(config: Path, tree: Path, latest: Path, extra_env: dict[str, str], *,
              stage_cache: bool) -> dict:
    """One ``stance run`` (``--no-cache`` unless ``stage_cache``) with ``tree`` first on the
    path, in a clean environment plus ``extra_env``."""
    env = {"HOME": os.environ["HOME"], "PATH": "/usr/bin:/bin", "PYTHONPATH": str(tree),
           **extra_env}
    flags = [] if stage_cache else ["--no-cache"]
    with tempfile.TemporaryDirectory() as folder:
        measured = run_process([sys.executable, "-m", "stance", "-q", "run", *flags,
                                str(config)], Path(folder) / "stance.log", env)
    manifest = json.loads((latest / "manifest.json").read_text())
    return {"wall_seconds": measured["seconds"], "cpu_seconds": measured["cpu_seconds"],
            "stage_cpu_seconds": {stage: record["cpu_seconds"]
                                  for stage, record in manifest["stages"].items()},
            "assignments_sha256": _assignments_sha256(latest / "segment_topics.parquet")}


def _assignments_sha256(path: Path) -> str | None:
    """sha256 of a run's topic per segment, or None if the run fitted no topics."""
    import pandas as pd

    if not path.is_file():
        return None
    table = pd.read_parquet(path, columns=["seg_id", "topic"]).sort_values("seg_id")
    return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()


def _all_same(runs: list[dict]) -> bool | None:
    """Whether every run gave the same topic assignments (None when no run fitted topics)."""
    hashes = {r["assignments_sha256"] for r in runs}
    return None if hashes == {None} else len(hashes) == 1


def _latest_run(config: Path) -> Path:
    from stance.config import load_config

    cfg = load_config(config)  # resolves output_dir as stance run does
    return cfg.output_dir / cfg.name / "latest"


def summarise(runs: list[dict]) -> dict:
    def spread(values: list[float]) -> dict:
        return {"median": round(statistics.median(values), 2), "min": round(min(values), 2),
                "max": round(max(values), 2)}

    return {"wall_seconds": spread([r["wall_seconds"] for r in runs]),
            "cpu_seconds": spread([r["cpu_seconds"] for r in runs]),
            "stage_cpu_seconds": {stage: round(statistics.median(
                r["stage_cpu_seconds"][stage] for r in runs), 2)
                for stage in runs[0]["stage_cpu_seconds"]}}


if __name__ == "__main__":
    main()

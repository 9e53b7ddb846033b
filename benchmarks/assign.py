"""How to give a topic to the segments a sampled fit did not see: agreement and cost side by side.

Reads a run folder whose topic model was fitted on a sample (``topics.fit_sample``; the
1M-paragraph scale corpus of benchmarks/scale_corpus.py fits on 100,000) and the run's
embedding cache. Holds out a seeded 5,000 of the fitted segments, builds each way from the
other fitted segments, and scores it on the held-out ones against the fit's own topics
(share of the same topic, outliers included, and ARI). Time is measured on a block of the
segments the fit did not see and scaled to all of them:

- ``neighbors_exact``: the vote of the 15 most similar fitted segments, each segment
  compared with every fitted one (stance's way up to 20,000 fitted segments);
- ``neighbors_index``: the same vote over a seeded pynndescent index (stance's way above);
- ``nearest``: the most similar topic centroid (``topics.assign: nearest``);
- ``logistic``: a logistic regression of the fitted topics on the vectors.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/assign.py RUN_DIR
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

#: Fitted segments held out and scored.
HELD_OUT = 5_000


def main() -> None:
    from provenance import commit
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import adjusted_rand_score

    from stance import load_run
    from stance.embed import embed_texts
    from stance.run._flow import _load_embedder, embedding_cache_dir
    from stance.topics._assign import NearestTopic, NeighbourVote

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--block", type=int, default=50_000,
                        help="unfitted segments timed, the time scaled to all of them")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/assign.json")
    args = parser.parse_args()

    run = load_run(args.run_dir)
    seed = run.config.seed
    table = run.assignments
    texts = run.segments.table["text"].tolist()
    vectors = embed_texts(texts, _load_embedder(run.config), embedding_cache_dir(run.config))
    topics = table["topic"].to_numpy()
    fitted = np.flatnonzero(table["fitted"].to_numpy())
    rest = np.flatnonzero(~table["fitted"].to_numpy())
    if not len(rest):
        raise SystemExit(f"{args.run_dir}: the topic model was fitted on every segment")
    held = np.sort(np.random.default_rng(seed).choice(fitted, HELD_OUT, replace=False))
    train = np.setdiff1d(fitted, held)
    block = vectors[rest[:args.block]]
    scale = len(rest) / len(block)

    def build(way: str):
        if way == "neighbors_exact":
            return NeighbourVote(vectors[train], topics[train], seed=seed, exact=True)
        if way == "neighbors_index":
            return NeighbourVote(vectors[train], topics[train], seed=seed, exact=False)
        if way == "nearest":
            return NearestTopic(vectors[train], topics[train])
        return LogisticRegression(max_iter=300, random_state=seed).fit(vectors[train],
                                                                       topics[train])

    rows = {}
    for way in ("neighbors_exact", "neighbors_index", "nearest", "logistic"):
        start = time.perf_counter()
        model = build(way)
        built = time.perf_counter() - start
        predict = model.predict if way == "logistic" else model.assign
        got = predict(vectors[held])
        start = time.perf_counter()
        predict(block)
        seconds = (time.perf_counter() - start) * scale
        rows[way] = {"same_topic": round(float((got == topics[held]).mean()), 4),
                     "ari": round(float(adjusted_rand_score(topics[held], got)), 4),
                     "build_seconds": round(built, 1), "assign_seconds_all": round(seconds, 1),
                     "total_seconds": round(built + seconds, 1)}
        print(way, rows[way], flush=True)
    base = rows["neighbors_exact"]["total_seconds"]
    print(f"\n{len(rest):,} unfitted segments, {len(train):,} fitted voters, "
          f"{HELD_OUT:,} held out\n{'way':<17} {'same topic':>10} {'ARI':>6} {'build s':>8} "
          f"{'all s':>8} {'x exact':>8}")
    for way, row in rows.items():
        print(f"{way:<17} {row['same_topic']:>10.3f} {row['ari']:>6.3f} "
              f"{row['build_seconds']:>8.1f} {row['assign_seconds_all']:>8.1f} "
              f"{base / max(row['total_seconds'], 0.1):>7.1f}x")
    args.out.write_text(json.dumps({
        "commit": commit(), "run_dir": str(args.run_dir), "segments": len(table),
        "fitted": len(fitted), "unfitted": len(rest), "held_out": HELD_OUT,
        "timed_block": len(block), "ways": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

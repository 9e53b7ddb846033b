"""Topic quality and warm run time at UMAP's own epochs against 200 (``topics.umap.n_epochs``).

UMAP lays out up to 10,000 points in 500 epochs and larger corpora in 200. The layouts of
the model and its two stability refits are the largest part of a warm run's CPU time
(about 2.5 of 9.7 s at 1,000 segments), so 200 epochs at every size is the obvious way to
make small runs faster. This measures what it costs.

For each size, the corpus of benchmarks/pipeline.py (paragraphs of a seeded shuffle of 20
Newsgroups; outlet = newsgroup) is embedded once, then a stance sweep runs the default
config at ``topics.umap.n_epochs`` auto and 200 for seeds 0-4, each point a warm run (only
the embeddings cached). Per point: stance's own metrics (topics, outlier share, NPMI,
diversity, stability ARI over the model and two refits), ARI and NMI of the topics against
the newsgroups (outliers count as one cluster), and the run's wall seconds in this process
(imports paid once, by the first point). Per setting: the mean over seeds [lowest, highest].

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/umap_epochs.py [--sizes 1000 ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd
from pipeline import (
    DATA,
    NO_DATES_OR_TITLES,
    RESULTS,
    SHUFFLE_SEED,
    build_corpus,
    shuffled_posts,
)

SIZES = (1000, 10000)
SEEDS = (0, 1, 2, 3, 4)
EPOCHS = ("auto", 200)
METRICS = ("n_topics", "outlier_share", "npmi_mean", "diversity_10", "stability_ari",
           "ari_newsgroups", "nmi_newsgroups", "wall_seconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep corpora, run and sweep folders here (default: a temp folder)")
    args = parser.parse_args()
    posts = shuffled_posts()
    points = []
    with tempfile.TemporaryDirectory(prefix="stance-epochs-") as tmp:
        work = args.workdir or Path(tmp)
        for size in args.sizes:
            points += _sweep(size, posts, work / f"n{size}")
            summary = _summary(pd.DataFrame(points))
            print("\n" + _table(summary), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "umap_epochs.json"
    out.write_text(json.dumps({
        "corpus": str(DATA), "shuffle_seed": SHUFFLE_SEED, "seeds": list(SEEDS),
        "epochs": list(EPOCHS), "summary": summary,
        "points": points}, indent=1))
    print(f"wrote {out}")


def _sweep(size: int, posts: pd.DataFrame, folder: Path) -> list[dict]:
    """Every point of the epochs x seeds sweep at ``size`` segments, as flat rows."""
    from stance import Experiment, load_run

    csv, segments = build_corpus(size, posts, folder)
    experiment = Experiment.from_dict({
        "name": f"epochs{size}", "output_dir": str(folder / "out"),
        "corpus": {"path": str(csv), "columns": NO_DATES_OR_TITLES},
        "segmentation": {"unit": "paragraph"},
        "sweep": {"topics.umap.n_epochs": list(EPOCHS), "seed": list(SEEDS)}})
    experiment.embed(progress=False)
    sweep = experiment.run_sweep(progress=False, use_cache=False)
    rows = []
    for _, point in sweep.summary.iterrows():
        run = load_run(folder / "out" / f"epochs{size}" / point["run"])
        rows.append({"size": size, "n_segments": len(segments),
                     "n_epochs": point["topics.umap.n_epochs"], "seed": int(point["seed"]),
                     **{m: float(point[m]) for m in METRICS[:5]},
                     **_against_newsgroups(run),
                     "wall_seconds": run.manifest["wall_seconds"],
                     "resolved_n_epochs": run.manifest["topics"]["umap"]["n_epochs"]})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _against_newsgroups(run) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    joined = run.assignments.merge(run.segments.table[["seg_id", "outlet"]], on="seg_id")
    return {"ari_newsgroups": adjusted_rand_score(joined["outlet"], joined["topic"]),
            "nmi_newsgroups": normalized_mutual_info_score(joined["outlet"], joined["topic"])}


def _summary(points: pd.DataFrame) -> list[dict]:
    """Per size and epochs: each metric's mean, lowest and highest over the seeds."""
    rows = []
    for (size, epochs), group in points.groupby(["n_segments", "n_epochs"], sort=False):
        rows.append({"segments": size, "n_epochs": epochs,
                     **{metric: {"mean": group[metric].mean(), "min": group[metric].min(),
                                 "max": group[metric].max()} for metric in METRICS}})
    return rows


def _table(summary: list[dict]) -> str:
    """The summary as text: mean [lowest, highest] per metric."""
    return pd.DataFrame([{key: (f"{v['mean']:.3g} [{v['min']:.3g}, {v['max']:.3g}]"
                                if isinstance(v, dict) else v) for key, v in row.items()}
                         for row in summary]).to_string(index=False)


if __name__ == "__main__":
    main()

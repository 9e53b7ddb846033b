"""Embedding throughput: our cached embedder, cold and warm, against a bare encode.

Texts: paragraphs of 20 Newsgroups posts (at least 10 words, deduplicated, a fixed-seed
sample). Speed is measured in ONE process on ONE loaded model, so the ratio compares like
with like: the bare ``SentenceTransformer.encode`` (same model object, same batch size,
same normalisation) against ``stance.embed.embed_texts`` into an empty cache (cold: hashing,
lookup, chunked encoding, shard writes) and into the filled cache (warm). Bare and cold
alternate, each repeated, and the fastest of each is compared, because the machine is shared
and a slow repeat measures the neighbours, not the code. Peak memory (max RSS) is measured
per variant in a fresh subprocess, since a process's peak never goes down again.

``--backends static onnx torch`` (issue #33) instead compares the embedding backends side by
side in one process, each ``Embedder.encode`` with its model loaded once (the static model
distilled from the packaged all-MiniLM-L6-v2 into a temporary folder first; the distillation,
the ONNX export and the model loads are timed apart from the encoding):

- speed: texts/s of each backend on the same paragraphs as above, the backends alternating
  round by round, the fastest encode of each compared (the static backend, ~100x shorter a
  call, times STATIC_INNER encodes per round); and one timed pass over each corpus below;
- quality: k-means (scikit-learn, k = the gold classes, n_init 10, KMEANS_SEEDS averaged) of
  each backend's L2-normalised vectors, NMI and ARI against the gold labels on BBC News (the
  2,225 raw articles, title and text, 5 categories) and on a fixed-seed sample of 20
  Newsgroups posts (posts of at least MIN_WORDS words, headers, footers and quotes already
  stripped; 20 newsgroups). Results: benchmarks/results/embed_static.json.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/embed.py [--quick]
     flock /tmp/stance-bench.lock .venv/bin/python benchmarks/embed.py --backends static onnx \
         torch [--quick]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import provenance

ROOT = Path(__file__).resolve().parents[1]
NEWSGROUPS = ROOT.parent / "shared" / "data" / "20newsgroups" / "20news_bydate_clean.jsonl"
BBC = ROOT.parent / "shared" / "data" / "bbc_news" / "bbc_news_raw.csv"
RESULTS = ROOT / "benchmarks" / "results"
SEED = 42
MIN_WORDS = 10


def load_texts(n: int) -> list[str]:
    """``n`` distinct 20 Newsgroups paragraphs of at least MIN_WORDS words, fixed sample."""
    paragraphs = {}
    with open(NEWSGROUPS, encoding="utf-8") as handle:
        for line in handle:
            for block in json.loads(line)["text"].split("\n\n"):
                text = " ".join(block.split())
                if len(text.split()) >= MIN_WORDS:
                    paragraphs.setdefault(text, None)
    return random.Random(SEED).sample(list(paragraphs), n)


def peak_rss_mb() -> float:
    """This process's peak resident memory since its exec, in MiB.

    VmHWM rather than ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child of a
    process holding the model would report the parent's peak.
    """
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_variant(variant: str, texts: list[str], cache_dir: Path) -> dict:
    """One variant from a fresh embedder: bare encode, cold or warm cached embedding."""
    from stance.config import EmbeddingConfig
    from stance.embed import embed_texts, load_embedder

    embedder = load_embedder(EmbeddingConfig())
    start = time.perf_counter()
    if variant == "bare":
        embedder.model.encode(texts, batch_size=embedder.cfg.batch_size,
                              normalize_embeddings=True, convert_to_numpy=True,
                              show_progress_bar=False)
    else:
        embed_texts(texts, embedder, cache_dir)
    seconds = time.perf_counter() - start  # for bare and cold this includes loading the model
    return {"variant": variant, "seconds_with_load": round(seconds, 2),
            "texts_encoded": embedder.texts_encoded, "peak_rss_mb": round(peak_rss_mb(), 1)}


def measure_speed(texts: list[str], repeats: int) -> dict:
    """Segments per second of bare, cold and warm, on one loaded model in this process."""
    from stance.config import EmbeddingConfig
    from stance.embed import embed_texts, load_embedder

    embedder = load_embedder(EmbeddingConfig())
    model, batch_size = embedder.model, embedder.cfg.batch_size
    model.encode(texts[:64], batch_size=batch_size)  # first call pays one-off set-up costs
    bare, cold, warm = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeats):
            start = time.perf_counter()
            model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                         convert_to_numpy=True, show_progress_bar=False)
            bare.append(time.perf_counter() - start)
            cache_dir = Path(tmp) / f"cold{i}"  # empty: every text is encoded and written
            start = time.perf_counter()
            embed_texts(texts, embedder, cache_dir)
            cold.append(time.perf_counter() - start)
        for _ in range(repeats):
            start = time.perf_counter()
            embed_texts(texts, embedder, cache_dir)
            warm.append(time.perf_counter() - start)
    n = len(texts)
    return {"bare": n / min(bare), "cold": n / min(cold), "warm": n / min(warm),
            "batch_size": batch_size,
            "seconds": {"bare": bare, "cold": cold, "warm": warm}}


def measure_memory(n: int) -> dict:
    """Peak RSS of each variant, each in its own fresh process; warm reuses cold's cache."""
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for variant in ("bare", "cold", "warm"):
            proc = subprocess.run([sys.executable, __file__, "--child", variant, "--n", str(n),
                                   "--cache-dir", tmp], check=True, capture_output=True,
                                  text=True)
            out[variant] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


# --- backends side by side (issue #33) ----------------------------------------------------

BACKENDS = ("static", "onnx", "torch")
#: Posts of 20 Newsgroups clustered (a fixed-seed sample, to keep MiniLM's time reasonable).
POSTS = 4000
KMEANS_SEEDS = (0, 1, 2, 3, 4)
#: Encodes per round of the static backend: a call ~100x shorter than MiniLM's is timed
#: several times, so its fastest is not one sample of a 0.1-s call on a shared machine.
STATIC_INNER = 5


def load_bbc(n: int | None = None) -> tuple[list[str], list[str]]:
    """BBC News raw articles (title and text, as benchmarks/topics.py) and their categories."""
    import pandas as pd

    raw = pd.read_csv(BBC)
    if n is not None and n < len(raw):
        raw = raw.sample(n, random_state=SEED)
    texts = (raw["title"].fillna("") + "\n\n" + raw["text"].fillna("")).tolist()
    return texts, raw["category"].astype(str).tolist()


def load_posts(n: int) -> tuple[list[str], list[str]]:
    """A fixed-seed sample of ``n`` 20 Newsgroups posts of at least MIN_WORDS words, labels."""
    rows = []
    with open(NEWSGROUPS, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if len(row["text"].split()) >= MIN_WORDS:
                rows.append(row)
    sample = random.Random(SEED).sample(rows, n)
    return [row["text"] for row in sample], [row["label"] for row in sample]


def kmeans_agreement(vectors, labels: list[str], seeds) -> dict:
    """k-means with k = the gold classes, per seed: NMI and ARI against the labels."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    k = len(set(labels))
    nmi, ari = [], []
    for seed in seeds:
        clusters = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(vectors)
        nmi.append(float(normalized_mutual_info_score(labels, clusters)))
        ari.append(float(adjusted_rand_score(labels, clusters)))
    return {"k": k, "nmi": float(np.mean(nmi)), "nmi_sd": float(np.std(nmi, ddof=1))
            if len(nmi) > 1 else 0.0, "ari": float(np.mean(ari)), "nmi_per_seed": nmi,
            "ari_per_seed": ari}


def _import_libraries(names: list[str]) -> None:
    """Import what the backends load their models with (offline, as the Embedder does)."""
    import importlib

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    modules = ["torch", "transformers", "sentence_transformers"]
    modules += ["model2vec", "model2vec.distill"] if "static" in names else []
    modules += ["onnxruntime"] if "onnx" in names else []
    for module in modules:
        importlib.import_module(module)


def _set_up(embedder) -> None:
    """Distil and load (static), load and export (onnx) or load (torch) the model."""
    backend = embedder.cfg.backend
    _ = embedder.static if backend == "static" else (
        embedder.onnx if backend == "onnx" else embedder.model)


def compare_backends(names: list[str], texts: list[str], repeats: int,
                     corpora: dict[str, tuple[list[str], list[str]]], seeds) -> dict:
    """Speed and k-means quality of each backend's ``Embedder.encode``, in this process."""
    import statistics

    from stance.config import EmbeddingConfig
    from stance.embed import load_embedder

    # the libraries first, so no backend's set-up time includes imports another one shares
    start = time.perf_counter()
    _import_libraries(names)
    imports = round(time.perf_counter() - start, 2)
    embedders, setup, described = {}, {}, {}
    with tempfile.TemporaryDirectory() as tmp:  # the static model is distilled afresh here
        for name in names:
            embedder = load_embedder(EmbeddingConfig(backend=name, cache_dir=tmp))
            start = time.perf_counter()
            _set_up(embedder)
            setup[name] = round(time.perf_counter() - start, 2)
            embedder.encode(texts[:64])  # first call pays one-off set-up costs
            embedders[name] = embedder
            described[name] = {**embedder.describe(), "dimension": embedder.dimension}
            print(f"{name}: set up in {setup[name]:.1f} s ({described[name]['model_id']})",
                  flush=True)

    seconds: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):  # the backends alternate, so each sees the same machine states
        for name in names:
            for _ in range(STATIC_INNER if name == "static" else 1):
                start = time.perf_counter()
                embedders[name].encode(texts)
                seconds[name].append(time.perf_counter() - start)
    n = len(texts)
    speed = {name: {"texts_per_second": n / min(times),
                    "texts_per_second_median": n / statistics.median(times),
                    "seconds": [round(t, 4) for t in times]} for name, times in seconds.items()}

    quality: dict[str, dict] = {}
    for corpus, (docs, labels) in corpora.items():
        quality[corpus] = {"n_texts": len(docs), "n_classes": len(set(labels)),
                           "mean_words": sum(len(d.split()) for d in docs) / len(docs)}
        for name in names:
            start = time.perf_counter()
            vectors = embedders[name].encode(docs)
            took = time.perf_counter() - start
            quality[corpus][name] = {"encode_seconds": round(took, 3),
                                     "texts_per_second": len(docs) / took,
                                     **kmeans_agreement(vectors, labels, seeds)}
            row = quality[corpus][name]
            print(f"{corpus}: {name} encoded {len(docs)} in {took:.1f} s, k-means NMI "
                  f"{row['nmi']:.3f} (sd {row['nmi_sd']:.3f}), ARI {row['ari']:.3f}",
                  flush=True)
    return {"import_seconds": imports, "setup_seconds": setup, "speed": speed,
            "quality": quality, "models": described}


def _ratio(result: dict, over: str) -> float | None:
    speed = result["speed"]
    if "static" not in speed or over not in speed:
        return None
    return speed["static"]["texts_per_second"] / speed[over]["texts_per_second"]


def backends_main(names: list[str], n: int, repeats: int, posts: int, quick: bool) -> None:
    """The side-by-side comparison: print a table, write results/embed_static.json."""
    names = list(dict.fromkeys(names))
    commit = provenance.commit()  # what src/ is as the run starts
    texts = load_texts(n)
    words = sum(len(t.split()) for t in texts) / n
    corpora = {"bbc": load_bbc(400 if quick else None), "20newsgroups": load_posts(posts)}
    seeds = KMEANS_SEEDS[:2] if quick else KMEANS_SEEDS
    result = compare_backends(names, texts, repeats, corpora, seeds)

    ratios = {}
    for other in ("onnx", "torch"):
        if "static" in names and other in names:
            ratios[f"static_over_{other}"] = {
                "paragraphs": _ratio(result, other),
                **{corpus: result["quality"][corpus]["static"]["texts_per_second"]
                   / result["quality"][corpus][other]["texts_per_second"] for corpus in corpora}}
    target = ratios.get("static_over_onnx", {}).get("paragraphs")

    print(f"\nimports {result['import_seconds']:.1f} s; set-up: static = distil + load, onnx = "
          "load + export, torch = load")
    print(f"{n} 20 Newsgroups paragraphs ({words:.0f} words on average), fastest of "
          f"{repeats} rounds (static: of {repeats * STATIC_INNER} encodes)")
    print(f"{'backend':8} {'dims':>5} {'set-up s':>9} {'texts/s':>10} {'median':>10} "
          + " ".join(f"{c + ' texts/s':>18}" for c in corpora))
    for name in names:
        s = result["speed"][name]
        print(f"{name:8} {result['models'][name]['dimension']:>5} "
              f"{result['setup_seconds'][name]:>9.1f} {s['texts_per_second']:>10.1f} "
              f"{s['texts_per_second_median']:>10.1f} "
              + " ".join(f"{result['quality'][c][name]['texts_per_second']:>18.1f}"
                         for c in corpora))
    for key, row in ratios.items():
        print(f"{key.replace('_', ' ')}: " + ", ".join(f"{c} {v:.0f}x" for c, v in row.items()))
    if target is not None:
        print(f"static / onnx on the paragraphs: {target:.0f}x (target >= 50x: "
              f"{'met' if target >= 50 else 'NOT met'})")
    print(f"\nk-means NMI (mean of {len(seeds)} seeds, n_init 10) [ARI]")
    print(f"{'corpus':14} " + " ".join(f"{name:>16}" for name in names))
    for corpus in corpora:
        q = result["quality"][corpus]
        print(f"{corpus + ' (' + str(q['n_texts']) + ')':14} " + " ".join(
            f"{q[name]['nmi']:>7.3f} [{q[name]['ari']:.3f}]" for name in names))

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"date": datetime.date.today().isoformat(), "commit": commit, "quick": quick,
           "machine": platform.processor() or platform.machine(),
           "cores": len(os.sched_getaffinity(0)),
           "speed_texts": {"n_texts": n, "mean_words": words, "repeats": repeats,
                           "static_inner": STATIC_INNER,
                           "source": "20 Newsgroups paragraphs (load_texts)"},
           "kmeans": {"seeds": list(seeds), "n_init": 10, "k": "number of gold classes"},
           **result, "ratios": ratios,
           "target_static_50x_onnx": None if target is None else {"ratio": target,
                                                                  "met": target >= 50}}
    path = RESULTS / ("embed_static.quick.json" if quick else "embed_static.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="texts to embed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="500 texts, one repeat (with "
                        "--backends also 400 BBC articles, 400 posts, 2 k-means seeds)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS,
                        help="compare these embedding backends side by side instead (speed "
                             "and k-means NMI; results/embed_static.json)")
    parser.add_argument("--posts", type=int, default=POSTS,
                        help="20 Newsgroups posts clustered with --backends")
    parser.add_argument("--child", choices=["bare", "cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_variant(args.child, load_texts(args.n), args.cache_dir)))
        return
    n, repeats = (500, 1) if args.quick else (args.n, args.repeats)
    if args.backends:
        backends_main(args.backends, n, repeats, 400 if args.quick else args.posts, args.quick)
        return

    texts = load_texts(n)
    words = sum(len(t.split()) for t in texts) / n
    memory = measure_memory(n)  # first, while this process holds no model
    speed = measure_speed(texts, repeats)
    cold_vs_bare = speed["cold"] / speed["bare"]
    warm_vs_cold = speed["warm"] / speed["cold"]
    print(f"{n} 20 Newsgroups paragraphs ({words:.0f} words on average), all-MiniLM-L6-v2, "
          f"batch {speed['batch_size']}, best of {repeats}")
    print(f"{'variant':<8} {'segments/s':>11} {'peak RSS MB':>12} {'s incl. load':>13}")
    for name in ("bare", "cold", "warm"):
        mem = memory[name]
        print(f"{name:<8} {speed[name]:>11.1f} {mem['peak_rss_mb']:>12.1f} "
              f"{mem['seconds_with_load']:>13.2f}")
    print(f"cold / bare speed: {cold_vs_bare:.3f} (target >= 0.90: "
          f"{'met' if cold_vs_bare >= 0.9 else 'NOT met'})")
    print(f"warm / cold speed: {warm_vs_cold:.0f}x (target >= 50x: "
          f"{'met' if warm_vs_cold >= 50 else 'NOT met'})")

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"n_texts": n, "mean_words": words, "repeats": repeats, "quick": args.quick,
           "segments_per_second": {k: speed[k] for k in ("bare", "cold", "warm")},
           "seconds": speed["seconds"], "memory": memory,
           "cold_vs_bare": cold_vs_bare, "warm_vs_cold": warm_vs_cold,
           "targets_met": {"cold_within_10pct": cold_vs_bare >= 0.9,
                           "warm_50x": warm_vs_cold >= 50}}
    (RESULTS / "embed.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Embedding throughput: our cached embedder, cold and warm, against a bare encode.

Texts: paragraphs of 20 Newsgroups posts (at least 10 words, deduplicated, a fixed-seed
sample). Speed is measured in ONE process on ONE loaded model, so the ratio compares like
with like: the bare ``SentenceTransformer.encode`` (same model object, same batch size,
same normalisation) against ``stance.embed.embed_texts`` into an empty cache (cold: hashing,
lookup, chunked encoding, shard writes) and into the filled cache (warm). Bare and cold
alternate, each repeated, and the fastest of each is compared, because the machine is shared
and a slow repeat measures the neighbours, not the code. Peak memory (max RSS) is measured
per variant in a fresh subprocess, since a process's peak never goes down again.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/embed.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEWSGROUPS = ROOT.parent / "shared" / "data" / "20newsgroups" / "20news_bydate_clean.jsonl"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="texts to embed")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="500 texts, one repeat")
    parser.add_argument("--child", choices=["bare", "cold", "warm"], help=argparse.SUPPRESS)
    parser.add_argument("--cache-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_variant(args.child, load_texts(args.n), args.cache_dir)))
        return
    n, repeats = (500, 1) if args.quick else (args.n, args.repeats)

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

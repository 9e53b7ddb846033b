"""Actor stance on NewsMTSC: each model beside the baselines, next to the published figures.

Every setting is chosen on the two dev sets (mean macro-F1 of rw-dev and mt-dev), never on
test. Rows:

- majority: the training set's commonest class.
- lexicon: VADER's sentiment (vaderSentiment, its lexicon, negation and boosters) of the k
  words each side of the mention; k and the neutral band chosen on dev.
- tfidf marked: TF-IDF words and word pairs + logistic regression over the sentence with the
  mention replaced by a marker word; C chosen on dev.
- frozen MiniLM + logistic regression (the small candidate), four ways to tell it the target:
  sentence (mean of all tokens: no target at all, the floor), marked (" [ " and " ] " around
  the mention, then all tokens' mean beside the mention's), pair (the mention as a second
  text, mean over both) and pooled (all tokens' mean beside the mention's tokens' mean, the
  input the shipped network reads); C chosen on dev.
- shipped: the model installed with stance (src/stance/data/actor_stance).
- finetuned: every layer tuned, when `stance train actor-stance --variant finetuned` has
  written it into reports/.cache.

Intervals are 95% bootstraps resampling sentences (an mt sentence has several targets; they
are resampled together); each model's lead over each baseline gets a paired interval.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/actor_stance.py
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd

from stance.sentiment import (
    STANCE_CLASSES,
    finetuned_model_dir,
    load_stance_model,
    read_newsmtsc,
    shipped_model_dir,
)
from stance.stats import bootstrap_macro_f1, bootstrap_macro_f1_gap

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "newsmtsc"
RESULTS = ROOT / "benchmarks" / "results"
DEV, TEST = ("rw-dev", "mt-dev"), ("rw-test", "mt-test")
PUBLISHED = {"GRU-TSC (published)": {"rw-test": 0.831, "mt-test": 0.825},
             "prior best (published)": {"rw-test": 0.817, "mt-test": 0.812}}
N_BOOTSTRAP, SEED = 1000, 42
TARGETS = {"shipped": 0.75, "finetuned": 0.80}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--name", default="actor_stance")
    args = parser.parse_args()
    data = {s: read_newsmtsc(args.data, s) for s in ("train", *DEV, *TEST)}
    predictions: dict[str, dict[str, np.ndarray]] = {}
    settings: dict[str, str] = {}
    timings: dict[str, float] = {}
    for name, method in (("majority", majority), ("lexicon", lexicon),
                         ("tfidf marked", tfidf_marked)):
        start = time.perf_counter()
        predictions[name], settings[name] = method(data)
        timings[name] = time.perf_counter() - start
    start = time.perf_counter()
    for name, (pred, setting) in frozen_heads(data).items():
        predictions[name], settings[name] = pred, setting
    timings["frozen MiniLM (4 inputs)"] = time.perf_counter() - start
    models = {"shipped": shipped_model_dir(),
              "finetuned": finetuned_model_dir(ROOT / "reports" / ".cache")}
    cost = {}
    for name, folder in models.items():
        if not (folder / "card.json").is_file():
            continue
        model = load_stance_model(str(folder))
        start = time.perf_counter()
        predictions[name] = {s: predict(model, data[s]) for s in (*DEV, *TEST)}
        seconds = time.perf_counter() - start
        n = sum(len(data[s]) for s in (*DEV, *TEST))
        cost[name] = {"mentions_per_second": round(n / seconds, 1),
                      "weights_mb": round((folder / "model.safetensors").stat().st_size / 1e6, 2)}
        card = model.card["settings"]
        settings[name] = (f"{card['tuned_layers']} layer(s) tuned, lr {card['learning_rate']:g}, "
                          f"{card['epochs']} epochs")
    rows = score_all(data, predictions, settings)
    leads = paired_leads(data, predictions)
    print_table(rows, leads, cost)
    RESULTS.mkdir(exist_ok=True)
    out = {"rows": rows, "leads": leads, "cost": cost, "timings_seconds": timings,
           "published": PUBLISHED, "targets": TARGETS, "n_bootstrap": N_BOOTSTRAP}
    (RESULTS / f"{args.name}.json").write_text(json.dumps(out, indent=2) + "\n")


def majority(data):
    common = data["train"]["stance"].mode()[0]
    return {s: np.full(len(data[s]), common, dtype=object) for s in (*DEV, *TEST)}, common


def lexicon(data):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    best = None
    for k in (3, 5, 10, 1000):
        scores = {s: np.array([analyzer.polarity_scores(_window(r, k))["compound"]
                               for r in data[s].itertuples()]) for s in (*DEV, *TEST)}
        for band in (0.05, 0.1, 0.2, 0.3, 0.5):
            pred = {s: _banded(v, band) for s, v in scores.items()}
            dev = np.mean([_f1(data[s]["stance"], pred[s]) for s in DEV])
            if best is None or dev > best[0]:
                best = (dev, pred, f"{k if k < 1000 else 'all'} words each side, "
                                   f"neutral band ±{band}")
    return best[1], best[2]


def tfidf_marked(data):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = {s: [r.sentence[:r.start] + " targetmention " + r.sentence[r.end:]
                 for r in t.itertuples()] for s, t in data.items()}
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    train = vectorizer.fit_transform(texts["train"])
    best = None
    for c in (0.3, 1, 3, 10):
        model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        model.fit(train, data["train"]["stance"])
        pred = {s: model.predict(vectorizer.transform(texts[s])) for s in (*DEV, *TEST)}
        dev = np.mean([_f1(data[s]["stance"], pred[s]) for s in DEV])
        if best is None or dev > best[0]:
            best = (dev, pred, f"C {c}")
    return best[1], best[2]


def frozen_heads(data):
    """Frozen MiniLM features under four inputs, each with a logistic regression on top."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from stance.sentiment._model import build_network
    from stance.sentiment._network import MAX_TOKENS

    card = json.loads((shipped_model_dir() / "card.json").read_text())
    network, tokenizer = build_network(card)
    encoder = network.encoder.eval()

    def features(table, fmt):
        out = []
        for at in range(0, len(table), 64):
            rows = table.iloc[at:at + 64]
            texts, spans, pairs = [], [], None
            for r in rows.itertuples():
                if fmt == "marked":
                    texts.append(r.sentence[:r.start] + "[ " + r.mention_text + " ]"
                                 + r.sentence[r.end:])
                    spans.append((r.start, r.end + 4))
                else:
                    texts.append(r.sentence)
                    spans.append((r.start, r.end))
            if fmt == "pair":
                pairs = [r.mention_text for r in rows.itertuples()]
            batch = tokenizer(texts, pairs, padding=True, truncation=True, max_length=MAX_TOKENS,
                              return_tensors="pt", return_offsets_mapping=True)
            offsets = batch.pop("offset_mapping")
            with torch.no_grad():
                hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            mean = (hidden * mask).sum(1) / mask.sum(1)
            if fmt in ("sentence", "pair"):
                out.append(mean.numpy())
                continue
            first = torch.tensor([s for s, _ in spans]).unsqueeze(1)
            last = torch.tensor([e for _, e in spans]).unsqueeze(1)
            in_text = torch.tensor([[sid == 0 for sid in batch.sequence_ids(i)]
                                    for i in range(len(rows))])
            mention = ((offsets[:, :, 1] > first) & (offsets[:, :, 0] < last) & in_text
                       & (offsets[:, :, 1] > offsets[:, :, 0])).unsqueeze(-1).float()
            pooled = (hidden * mention).sum(1) / mention.sum(1).clamp(min=1)
            out.append(torch.cat([mean, pooled], 1).numpy())
        return np.vstack(out)

    tables = {s: t.assign(mention_text=[r.sentence[r.start:r.end] for r in t.itertuples()])
              for s, t in data.items()}
    results = {}
    for fmt in ("sentence", "marked", "pair", "pooled"):
        x = {s: features(t, fmt) for s, t in tables.items()}
        best = None
        for c in (0.01, 0.03, 0.1, 0.3):
            model = make_pipeline(StandardScaler(), LogisticRegression(
                C=c, max_iter=3000, class_weight="balanced"))
            model.fit(x["train"], data["train"]["stance"])
            pred = {s: model.predict(x[s]) for s in (*DEV, *TEST)}
            dev = np.mean([_f1(data[s]["stance"], pred[s]) for s in DEV])
            if best is None or dev > best[0]:
                best = (dev, pred, f"C {c}")
        results[f"frozen MiniLM, {fmt}"] = (best[1], best[2])
    return results


def predict(model, table):
    proba = model.predict_proba(table["sentence"].tolist(),
                                list(zip(table["start"], table["end"], strict=True)))
    return np.asarray(model.classes, dtype=object)[proba.argmax(1)]


def score_all(data, predictions, settings):
    rows = []
    for name, pred in predictions.items():
        row = {"method": name, "setting": settings[name]}
        for split in (*DEV, *TEST):
            y = data[split]["stance"].to_numpy()
            row[split] = round(_f1(y, pred[split]), 4)
            if split in TEST:
                low, high = bootstrap_macro_f1(y, pred[split], STANCE_CLASSES,
                                               _sentences(data[split]), N_BOOTSTRAP, seed=SEED)
                row[f"{split}_interval"] = [round(low, 4), round(high, 4)]
        rows.append(row)
    return rows


def paired_leads(data, predictions):
    leads = {}
    models = [m for m in ("shipped", "finetuned") if m in predictions]
    for model in models:
        for other, pred in predictions.items():
            if other in models:  # the models are compared with the baselines, not each other
                continue
            for split in TEST:
                y = data[split]["stance"].to_numpy()
                low, high = bootstrap_macro_f1_gap(y, predictions[model][split], pred[split],
                                                   STANCE_CLASSES, _sentences(data[split]),
                                                   N_BOOTSTRAP, seed=SEED)
                lead = _f1(y, predictions[model][split]) - _f1(y, pred[split])
                leads[f"{model} - {other} ({split})"] = [round(lead, 4), round(low, 4),
                                                         round(high, 4)]
    return leads


def print_table(rows, leads, cost):
    print(f"{'method':30} {'setting':34} {'rw-dev':>6} {'mt-dev':>6}  {'rw-test':22} mt-test")
    for row in rows:
        tests = "  ".join(f"{row[s]:.3f} [{row[s + '_interval'][0]:.3f}, "
                          f"{row[s + '_interval'][1]:.3f}]" for s in TEST)
        print(f"{row['method']:30} {row['setting'][:34]:34} {row['rw-dev']:6.3f} "
              f"{row['mt-dev']:6.3f}  {tests}")
    for name, scores in PUBLISHED.items():
        print(f"{name:30} {'':34} {'':6} {'':6}  {scores['rw-test']:.3f}{'':17}  "
              f"{scores['mt-test']:.3f}")
    print("\nleads (macro-F1 difference, 95% paired interval over sentences)")
    for name, (lead, low, high) in leads.items():
        print(f"  {name:45} {lead:+.3f} [{low:+.3f}, {high:+.3f}]")
    for name, facts in cost.items():
        print(f"{name}: {facts['mentions_per_second']} mentions/s predicting, weights "
              f"{facts['weights_mb']} MB; target rw-test >= {TARGETS[name]}")


def _window(row, k: int) -> str:
    words = list(re.finditer(r"\S+", row.sentence))
    first = next((i for i, w in enumerate(words) if w.end() > row.start), 0)
    last = next((i for i, w in enumerate(words) if w.start() >= row.end), len(words))
    chosen = words[max(0, first - k):first] + words[last:last + k]
    return " ".join(w.group() for w in chosen)


def _banded(compound: np.ndarray, band: float) -> np.ndarray:
    return np.where(compound <= -band, "negative",
                    np.where(compound >= band, "positive", "neutral")).astype(object)


def _f1(y, pred) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y, pred, average="macro"))


def _sentences(table: pd.DataFrame) -> np.ndarray:
    return pd.factorize(table["sentence"])[0]


if __name__ == "__main__":
    main()

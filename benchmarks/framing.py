"""Our framing stage on three labelled news corpora, beside the published figures.

Datasets (read from ../shared/data through the experiments' own configs, so the normal
corpus pipeline loads, filters, de-duplicates and segments them):

- BABE bias (experiments/babe.yaml): 3,673 sentences, Biased / Non-biased. Spinde et al.
  (Findings of EMNLP 2021) report macro-F1 0.804 (BERT pre-trained with distant supervision)
  and 0.789 (plain BERT) under 5-fold cross-validation: our random split is that protocol.
- BABE leaning (experiments/babe_leaning.yaml): the outlet's leaning left / center / right.
  No published figure; only the outlet-grouped score is meaningful (the label is the
  outlet's, so a random split rewards recognising outlets).
- GVFC frame (experiments/gvfc.yaml): 1,300 headlines, nine frames. Liu et al. (CoNLL 2019)
  and Tourni et al. (2024; up to 82.4% accuracy with headline + lead-image features, per an
  online summary of the paper) report accuracy on their own splits, not macro-F1 under ours:
  not comparable, shown for context.

For each dataset, each feature set runs through ``stance.framing.evaluate_framing`` (balanced
logistic regression, sigmoid calibration, as the experiment configures it), which also scores
the majority and lexicon-only baselines, under a random stratified 5-fold split of documents
(each with its near-copies) and an outlet-grouped split. TF-IDF words + logistic regression
is the reference baseline: each other feature set's outlets-held-out macro-F1 is compared
with it by a paired bootstrap over outlet groups (``vs_reference`` in the results).
Intervals are 95% bootstrap intervals (documents resampled for the random split, outlet
groups for the grouped one, so the grouped intervals are wide with few outlets).

``--setfit`` adds ``framing.classifier: setfit`` on BABE bias (the local MiniLM fine-tuned
contrastively on each training part, logistic regression head; see run_setfit) to the
saved results: random 5-fold and outlet-grouped (5 folds of whole outlets, not leave one
outlet out: 11 fine-tunings would not fit the time budget), with each fold's training time;
``--setfit-frozen`` runs the same folds, blocks and head over the frozen model beside it.
Its settings come from ``--tune-setfit``, run once: fold 0 of the random split keeps its
test documents out; 20% of its training documents are a dev set, the rest train, and the
best dev macro-F1 within the time budget wins (results/framing_setfit_dev.json). No
reported fold's test data chose a setting.

BABE also marks, in each sentence, the words that make it biased (``biased_words``). The
feature set ``...+learned_cues`` learns a cue lexicon from the training part's marked words
(framing.rationales; see stance.framing.LearnedCues) and runs on BABE bias only; a test sentence's
own marks are never read. It uses supervision the published model did not have, so its rows
are shown apart from the sentence-label-only ones. ``--learned-cues`` adds it to the
``--setfit`` and ``--setfit-frozen`` runs.

Run: flock /tmp/stance-bench.lock .venv/bin/python benchmarks/framing.py [--quick]
     flock /tmp/stance-bench.lock .venv/bin/python benchmarks/framing.py --tune-setfit
     flock /tmp/stance-bench.lock .venv/bin/python benchmarks/framing.py --setfit [--learned-cues]
     .venv/bin/python benchmarks/framing.py --setfit-frozen [--learned-cues]   (seconds)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stance.config import load_config
from stance.corpus import prepare_corpus, segment_corpus
from stance.framing import evaluate_framing, labelled_units
from stance.framing._evaluate import copy_keys
from stance.framing._folds import shares_text
from stance.framing._scores import bootstrap_macro_f1_gap

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Dataset:
    """One benchmark task: an experiment config and what the literature reports for it."""

    config: str
    published: str
    #: A published macro-F1 under a protocol our random split reproduces, else None.
    published_random_f1: float | None = None
    #: The label column of annotated cue words (framing.rationales), if the data has one.
    rationales: str | None = None


DATASETS = {
    "babe_bias": Dataset(
        "experiments/babe.yaml",
        "0.804 macro-F1, BERT + distant supervision; 0.789 plain BERT (Spinde et al. 2021, "
        "5-fold CV)", 0.804, rationales="biased_words"),
    "babe_leaning": Dataset("experiments/babe_leaning.yaml", "no published figure"),
    "gvfc_frame": Dataset(
        "experiments/gvfc.yaml",
        "not comparable: accuracy on the authors' own splits (Tourni et al. 2024, arXiv "
        "2406.17213: up to 0.824 accuracy with headline + lead-image features, as summarised "
        "online; not checked against the paper)"),
}
FEATURE_SETS = {
    "tfidf_words": ["tfidf_words"],
    "tfidf_words+tfidf_chars": ["tfidf_words", "tfidf_chars"],
    "lexicon": ["lexicon"],
    "embeddings": ["embeddings"],
    "embeddings+tfidf_words+lexicon": ["embeddings", "tfidf_words", "lexicon"],
    # datasets with annotated cue words only (Dataset.rationales)
    "embeddings+tfidf_words+lexicon+learned_cues": ["embeddings", "tfidf_words", "lexicon",
                                                    "learned_cues"],
}
#: How the rows of --setfit and --setfit-frozen end (which a --datasets re-run keeps).
SETFIT_LABEL_END = " (5 outlet folds)"
REFERENCE = "tfidf_words"  # TF-IDF + logistic regression, the baseline a model must beat
SPLITS = ("random", "grouped")
#: --tune-setfit candidates: (steps, learning rate, feature blocks beside the tuned body).
#: 100 steps is about the most a 5-fold run affords in 15-20 minutes on the 2 shared cores.
SETFIT_GRID = [(60, 2e-5), (60, 5e-5), (100, 5e-5)]
#: Blocks compared on the dev set for each candidate (one fine-tuning serves both heads).
SETFIT_HEADS = {"embeddings": ["embeddings"],
                "embeddings+tfidf_words+lexicon": ["embeddings", "tfidf_words", "lexicon"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="BABE bias only, 100 bootstrap resamples")
    parser.add_argument("--datasets", nargs="+", choices=sorted(DATASETS),
                        help="datasets to run (default: all; --quick: babe_bias)")
    parser.add_argument("--features", nargs="+", choices=list(FEATURE_SETS),
                        help="feature sets to run (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "reports/.cache/embeddings")
    parser.add_argument("--table-only", action="store_true",
                        help="re-print the table and targets of results/framing.json")
    parser.add_argument("--setfit", action="store_true",
                        help="add classifier: setfit on BABE bias to results/framing.json")
    parser.add_argument("--setfit-frozen", action="store_true",
                        help="the setfit rows' folds, blocks and head over the frozen model")
    parser.add_argument("--learned-cues", action="store_true",
                        help="with --setfit or --setfit-frozen: add cues learned from BABE's "
                             "annotated words")
    parser.add_argument("--tune-setfit", action="store_true",
                        help="choose the setfit settings on a dev split of fold 0's training part")
    args = parser.parse_args()
    if args.tune_setfit:
        tune_setfit()
        return
    if args.setfit or args.setfit_frozen:
        run_setfit(frozen=args.setfit_frozen, cache_dir=args.cache_dir,
                   learned_cues=args.learned_cues)
        return
    if args.table_only:
        saved = json.loads((RESULTS / "framing.json").read_text())
        first = next(iter(saved["datasets"].values()))
        _finish(saved["rows"], saved["datasets"], list(first["runs"]), saved["quick"])
        return
    names = args.datasets or (["babe_bias"] if args.quick else list(DATASETS))
    feature_sets = args.features or list(FEATURE_SETS)

    rows, details = [], {}
    for name in names:
        dataset = DATASETS[name]
        cfg = load_config(ROOT / dataset.config)
        cleaned, digest = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=cfg.seed)
        segments = segment_corpus(cleaned.corpus, cfg.segmentation)
        details[name] = {"config": dataset.config, "corpus_sha256": digest,
                         "published": dataset.published, "configured": list(cfg.framing.features),
                         "calibrate": cfg.framing.calibrate, "runs": {}}
        baselines_done, reference = False, None
        for label in feature_sets:
            update = {"features": FEATURE_SETS[label]}
            if "learned_cues" in FEATURE_SETS[label]:
                if dataset.rationales is None:
                    continue
                update["rationales"] = dataset.rationales
            if args.quick:
                update["n_bootstrap"] = 100
            framing = cfg.framing.model_copy(update=update)
            start = time.perf_counter()
            result = evaluate_framing(cleaned.corpus, segments, framing, seed=cfg.seed,
                                      embedding=cfg.embedding, cache_dir=args.cache_dir)
            seconds = time.perf_counter() - start
            metrics = result.metrics
            details[name]["runs"][label] = _summary(metrics, seconds)
            if label == REFERENCE:
                reference = result
            elif reference is not None:
                details[name]["runs"][label]["vs_reference"] = _paired_gap(
                    result, reference, framing.n_bootstrap, seed=cfg.seed)
            if not details[name].get("counts"):
                details[name]["counts"] = {k: metrics[k] for k in (
                    "n_units", "n_documents", "n_outlets", "n_groups", "documents_per_class",
                    "dropped_classes", "small_n", "cv")}
            new = [_row(name, label, split, metrics[split], dataset) for split in SPLITS]
            if not baselines_done:  # the same for every feature set: show them once
                for baseline in ("majority", "lexicon"):
                    scores = metrics["baselines"][baseline]
                    new += [_row(name, f"baseline: {baseline}", split, scores[split], dataset)
                            for split in SPLITS]
                baselines_done = True
            rows += new
            for row in new:
                print(_line(row), flush=True)
            print(f"  ({label}: {seconds:.0f} s)", flush=True)

    saved = RESULTS / "framing.json"
    if args.datasets and not args.quick and args.features is None and saved.is_file():
        # a partial re-run replaces its datasets' feature-set rows in the saved results and
        # keeps the other datasets and, made from the same file, the rows --setfit added
        old = json.loads(saved.read_text())
        for name in names:
            before = old["datasets"].get(name, {})
            same_file = before.get("corpus_sha256") == details[name]["corpus_sha256"]
            added = {label: run for label, run in before.get("runs", {}).items()
                     if same_file and label.endswith(SETFIT_LABEL_END)}
            details[name]["runs"].update(added)
            rows += [r for r in old["rows"] if r["dataset"] == name and r["model"] in added]
        details = {**{k: v for k, v in old["datasets"].items() if k not in details}, **details}
        rows = [r for r in old["rows"] if r["dataset"] not in names] + rows
        order = list(DATASETS)
        details = dict(sorted(details.items(), key=lambda item: order.index(item[0])))
        rows.sort(key=lambda r: order.index(r["dataset"]))
    _finish(rows, details, feature_sets, args.quick)


def _babe_units(learned_cues: bool = False):
    """BABE bias as the framing stage sees it: config, units, texts, labels, groups, documents.

    ``learned_cues``: the config's framing section also learns cues from the annotated
    words (``Dataset.rationales``), and the units carry them.
    """
    cfg = load_config(ROOT / DATASETS["babe_bias"].config)
    if learned_cues:
        cfg = cfg.model_copy(update={"framing": cfg.framing.model_copy(update={
            "rationales": DATASETS["babe_bias"].rationales,
            "features": [*cfg.framing.features, "learned_cues"]})})
    cleaned, digest = prepare_corpus(cfg.corpus, cfg.cleaning, cfg.dedup, seed=cfg.seed)
    segments = segment_corpus(cleaned.corpus, cfg.segmentation)
    units = labelled_units(cleaned.corpus, segments, cfg.framing)
    table = units.table
    outlets = tuple(sorted(cleaned.corpus.documents["outlet"].astype(str).unique()))
    return (cfg, units, outlets, table["text"].to_numpy(dtype=object),
            table["label"].to_numpy(dtype=str), table["group"].to_numpy(dtype=object),
            table["doc_id"].to_numpy(dtype=object), digest)


def tune_setfit() -> None:
    """Dev-set macro-F1 of each SETFIT_GRID candidate; writes results/framing_setfit_dev.json."""
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MaxAbsScaler

    from stance.framing import build_pipeline
    from stance.framing._folds import random_folds

    cfg, _, outlets, texts, y, _, doc_ids, _ = _babe_units()
    _, folds = random_folds(y, doc_ids, cfg.framing, seed=cfg.seed)
    # Fold 0's test documents are never used; its training part is split into fit and dev.
    fit, dev = train_test_split(np.flatnonzero(folds != 0), test_size=0.2,
                                stratify=y[folds != 0], random_state=cfg.seed)
    trials = []
    for steps, rate in SETFIT_GRID:
        framing = cfg.framing.model_copy(update={
            "classifier": "setfit", "calibrate": False,
            "features": SETFIT_HEADS["embeddings+tfidf_words+lexicon"],
            "finetune": cfg.framing.finetune.model_copy(
                update={"steps": steps, "learning_rate": rate})})
        start = time.perf_counter()
        model = build_pipeline(framing, seed=cfg.seed, outlet_names=outlets,
                               embedding=cfg.embedding).fit(texts[fit].tolist(), y[fit])
        seconds = time.perf_counter() - start
        scores = {"embeddings+tfidf_words+lexicon": f1_score(
            y[dev], model.predict(texts[dev].tolist()), average="macro")}
        # The tuned body's vectors alone under the same head: SetFit proper.
        body = dict(model.named_steps["features"].transformer_list)["embedding"][0]
        mask = model.named_steps["mask"]
        head = make_pipeline(MaxAbsScaler(), build_pipeline(
            framing, seed=cfg.seed).named_steps["classifier"])
        head.fit(body.transform(mask.transform(texts[fit].tolist())), y[fit])
        scores["embeddings"] = f1_score(
            y[dev], head.predict(body.transform(mask.transform(texts[dev].tolist()))),
            average="macro")
        trials.append({"steps": steps, "learning_rate": rate, "fit_seconds": round(seconds, 1),
                       "dev_macro_f1": {k: round(float(v), 4) for k, v in scores.items()}})
        print(json.dumps(trials[-1]), flush=True)
    out = {"protocol": "random split fold 0: its test documents unused; 80% of its training "
                       "documents fit, 20% (stratified) are the dev set",
           "n_fit": len(fit), "n_dev": len(dev), "batch_size": cfg.framing.finetune.batch_size,
           "trials": trials}
    (RESULTS / "framing_setfit_dev.json").write_text(json.dumps(out, indent=2) + "\n")


def _chosen_setfit() -> dict:
    """The dev set's best candidate and head (fewer steps on a tie)."""
    trials = json.loads((RESULTS / "framing_setfit_dev.json").read_text())["trials"]
    options = [(score, -t["steps"], head, t) for t in trials
               for head, score in t["dev_macro_f1"].items()]
    score, _, head, best = max(options, key=lambda o: o[:2])
    return {"steps": best["steps"], "learning_rate": best["learning_rate"], "head": head,
            "dev_macro_f1": score}


def run_setfit(frozen: bool = False, cache_dir: Path | None = None,
               learned_cues: bool = False) -> None:
    """classifier: setfit on BABE bias, random 5-fold and grouped 5-fold, into framing.json.

    ``frozen``: the same folds, blocks and head over the frozen (cached) model instead, so
    the grouped score has a counterpart under the same 5 outlet folds. ``learned_cues``:
    the learned_cues block (from BABE's annotated words) beside the chosen head's blocks.
    """
    from stance.framing import build_pipeline
    from stance.framing._folds import CrossPrediction, fit_model, grouped_folds, random_folds
    from stance.framing._scores import score_split

    cfg, units, outlets, texts, y, groups, doc_ids, digest = _babe_units(learned_cues)
    rationales = units.table["rationale"].to_numpy(dtype=object) if learned_cues else None
    same_text = copy_keys(texts, outlets)  # copies kept out of training, as evaluate_framing
    chosen = _chosen_setfit()
    framing = cfg.framing.model_copy(update={
        "classifier": "logreg" if frozen else "setfit", "calibrate": False,
        "features": SETFIT_HEADS[chosen["head"]] + (["learned_cues"] if learned_cues else []),
        "cv": "stratified_group_kfold", "finetune": cfg.framing.finetune.model_copy(update={
            "steps": chosen["steps"], "learning_rate": chosen["learning_rate"]})})
    classes = list(units.classes)
    copies = units.table["dup_group"].to_numpy(dtype=object)  # as evaluate_framing splits
    splits = {"random": (random_folds(y, copies, framing, seed=cfg.seed)[1], copies),
              "grouped": (grouped_folds(y, groups, framing, seed=cfg.seed)[1], groups)}
    run = {"fold_seconds": {}, "copies_left_out_of_training": {}}
    label = (("frozen" if frozen else "setfit") + (" + learned cues" if learned_cues else "")
             + SETFIT_LABEL_END)
    for split, (folds, resample) in splits.items():
        predicted = np.empty(len(y), dtype=object)
        proba = np.zeros((len(y), len(classes)))
        seconds = []
        left_out = []
        for fold in np.unique(folds):
            train, test = folds != fold, folds == fold
            shared = train & shares_text(same_text, test)
            left_out.append(int(shared.sum()))  # one count per fold
            train &= ~shared
            if len(set(y[train])) < 2:
                raise SystemExit(f"{label} {split} fold {fold}: fewer than two classes left "
                                 "to train on")
            start = time.perf_counter()
            model, _ = fit_model(
                lambda: build_pipeline(framing, seed=cfg.seed, outlet_names=outlets,
                                       embedding=cfg.embedding, cache_dir=cache_dir),
                texts[train], y[train], calibration_groups=groups[train], calibrate=False,
                seed=cfg.seed, rationales=None if rationales is None else rationales[train],
                documents=doc_ids[train], same_text=same_text[train])
            seconds.append(round(time.perf_counter() - start, 1))
            predicted[test] = model.predict(texts[test].tolist())
            proba[test] = model.predict_proba(texts[test].tolist())[
                :, [list(model.classes_).index(c) for c in classes]]
            print(f"  {label} {split} fold {fold}: fit {seconds[-1]:.0f} s", flush=True)
        prediction = CrossPrediction(predicted.astype(str), proba, len(seconds), (), (), ())
        run[split] = score_split(y, prediction, classes, resample=resample, groups=groups,
                                 doc_ids=doc_ids, n_bootstrap=framing.n_bootstrap,
                                 seed=cfg.seed, detail=False)
        run["fold_seconds"][split] = seconds
        run["copies_left_out_of_training"][split] = left_out
        print(_line(_row("babe_bias", label, split, run[split], DATASETS["babe_bias"])),
              flush=True)
    run["settings"] = {**chosen, "batch_size": framing.finetune.batch_size, "frozen": frozen,
                       "learned_cues": learned_cues,
                       "grouped_cv": "stratified_group_kfold, 5 folds of outlets",
                       "calibrate": False, "chosen_by": "results/framing_setfit_dev.json"}
    saved = json.loads((RESULTS / "framing.json").read_text())
    if saved["datasets"]["babe_bias"]["corpus_sha256"] != digest:
        raise SystemExit("results/framing.json was made from another BABE file; re-run it first")
    saved["datasets"]["babe_bias"]["runs"][label] = {
        **run, "baselines": {}, "leakage_gap": run["random"]["macro_f1"]
        - run["grouped"]["macro_f1"], "seconds": sum(map(sum, run["fold_seconds"].values()))}
    rows = [r for r in saved["rows"] if r["model"] != label]
    last = max(i for i, r in enumerate(rows) if r["dataset"] == "babe_bias")
    rows[last + 1:last + 1] = [_row("babe_bias", label, split, run[split],
                                    DATASETS["babe_bias"]) for split in SPLITS]
    first = next(iter(saved["datasets"].values()))
    _finish(rows, saved["datasets"], [f for f in first["runs"] if f in FEATURE_SETS],
            saved["quick"])


def _finish(rows: list[dict], details: dict, feature_sets: list[str], quick: bool) -> None:
    """Print the table and the targets, and write results/framing.json and .txt."""
    targets = _targets(details, feature_sets)
    report = _table(rows) + "\n\nTargets:\n" + "\n".join(
        f"  {'MET    ' if t['met'] else 'NOT MET'} {t['target']}: {t['detail']}" for t in targets)
    print(report)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"protocol": "stance.framing.evaluate_framing per dataset x feature set; random "
                       "stratified 5-fold and outlet-grouped CV; 95% bootstrap intervals",
           "quick": quick, "reference": REFERENCE, "datasets": details, "rows": rows,
           "targets": targets}
    path = RESULTS / ("framing.quick.json" if quick else "framing.json")
    path.write_text(json.dumps(out, indent=2, default=str) + "\n")
    path.with_suffix(".txt").write_text(report.lstrip() + "\n")
    print(f"\nwrote {path.relative_to(ROOT)}")


def _paired_gap(result, reference, n_bootstrap: int, *, seed: int) -> dict:
    """Outlets-held-out macro-F1 of ``result`` minus the reference's, with a paired interval.

    Both runs predict the same units in the same outlet folds, so each bootstrap resample
    draws the same outlet groups for both (:func:`bootstrap_macro_f1_gap`): what the two
    share cancels, and the interval says whether the difference holds across outlets,
    which two overlapping intervals cannot.
    """
    ours, theirs = result.predictions, reference.predictions
    if not (np.array_equal(ours["unit_id"], theirs["unit_id"])
            and np.array_equal(ours["fold"], theirs["fold"])):
        raise RuntimeError("the two runs did not score the same units in the same folds")
    low, high = bootstrap_macro_f1_gap(
        ours["true"].to_numpy(dtype=str), ours["predicted"].to_numpy(dtype=str),
        theirs["predicted"].to_numpy(dtype=str), result.metrics["classes"],
        ours["group"].to_numpy(dtype=object), n_bootstrap, seed=seed)
    gap = result.metrics["grouped"]["macro_f1"] - reference.metrics["grouped"]["macro_f1"]
    return {"reference": REFERENCE, "grouped_gap": gap, "grouped_gap_low": low,
            "grouped_gap_high": high}


def _summary(metrics: dict, seconds: float) -> dict:
    keep = ("macro_f1", "macro_f1_low", "macro_f1_high", "accuracy", "per_class", "n_folds",
            "calibrated_folds", "folds_missing_classes")
    out = {split: {k: metrics[split][k] for k in keep if k in metrics[split]}
           for split in SPLITS}
    out["baselines"] = metrics["baselines"]
    out["leakage_gap"] = metrics["leakage_gap"]
    out["seconds"] = round(seconds, 1)
    return out


def _row(dataset: str, model: str, split: str, scores: dict, info: Dataset) -> dict:
    return {"dataset": dataset, "model": model, "split": split,
            "macro_f1": scores["macro_f1"], "low": scores["macro_f1_low"],
            "high": scores["macro_f1_high"], "accuracy": scores["accuracy"],
            "published": info.published_random_f1 if split == "random" else None}


def _line(row: dict) -> str:
    return (f"{row['dataset']:<13} {row['model']:<44} {row['split']:<8} "
            f"{row['macro_f1']:.3f} [{row['low']:.3f}, {row['high']:.3f}]  "
            f"acc {row['accuracy']:.3f}")


def _table(rows: list[dict]) -> str:
    header = (f"{'dataset':<13} {'model':<44} {'split':<8} {'macro-F1 [95% CI]':<22}  "
              f"{'accuracy':<9}  published macro-F1")
    lines = []
    for dataset in dict.fromkeys(row["dataset"] for row in rows):
        lines += ["", f"{dataset}: published {DATASETS[dataset].published}", header,
                  "-" * len(header)]
        for row in (r for r in rows if r["dataset"] == dataset):
            published = "" if row["published"] is None else f"{row['published']:.3f}"
            lines.append(f"{_line(row)}  {published}")
    return "\n".join(lines)


def _targets(details: dict, feature_sets: list[str]) -> list[dict]:
    """Each dataset's configured model against TF-IDF + LR (grouped), and BABE against 0.804."""
    targets = []
    for name, info in details.items():
        runs = info["runs"]
        configured = "+".join(info["configured"])
        ours = next((label for label in feature_sets
                     if FEATURE_SETS[label] == info["configured"]), None)
        if REFERENCE in runs and ours is not None:
            a, b = runs[ours]["grouped"], runs[REFERENCE]["grouped"]
            separated = a["macro_f1_low"] > b["macro_f1_high"]
            detail = (f"{a['macro_f1']:.3f} vs {b['macro_f1']:.3f} (intervals "
                      f"{'separate' if separated else 'overlap'})")
            paired = runs[ours].get("vs_reference")
            if paired:
                holds = ("above 0: it holds across outlets" if paired["grouped_gap_low"] > 0
                         else "reaching 0 or below: not shown to hold across outlets")
                detail += (f"; paired gap {paired['grouped_gap']:+.3f} "
                           f"[{paired['grouped_gap_low']:+.3f}, "
                           f"{paired['grouped_gap_high']:+.3f}], {holds}")
            baselines = runs[ours]["baselines"]
            floor = max(baselines, key=lambda k: baselines[k]["grouped"]["macro_f1"])
            if a["macro_f1"] <= baselines[floor]["grouped"]["macro_f1"]:
                # beating TF-IDF means nothing when both lose to a baseline
                detail += (f"; but the {floor} baseline scores "
                           f"{baselines[floor]['grouped']['macro_f1']:.3f}: no model here "
                           "generalises to unseen outlets")
            # with the paired interval, "beats" means it holds across outlets
            met = (paired["grouped_gap_low"] > 0 if paired
                   else a["macro_f1"] > b["macro_f1"])
            targets.append({
                "target": f"{name}: outlet-grouped, {configured} beats TF-IDF + LR",
                "met": met, "detail": detail})
        published = DATASETS[name].published_random_f1
        if published is not None:
            best = max(runs, key=lambda label: runs[label]["random"]["macro_f1"])  # setfit too
            score = runs[best]["random"]["macro_f1"]
            targets.append({
                "target": f"{name}: random 5-fold reaches {published}",
                "met": score >= published,
                "detail": f"best {best} {score:.3f} "
                          f"[{runs[best]['random']['macro_f1_low']:.3f}, "
                          f"{runs[best]['random']['macro_f1_high']:.3f}]"})
    return targets


if __name__ == "__main__":
    main()

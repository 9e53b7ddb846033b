"""Command line: a thin layer over the Python API. Only this module configures logging."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from stance.errors import StanceError


def _run(args: argparse.Namespace) -> int:
    from stance.api import Experiment

    experiment = Experiment.from_yaml(args.config)
    if experiment.config.sweep:
        return _run_sweep(experiment, args)
    run = experiment.run(progress=not args.quiet, use_cache=not args.no_cache)
    stages = run.manifest["stages"]
    summary = ", ".join(f"{name} {s['seconds']:.1f}s{' (cached)' if s['cached'] else ''}"
                        for name, s in stages.items())
    print(f"run folder: {run.run_dir}")
    print(f"stages: {summary}")
    if run.report is not None:
        print(f"report: {run.report}")
    return 0


def _run_sweep(experiment, args: argparse.Namespace) -> int:
    sweep = experiment.run_sweep(progress=not args.quiet, use_cache=not args.no_cache)
    print(f"sweep folder: {sweep.sweep_dir} ({len(sweep.summary)} points, one run folder each)")
    if sweep.report is not None:
        print(f"report: {sweep.report}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    from stance.api import Experiment

    embeddings, info = Experiment.from_yaml(args.config).embed(progress=not args.quiet,
                                                               use_cache=not args.no_cache)
    print(f"embedded {info['segments']} segments with {info['model_id']} "
          f"({info['texts_encoded']} texts encoded, the rest from the cache)")
    print(f"vectors: {embeddings.vectors.shape[0]} x {embeddings.vectors.shape[1]}")
    print(f"cache: {info['cache_dir']}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    from stance.framing import predict_files

    table = predict_files(args.model, args.files, column=args.column, id_column=args.id_column)
    if args.output:
        table.to_csv(args.output, index=False)
        print(f"wrote {len(table)} predictions to {args.output}")
    elif args.format == "csv":
        print(table.to_csv(index=False), end="")
    else:
        print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    return 0


def _verify(args: argparse.Namespace) -> int:
    from stance.api import load_run

    report = load_run(args.run_dir).verify(use_cache=not args.no_cache,
                                           progress=not args.quiet, against=args.against)
    print(report.table())
    print(report.verdict())
    return 0 if report.ok else 1


def _train_actor_stance(args: argparse.Namespace) -> int:
    import json

    from stance.sentiment import (
        SHIPPED,
        finetuned_model_dir,
        shipped_model_dir,
        train_stance_model,
    )

    out = Path(args.out) if args.out else (
        shipped_model_dir() if args.variant == SHIPPED
        else finetuned_model_dir(Path("reports") / ".cache"))
    # the card to reproduce: the one being replaced, else (a shipped model) the shipped one
    reference = out / "card.json"
    if not reference.is_file() and args.variant == SHIPPED:
        reference = shipped_model_dir() / "card.json"
    before = json.loads(reference.read_text())["scores"] if reference.is_file() else {}
    card = train_stance_model(Path(args.data), out, variant=args.variant, seed=args.seed,
                              log=lambda line: None if args.quiet else print(line))
    settings = card["settings"]
    print(f"model: {out} ({card['name']}: learning rate {settings['learning_rate']:g}, "
          f"{settings['epochs']} epochs, chosen on {' and '.join(settings['chosen_on'])})")
    print(f"{'set':8} {'macro-F1':>8}  {'95% interval':16} {'accuracy':>8}"
          + (f"  {'card':>8}" if before else ""))
    for split, scores in card["scores"].items():
        was = f"  {before[split]['macro_f1']:8.4f}" if split in before else ""
        print(f"{split:8} {scores['macro_f1']:8.4f}  [{scores['macro_f1_low']:.4f}, "
              f"{scores['macro_f1_high']:.4f}] {scores['accuracy']:8.4f}{was}")
    if before:
        same = all(before.get(k, {}).get("macro_f1") == v["macro_f1"]
                   for k, v in card["scores"].items())
        print(f"{'reproduces' if same else 'differs from'} the card in {reference}")
    return 0


def _config_show(args: argparse.Namespace) -> int:
    from stance.api import Experiment

    print(Experiment.from_yaml(args.config).to_yaml(), end="")
    return 0


def _config_reference(args: argparse.Namespace) -> int:
    from stance.config import reference_markdown

    print(reference_markdown(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``stance`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="stance", description="Topic modelling and framing analysis of news coverage.")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no progress bars or stage messages")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run an experiment config and write its run folder")
    run.add_argument("config", help="experiments/NAME.yaml")
    run.add_argument("--no-cache", action="store_true",
                     help="recompute every stage (embeddings stay cached)")
    run.set_defaults(handler=_run)

    embed = commands.add_parser("embed", help="run the stages up to embedding (fills the cache)")
    embed.add_argument("config", help="experiments/NAME.yaml")
    embed.add_argument("--no-cache", action="store_true",
                       help="recompute the corpus and segment stages (embeddings stay cached)")
    embed.set_defaults(handler=_embed)

    predict = commands.add_parser(
        "predict", help="label new texts with a saved framing model (run folder's "
        "framing_model.skops)")
    predict.add_argument("model", help="reports/NAME/latest/framing_model.skops")
    predict.add_argument("files", nargs="+", help=".txt/.md files, or .csv files")
    predict.add_argument("--column", default="text", help="CSV column holding the text")
    predict.add_argument("--id-column", default=None, help="CSV column holding ids")
    predict.add_argument("--format", choices=("table", "csv"), default="table")
    predict.add_argument("-o", "--output", default=None, help="write the CSV to this file")
    predict.set_defaults(handler=_predict)

    verify = commands.add_parser(
        "verify", help="re-run a run folder's config.yaml in a temporary folder and check that "
        "metrics and assignments match (exit 1 if not)")
    verify.add_argument("run_dir", help="reports/NAME/runs/ID or reports/NAME/latest")
    verify.add_argument("--no-cache", action="store_true",
                        help="recompute everything, embeddings included")
    verify.add_argument("--against", metavar="OTHER_RUN_DIR", default=None,
                        help="compare with this run folder instead of re-running")
    verify.set_defaults(handler=_verify)

    train = commands.add_parser("train", help="train a packaged model")
    train_commands = train.add_subparsers(dest="train_command", required=True,
                                          metavar="MODEL")
    stance_model = train_commands.add_parser(
        "actor-stance", help="the actor stance model, on NewsMTSC: settings chosen on its dev "
        "sets, scored on its test sets, written with its model card")
    stance_model.add_argument("--variant", choices=("shipped", "finetuned"), default="shipped",
                              help="shipped: MiniLM's top layer and the classifier (a few MB, "
                              "installed with stance); finetuned: every layer (90 MB, into "
                              "reports/.cache/actor_stance/finetuned)")
    stance_model.add_argument("--data", default="../shared/data/newsmtsc",
                              help="the NewsMTSC folder (train.jsonl, rw-dev.jsonl, ...)")
    stance_model.add_argument("--out", default=None, help="write the model here instead")
    stance_model.add_argument("--seed", type=int, default=42)
    stance_model.set_defaults(handler=_train_actor_stance)

    config = commands.add_parser("config", help="inspect configs")
    config_commands = config.add_subparsers(dest="config_command", required=True,
                                            metavar="SUBCOMMAND")
    show = config_commands.add_parser("show", help="print the resolved config (defaults filled)")
    show.add_argument("config")
    show.set_defaults(handler=_config_show)
    reference = config_commands.add_parser(
        "reference", help="print every setting with its type, default and meaning (Markdown: "
        "docs/config.md)")
    reference.set_defaults(handler=_config_reference)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stance`` command; returns the exit code."""
    parser = build_parser()
    # Options given after the sub-command (stance run x.yaml --quiet) count too.
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    for noisy in ("numba", "matplotlib", "fontTools", "PIL", "urllib3", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.handler(args)
    except StanceError as exc:
        for line in exc.problems:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def command() -> int:
    """The ``stance`` executable: :func:`main`; returns the exit code."""
    return main()


if __name__ == "__main__":
    sys.exit(command())

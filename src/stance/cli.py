"""Command line: a thin layer over the Python API. Only this module configures logging."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from stance.errors import StanceError


def _run(args: argparse.Namespace) -> int:
    from stance.config import load_config
    from stance.runner import run_experiment

    result = run_experiment(load_config(args.config), progress=not args.quiet,
                            use_cache=not args.no_cache)
    stages = result.manifest["stages"]
    summary = ", ".join(f"{name} {s['seconds']:.1f}s{' (cached)' if s['cached'] else ''}"
                        for name, s in stages.items())
    print(f"run folder: {result.run_dir}")
    print(f"stages: {summary}")
    if (result.run_dir / "report.pdf").exists():
        print(f"report: {result.run_dir / 'report.pdf'}")
    return 0


def _embed(args: argparse.Namespace) -> int:
    from stance.config import load_config
    from stance.runner import embed_experiment

    embeddings, info = embed_experiment(load_config(args.config), progress=not args.quiet,
                                        use_cache=not args.no_cache)
    print(f"embedded {info['segments']} segments with {info['model_id']} "
          f"({info['texts_encoded']} texts encoded, the rest from the cache)")
    print(f"vectors: {embeddings.vectors.shape[0]} x {embeddings.vectors.shape[1]}")
    print(f"cache: {info['cache_dir']}")
    return 0


def _config_show(args: argparse.Namespace) -> int:
    from stance.config import dump_config, load_config

    print(dump_config(load_config(args.config)), end="")
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
    run.add_argument("--no-cache", action="store_true", help="recompute every stage")
    run.set_defaults(handler=_run)

    embed = commands.add_parser("embed", help="run the stages up to embedding (fills the cache)")
    embed.add_argument("config", help="experiments/NAME.yaml")
    embed.add_argument("--no-cache", action="store_true",
                       help="recompute the corpus and segment stages (embeddings stay cached)")
    embed.set_defaults(handler=_embed)

    config = commands.add_parser("config", help="inspect configs")
    config_commands = config.add_subparsers(dest="config_command", required=True,
                                            metavar="SUBCOMMAND")
    show = config_commands.add_parser("show", help="print the resolved config (defaults filled)")
    show.add_argument("config")
    show.set_defaults(handler=_config_show)
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


if __name__ == "__main__":
    sys.exit(main())

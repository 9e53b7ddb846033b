"""``python -m stance`` runs the command line."""

import sys

from stance.cli import command

if __name__ == "__main__":  # not when a spawned worker process imports it
    sys.exit(command())

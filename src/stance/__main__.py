"""``python -m stance`` runs the command line."""

import sys

from stance.cli import command

sys.exit(command())

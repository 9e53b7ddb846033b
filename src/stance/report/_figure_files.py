"""Figure files: each figure drawn once by matplotlib, as SVG; its PNG rendered from that SVG.

matplotlib lays a figure out and draws it again for every file it saves, and at 200 dpi
the PNG is most of a figure's cost (0.2-0.8 s a figure). typst, which compiles the report,
renders the SVG to PNG (through resvg) in 0.02-0.18 s, at the size matplotlib's PNG
would have.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from stance.report._markup import literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

#: Pixels per inch of the PNGs, and of the raster layers inside the SVGs (the map's points).
DPI = 200
#: matplotlib's warning for a character its font cannot draw (one per character and draw).
_MISSING_GLYPH = re.compile(r"Glyph (\d+) \(.*\) missing from font\(s\) (.+)\.")
#: Missing characters named in the one line a figure logs about them.
_MISSING_SHOWN = 10


def save_figure(fig: Figure, stem: Path) -> Path:
    """Save ``fig`` as ``stem``.svg and ``stem``.png; return the SVG's path.

    The SVG is trimmed to the figure's content, undated, and its element ids are hashed
    with a fixed salt (matplotlib salts them with a random UUID by default), so the same
    figure gives the same bytes in every run.

    Example:
        >>> save_figure(plots.plot_topic_sizes(topics), folder / "topic_sizes")  # doctest: +SKIP
        PosixPath('.../topic_sizes.svg')
    """
    import matplotlib
    import typst

    svg = stem.with_suffix(".svg")
    with matplotlib.rc_context({"svg.hashsalt": "stance"}), _missing_glyphs() as missing:
        fig.savefig(svg, dpi=DPI, bbox_inches="tight", metadata={"Date": None})
    _log_missing(missing, f"{svg.parent.name}/{svg.name}")
    # root "/" lets the source name the SVG by its absolute path (typst reads only below root)
    source = ("#set page(width: auto, height: auto, margin: 0pt)\n"
              f"#image({literal(svg.resolve().as_posix())})\n")
    stem.with_suffix(".png").write_bytes(typst.compile(
        source.encode(), root="/", format="png", ppi=DPI, ignore_system_fonts=True))
    return svg


@contextmanager
def _missing_glyphs() -> Iterator[dict[str, set[str]]]:
    """Collect, by font, the characters matplotlib warns its font lacks inside the block.

    Left alone, matplotlib warns once per missing character, each warning on two lines,
    and the figure shows boxes where the characters should be. Every other warning goes
    through the usual filters and display unchanged.
    """
    missing: dict[str, set[str]] = {}
    with warnings.catch_warnings():
        warnings.filterwarnings("always", message=_MISSING_GLYPH.pattern)
        passed_on = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            glyph = _MISSING_GLYPH.match(str(message))
            if glyph is None:
                passed_on(message, category, filename, lineno, file, line)
            else:
                missing.setdefault(glyph[2], set()).add(chr(int(glyph[1])))

        warnings.showwarning = show
        yield missing


def _log_missing(missing: dict[str, set[str]], where: str) -> None:
    """One line per font: which characters it lacked, and how to add a font that has them."""
    for fonts, characters in missing.items():
        shown = " ".join(sorted(characters)[:_MISSING_SHOWN]) + (
            " ..." if len(characters) > _MISSING_SHOWN else "")
        many = "," in fonts
        # matplotlib falls back along font.family's list, not along font.sans-serif's
        log.warning("%s: %d character%s missing from the font%s (%s) and show%s as boxes: "
                    "%s; list a font that has them after %s in matplotlib's font.family "
                    "(matplotlibrc)", where, len(characters),
                    "s are" if len(characters) > 1 else " is", "s" if many else "", fonts,
                    "" if len(characters) > 1 else "s", shown, "those" if many else fonts)

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
from pathlib import Path
from typing import TYPE_CHECKING

from stance.typst_markup import literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

#: Pixels per inch of the PNGs, and of the raster layers inside the SVGs (the map's points).
DPI = 200
#: matplotlib's warning for a character its font cannot draw (one per character and draw).
_MISSING_GLYPH = re.compile(r"Glyph (\d+) \(.*\) missing from font\(s\) (.+)\.$")
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
    with matplotlib.rc_context({"svg.hashsalt": "stance"}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(svg, dpi=DPI, bbox_inches="tight", metadata={"Date": None})
    _report_warnings(caught, f"{svg.parent.name}/{svg.name}")
    # root "/" lets the source name the SVG by its absolute path (typst reads only below root)
    source = ("#set page(width: auto, height: auto, margin: 0pt)\n"
              f"#image({literal(svg.resolve().as_posix())})\n")
    stem.with_suffix(".png").write_bytes(typst.compile(
        source.encode(), root="/", format="png", ppi=DPI, ignore_system_fonts=True))
    return svg


def _report_warnings(caught: list[warnings.WarningMessage], where: str) -> None:
    """Log the characters the font lacked in one line; pass every other warning on.

    Left alone, matplotlib warns once per missing character, each warning on two lines,
    and the figure shows boxes where the characters should be.
    """
    missing: dict[str, set[str]] = {}
    for warning in caught:
        glyph = _MISSING_GLYPH.match(str(warning.message))
        if glyph is None:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno, source=warning.source)
        else:
            missing.setdefault(glyph[2], set()).add(chr(int(glyph[1])))
    for fonts, characters in missing.items():
        shown = " ".join(sorted(characters)[:_MISSING_SHOWN]) + (
            " ..." if len(characters) > _MISSING_SHOWN else "")
        # matplotlib falls back along font.family's list, not along font.sans-serif's
        log.warning("%s: %d characters are missing from the font (%s) and show as boxes: "
                    "%s; list a font that has them after %s in matplotlib's font.family "
                    "(matplotlibrc)", where, len(characters), fonts, shown, fonts)

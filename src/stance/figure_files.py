"""Figure files: each figure drawn once by matplotlib, as SVG; its PNG rendered from that SVG.

matplotlib lays a figure out and draws it again for every file it saves, and at 200 dpi
the PNG is most of a figure's cost (0.2-0.8 s a figure). typst, which compiles the report,
renders the SVG to PNG (through resvg) in 0.02-0.18 s, at the size matplotlib's PNG
would have.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stance.typst_markup import literal

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Pixels per inch of the PNGs, and of the raster layers inside the SVGs (the map's points).
DPI = 200


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
    with matplotlib.rc_context({"svg.hashsalt": "stance"}):
        fig.savefig(svg, dpi=DPI, bbox_inches="tight", metadata={"Date": None})
    # root "/" lets the source name the SVG by its absolute path (typst reads only below root)
    source = ("#set page(width: auto, height: auto, margin: 0pt)\n"
              f"#image({literal(svg.resolve().as_posix())})\n")
    stem.with_suffix(".png").write_bytes(typst.compile(
        source.encode(), root="/", format="png", ppi=DPI, ignore_system_fonts=True))
    return svg

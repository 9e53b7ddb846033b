"""Small builders of Typst markup; every piece of corpus text goes through :func:`text`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

#: Every report's page set-up. Tables sit in figures (for their captions), which Typst
#: keeps on one page unless told otherwise: a table of a hundred outlets would run off the
#: page, so table figures may break across pages, repeating their header row.
_PREAMBLE = """#set document(title: {title})
#set page(paper: "a4", margin: (x: {margin}, y: 2.4cm), numbering: "1")
#set text(size: 10.5pt)
#set par(justify: true)
#set heading(numbering: "1.")
#show heading.where(level: 1): it => block(above: 1.6em, below: 0.8em, it)
#show figure.where(kind: table): set block(breakable: true)
"""


def preamble(title: str, *, margin: str = "2.2cm") -> str:
    """The page set-up of a report titled ``title`` (its side margins ``margin``)."""
    return _PREAMBLE.format(title=literal(title), margin=margin)


def literal(value: object) -> str:
    """A Typst string literal: safe for any text, since nothing inside is markup."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\r", "")
    return f'"{escaped}"'


def text(value: object) -> str:
    """Arbitrary text placed in markup, shown verbatim (``#``, ``*``, ``$``, ``]`` included)."""
    return f"#{literal(value)}"


def heading(title: str, level: int = 1) -> str:
    """A section heading."""
    return f"{'=' * level} {text(title)}\n"


def paragraph(*parts: str) -> str:
    """A paragraph made of already-built markup parts."""
    return " ".join(parts) + "\n\n"


def table(frame: pd.DataFrame, *, align: Sequence[str] | None = None,
          size: str = "9pt", caption: str | None = None, header: bool = True) -> str:
    """A table with a bold header row (the column names; none with ``header=False``).

    Every cell is escaped text. A column of whole numbers (floats included, as a sweep's
    topic counts are) shows them as integers; other numbers get three decimals.
    """
    columns = list(frame.columns)
    align = align or ["left"] + ["right"] * (len(columns) - 1)
    names = ", ".join(f"[*{text(c)}*]" for c in columns)
    whole = [_whole_numbers(frame.iloc[:, k]) for k in range(len(columns))]
    cells = ",\n  ".join(", ".join(literal(_cell(v, as_integer)) for v, as_integer
                                   in zip(row, whole, strict=True))
                         for row in frame.itertuples(index=False))
    head = f"  table.header({names}),\n" if header else ""
    body = (f"#text(size: {size})[#table(columns: {len(columns)}, "
            f"align: ({', '.join(align)},), stroke: 0.4pt + luma(180),\n"
            f"{head}  {cells}\n)]")
    if caption:
        return f"#figure({body[1:]}, caption: [{text(caption)}], kind: table)\n\n"
    return body + "\n\n"


def _whole_numbers(column: pd.Series) -> bool:
    """Whether ``column`` holds counts: numbers, all whole, some beyond 1 (missing aside).

    Shares and scores of only 0 and 1 keep their decimals.
    """
    if pd.api.types.is_bool_dtype(column):
        return False
    numbers = pd.to_numeric(column[column.notna()], errors="coerce")
    return (bool(len(numbers)) and bool(numbers.notna().all())
            and bool((numbers % 1 == 0).all()) and bool((numbers.abs() > 1).any()))


def image(path: str, caption: str, width: str = "85%") -> str:
    """A figure from a file relative to the report's root folder."""
    return f"#figure(image({literal(path)}, width: {width}), caption: [{text(caption)}])\n\n"


def warning(title: str, body: str) -> str:
    """A shaded block opening with ``title`` in bold; ``body`` is already-built markup."""
    return (f"#block(fill: rgb(\"#fdecea\"), inset: 8pt, radius: 3pt, width: 100%)"
            f"[*{text(title)}* {body}]\n\n")


def bullets(items: Iterable[str]) -> str:
    """A bullet list of already-built markup items."""
    return "".join(f"- {item}\n" for item in items) + "\n"


def _cell(value: object, as_integer: bool = False) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return "–"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float):  # one column, one number of decimals: 0.160 beside 0.348
        if as_integer:
            return f"{value:.0f}"
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)

"""Publication dates as corpora write them: ISO 8601, a strftime pattern, or day/month order.

A date is never guessed: a value the configured format does not read, or one whose
reading depends on a guess (a two-digit year), is reported with its row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

#: A UTC offset (Z, +02:00, -0500, +02) after a time of day, kept as group 1 without it.
_UTC_OFFSET = r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s?(?:Z|[+-]\d{2}(?::?\d{2})?)$"
#: Day, month and year as digits separated by /, . or -, with an optional time after them.
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})"
                      r"(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?$")
#: What the ISO message suggests for dates in other orders.
_OTHER_FORMATS = ("set corpus.date_format ('%m/%d/%Y', dayfirst, monthfirst, or a list "
                  "such as [iso, '%m/%d/%y'])")


def parse_dates(values: pd.Series,
                date_format: str | Sequence[str]) -> tuple[pd.Series, dict[int, str]]:
    """Each value as a datetime (NaT when empty), and why each unreadable value is not one.

    Args:
        values: the date column as text, stripped ('' for none).
        date_format: ``iso`` (ISO 8601; a time's UTC offset is dropped, so an article of
            00:30+02:00 stays on its day), ``dayfirst`` or ``monthfirst`` (digits such as
            28/02/2022 or 02.28.2022, a four-digit year; ISO dates read too), a strftime
            pattern such as ``%d %B %Y``, or a list of these, tried in order (a value is
            read by the first that reads it).

    Returns:
        The parsed column, and per index of an unreadable value the reason, which names the
        value and what to do.

    Example:
        >>> parse_dates(pd.Series(["02/28/2022", ""]), "monthfirst")[0].tolist()
        [Timestamp('2022-02-28 00:00:00'), NaT]
    """
    formats = [date_format] if isinstance(date_format, str) else list(date_format)
    parsed, failures = _one_format(values, formats[0])
    for other in formats[1:]:
        if not failures:
            break
        left = list(failures)
        more, still = _one_format(values[left], other)
        parsed[left] = more
        failures = {i: failures[i] for i in still}
    if len(formats) > 1:
        shown = ", ".join(formats)
        failures = {i: f"'{values[i]}' is in none of the formats corpus.date_format lists "
                       f"({shown}); fix it or leave it empty" for i in failures}
    return parsed, failures


def _one_format(values: pd.Series, date_format: str) -> tuple[pd.Series, dict[int, str]]:
    present = values != ""
    if date_format == "iso":
        parsed = _iso(values)
        hint = f"is not an ISO date (YYYY-MM-DD); fix it, leave it empty, or {_OTHER_FORMATS}"
    elif date_format in ("dayfirst", "monthfirst"):
        return _ordered(values, day_first=date_format == "dayfirst")
    else:
        parsed = pd.to_datetime(values.where(present, None), format=date_format,
                                errors="coerce")
        hint = (f"does not match corpus.date_format '{date_format}'; fix it, leave it empty "
                "or change the format")
    return parsed, {i: f"'{values[i]}' {hint}" for i in values.index[present & parsed.isna()]}


def _iso(values: pd.Series) -> pd.Series:
    # each date keeps its local time and its offset is dropped: dates with different
    # offsets (or none) share one column
    local = values.str.replace(_UTC_OFFSET, r"\1", regex=True)
    return pd.to_datetime(local.replace("", None), format="ISO8601", errors="coerce")


def _ordered(values: pd.Series, *, day_first: bool) -> tuple[pd.Series, dict[int, str]]:
    """Numeric dates in day/month/year (or month/day/year) order, and ISO dates."""
    order = "day/month/year" if day_first else "month/day/year"
    parsed = _iso(values)
    failures: dict[int, str] = {}
    for index in values.index[(values != "") & parsed.isna()]:
        match = _NUMERIC.match(values[index])
        if match is None:
            failures[index] = (f"'{values[index]}' is not a {order} date (corpus.date_format: "
                               f"{'dayfirst' if day_first else 'monthfirst'}) nor an ISO one; "
                               "fix it or leave it empty")
            continue
        first, second, year, time = match.groups()
        if len(year) == 2:
            failures[index] = (f"'{values[index]}' has a two-digit year, whose century would be "
                               "a guess; write the year in full, or give corpus.date_format a "
                               "strftime pattern with %y")
            continue
        day, month = (first, second) if day_first else (second, first)
        stamp = pd.to_datetime(f"{year}-{month}-{day}" + (f" {time}" if time else ""),
                               errors="coerce")
        if pd.isna(stamp):
            failures[index] = (f"'{values[index]}' is not a {order} date: no month {month} or "
                               f"no day {day} in it; fix it or leave it empty")
        else:
            parsed[index] = stamp
    return parsed, failures

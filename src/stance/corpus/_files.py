"""Input files as text: UTF-8 with per-line fallbacks, binary files refused, CSV parsed verbatim."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pandas as pd

from stance.errors import StanceError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
# A NUL byte in the first 8 KiB marks a binary file, the heuristic git and grep use.
BINARY_SNIFF_BYTES = 8192


def decode_text(data: bytes, where: str,
                fallbacks: list[str]) -> tuple[str | None, str | None]:
    """Decode bytes as UTF-8; lines that are not, by the first fallback that decodes them.

    Line by line, so one stray Latin-1 byte does not turn every UTF-8 line of the file into
    mojibake. Returns (text, note); (None, None) when a line decodes by no encoding.
    """
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    lines = data.removeprefix(b"\xef\xbb\xbf").removesuffix(b"\n").split(b"\n")
    decoded, fallen = [], []
    for number, line in enumerate(lines, start=1):
        for encoding in ("utf-8", *fallbacks):
            try:
                decoded.append(line.decode(encoding))
            except UnicodeDecodeError:
                continue
            if encoding != "utf-8":
                fallen.append((number, encoding))
            break
        else:
            return None, None
    used = "/".join(dict.fromkeys(encoding for _, encoding in fallen))
    note = (f"{len(fallen)} of {len(lines)} lines not UTF-8 (first: line {fallen[0][0]}); "
            f"decoded as {used}")
    log.warning("%s: %s (re-save it as UTF-8 to silence this)", where, note)
    return "\n".join(decoded), note



def read_text_file(path: Path, fallbacks: list[str], *, binary: str, empty: str | None,
                   where: str | None = None) -> str:
    """A whole input file as text (see :func:`decode_text`); a file it cannot be is one line.

    ``binary`` and ``empty`` end the messages for a binary file (NUL in its first 8 KiB)
    and a blank one (None: blank is allowed); ``where`` names the file in the warning.
    """
    data = path.read_bytes()
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        raise StanceError(f"{path}: {binary}")
    text, _ = decode_text(data, where or str(path), fallbacks)
    if text is None:
        raise StanceError(f"{path}: cannot be decoded as text; re-save it as UTF-8")
    if empty is not None and not text.strip():
        raise StanceError(f"{path}: {empty}")
    return text


def parse_csv(text: str, path: Path, *, invalid: str, remedy: str, **options) -> pd.DataFrame:
    """CSV text as a table of strings, every cell kept verbatim ("NA" stays "NA").

    A file pandas cannot parse is one line: ``{path}: {invalid} (pandas' reason); {remedy}``.
    """
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, **options)
    except pd.errors.ParserError as exc:
        reason = " ".join(str(exc).split())  # pandas ends some messages with a newline
        raise StanceError(f"{path}: {invalid} ({reason}); {remedy}") from None

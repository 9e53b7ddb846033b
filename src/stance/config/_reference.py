"""The config reference (docs/config.md), written from the schema: every setting and default.

``stance config reference`` prints it; a test checks that docs/config.md is current.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from stance.config._base import FolderOrURL, Section, section_of
from stance.config._experiment import ExperimentConfig

_INTRO = """# Config reference

Every setting of an experiment config (experiments/NAME.yaml), with its default. Written
from the schema by `stance config reference`; do not edit by hand. `stance config show
CONFIG` prints a config with every default filled in. Relative input paths resolve against
the config file's folder; `output_dir` against the working directory.
"""


def reference_markdown() -> str:
    """The whole reference as Markdown: one table per section, in the schema's order."""
    parts = [_INTRO]
    for path, section in _sections(ExperimentConfig, ""):
        parts.append(_section_table(path, section))
    return "\n".join(parts)


def _sections(model: type[Section], prefix: str) -> list[tuple[str, type[Section]]]:
    """(dotted path, section) of ``model`` and every section below it, depth first."""
    found = [(prefix, model)]
    for name, field in model.model_fields.items():
        section = section_of(field.annotation, inside_lists=True)
        if section is not None:
            items = "" if section_of(field.annotation) else "[]"  # a list of sections
            found += _sections(section, f"{prefix}{name}{items}.")
    return found


def _section_table(path: str, section: type[Section]) -> str:
    title = path.rstrip(".") or "top level"
    lines = [f"## `{title}`" if path else "## Top level", "",
             " ".join((section.__doc__ or "").split()), "",
             "| setting | type | default | what it does |", "| --- | --- | --- | --- |"]
    for name, field in section.model_fields.items():
        lines.append(f"| `{path}{name}` | {_type(field.annotation)} | {_default(field)} | "
                     f"{_escape(field.description or _summary(field))} |")
    return "\n".join(lines) + "\n"


def _summary(field: FieldInfo) -> str:
    """A section setting's summary: its section's docstring, first line."""
    section = section_of(field.annotation, inside_lists=True)
    return (section.__doc__ or "").strip().splitlines()[0] if section else ""


def _type(annotation: Any) -> str:
    """A setting's type in words: 'int or auto', 'one of: paragraph, sentence'."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of: " + ", ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type(a) for a in typing.get_args(annotation))
    if annotation == FolderOrURL:
        return "path or fsspec URL"
    if origin is typing.Annotated:
        return _type(typing.get_args(annotation)[0])
    if annotation is type(None):
        return "`null`"
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return f"section `{annotation.__name__}`"
    if origin in (list, tuple):
        args = typing.get_args(annotation)
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    if annotation is Path:
        return "path"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: FieldInfo) -> str:
    """The default as YAML would show it, or 'required'."""
    if field.is_required():
        return "required"
    value = field.default_factory() if field.default is PydanticUndefined else field.default
    if isinstance(value, Section):
        return "(section)"
    if isinstance(value, Path):
        value = str(value)
    return f"`{_escape(json.dumps(value, default=str))}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")

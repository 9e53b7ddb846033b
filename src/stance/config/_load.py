"""Reading a config from YAML or data, with errors that name the file, line and key.

Relative input paths in a config resolve against the config file's folder, so a
config runs the same from any working directory; ``output_dir`` resolves
against the working directory, like any command's output.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    ValidationError,
)

from stance.config._base import expand_home, section_of
from stance.config._experiment import ExperimentConfig
from stance.errors import StanceError


def load_config(path: str | Path) -> ExperimentConfig:
    """Read, validate and resolve an experiment config.

    Raises:
        StanceError: one line per problem, with file, line, dotted key and a fix.

    Example:
        >>> cfg = load_config("experiments/seeds.yaml")  # doctest: +SKIP
        >>> cfg.segmentation.unit
        'paragraph'
    """
    path = Path(path)
    if not path.is_file():
        raise StanceError(f"{path}: config file not found; give the path to a .yaml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise StanceError(f"{path}: not UTF-8 text (byte {exc.start}); re-save the config as "
                          "UTF-8") from None
    try:
        root = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise StanceError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(raw, dict):
        raise StanceError(f"{path}: expected a mapping of sections (name, corpus, ...)")
    duplicates: list[tuple[str, int, int]] = []
    lines = _key_lines(root, duplicates)
    if duplicates:
        key, line, first = duplicates[0]
        raise StanceError(f"{path}:{line} {key}: given twice (first at line {first}); YAML "
                          "keeps only the last, so delete one")
    return parse_config(raw, source=path, lines=lines)


def parse_config(
    raw: dict[str, Any], *, source: Path | None = None, lines: dict[str, int] | None = None,
    base_dir: Path | None = None,
) -> ExperimentConfig:
    """Validate a config given as data.

    Relative input paths resolve against ``base_dir``, else ``source``'s folder, else the
    working directory.
    """
    try:
        cfg = ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        raise StanceError(*_describe(exc, source, lines or {})) from None
    base = base_dir or (source.parent if source else Path.cwd())
    return _resolve_paths(cfg, Path(base).resolve())


def dump_config(cfg: ExperimentConfig) -> str:
    """The resolved config as YAML text (what a run folder's config.yaml holds)."""
    return yaml.safe_dump(cfg.resolved_dump(), sort_keys=False, allow_unicode=True)


#: Settings that moved: old dotted key -> where it lives now.
MOVED = {"framing.actors": "the top-level actors section"}
#: Settings naming input files: relative values resolve against the config's folder.
INPUT_PATHS = ("corpus.path", "corpus.metadata", "framing.segment_labels",
               "actor_stance.labels")


def _resolve_paths(cfg: ExperimentConfig, base: Path) -> ExperimentConfig:
    """Input paths, and swept ones, against ``base`` (``~`` already expanded, see HomePath)."""
    def resolved(value: Any) -> Any:
        return value if value is None or Path(value).is_absolute() else (base / value).resolve()

    def swept(value: str) -> str:  # validated only in its point: HomePath has not run yet
        try:
            return str(resolved(expand_home(Path(value))))
        except ValueError as exc:
            raise StanceError(f"sweep: {exc}") from None

    corpus = cfg.corpus.model_copy(update={"path": resolved(cfg.corpus.path),
                                           "metadata": resolved(cfg.corpus.metadata)})
    framing = cfg.framing.model_copy(
        update={"segment_labels": resolved(cfg.framing.segment_labels)})
    actor_stance = cfg.actor_stance.model_copy(
        update={"labels": resolved(cfg.actor_stance.labels)})
    # a swept input path is a path of the config too (its points validate the values later)
    sweep = {key: [swept(v) if isinstance(v, str) else v for v in values]
             if key in INPUT_PATHS else values for key, values in cfg.sweep.items()}
    return cfg.model_copy(update={"corpus": corpus, "framing": framing,
                                  "actor_stance": actor_stance, "sweep": sweep,
                                  "output_dir": cfg.output_dir.absolute()})


def _key_lines(node: yaml.Node | None, duplicates: list[tuple[str, int, int]] | None = None,
               prefix: str = "") -> dict[str, int]:
    """Map each dotted key of a composed YAML document to its 1-based line.

    ``duplicates`` collects (key, line, first line) of each key given twice in one mapping.
    """
    found: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            dotted = f"{prefix}{key_node.value}"
            line = key_node.start_mark.line + 1
            if dotted in found and duplicates is not None:
                duplicates.append((dotted, line, found[dotted]))
            found[dotted] = line
            found.update(_key_lines(value_node, duplicates, dotted + "."))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            dotted = f"{prefix}{index}"
            found[dotted] = item.start_mark.line + 1
            found.update(_key_lines(item, duplicates, dotted + "."))
    return found


def locate(error: StanceError, source: Path) -> StanceError:
    """``error`` with each problem that starts with a config key pointed at ``source``.

    Checks that need the data (a label class with one document, too few segments) name
    the key they concern but run long after the config was read; this adds the file and
    the key's line (or its section's) as :func:`load_config` gives them. Problems that
    start with anything else, such as a data file's path, are left as they are.
    """
    lines: dict[str, int] | None = None
    problems = []
    for problem in error.problems:
        key = problem.split(maxsplit=1)[0].rstrip(":") if problem.strip() else ""
        if key.split(".")[0] not in ExperimentConfig.model_fields:
            problems.append(problem)
            continue
        if lines is None:
            try:
                lines = _key_lines(yaml.compose(source.read_text(encoding="utf-8")))
            except (OSError, yaml.YAMLError):  # changed or gone since it was read
                lines = {}
        problems.append(_at_key(problem, source, lines))
    return StanceError(*problems)


def _at_key(message: str, source: Path | None, lines: dict[str, int]) -> str:
    """``message``, which starts with a dotted key, pointed at its line (or its section's)."""
    # sweep.<key>[i] names the i-th item, which _key_lines records as sweep.<key>.i
    key = re.sub(r"\[(\d+)\]", r".\1", message.split(maxsplit=1)[0].rstrip(":"))
    line = lines.get(key) or lines.get(key.split(".")[0])
    return f"{source}:{line} {message}" if source and line else f"{source or 'config'}: {message}"


def _describe(exc: ValidationError, source: Path | None, lines: dict[str, int]) -> list[str]:
    problems = []
    for error in _merge_union_branches(exc.errors()):
        loc = [str(part) for part in error["loc"]]
        if not loc:  # a check across sections: its message starts with the dotted key
            problems.append(_at_key(error["msg"].removeprefix("Value error, "), source, lines))
            continue
        dotted = ".".join(loc)
        line = lines.get(dotted) or lines.get(".".join(loc[:-1]))
        where = f"{source}:{line}" if source and line else str(source or "config")
        if error["type"] == "extra_forbidden" and dotted in MOVED:
            problems.append(f"{where} {dotted}: moved to {MOVED[dotted]}; write it there "
                            "(actor naming and actor stance share it)")
        elif error["type"] == "extra_forbidden":
            known = _known_keys(loc[:-1])
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f"did you mean {close[0]}?" if close else f"known keys: {', '.join(known)}"
            problems.append(f"{where} {dotted}: unknown key; {hint}")
        elif error["type"] == "missing":
            problems.append(f"{where} {dotted}: required key is missing; add it")
        else:
            found = error.get("input")
            shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
            message = error["msg"].removeprefix("Value error, ")
            # lower-case only the first letter: the rest may quote column names and values
            message = message[:1].lower() + message[1:]
            problems.append(f"{where} {dotted}: {message}{shown}")
    return problems


def _merge_union_branches(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One error per setting, where pydantic gives one per member of a union setting.

    A value that fits no member of ``int | "auto"`` fails once per member, each at the
    setting's location plus the member's tag; the messages become one: "input should be
    a valid integer; or 'auto'". Where some errors lie inside a section member, the
    setting's own are left out.
    """
    merged: dict[tuple, dict[str, Any]] = {}
    unions: set[tuple] = set()  # the union settings' locations
    for number, error in enumerate(errors):
        tag = _union_tag_index(error["loc"])
        if tag is None:
            merged[(number,)] = error
            continue
        loc = error["loc"][:tag] + error["loc"][tag + 1:]
        unions.add(error["loc"][:tag])
        if loc in merged:
            merged[loc]["msg"] += "; or " + error["msg"].removeprefix("Input should be ")
        else:
            merged[loc] = {**error, "loc": loc}
    # a mapping given to ``str | JobqueueConfig`` is meant as the section: its own errors
    # say what is wrong, "input should be a valid string" does not
    inside = {e["loc"][:k] for e in merged.values() for k in range(1, len(e["loc"]))}
    return [e for e in merged.values() if not (e["loc"] in unions and e["loc"] in inside)]


def _union_tag_index(loc: tuple) -> int | None:
    """Where in ``loc`` pydantic put a union member's tag (after a union setting), if anywhere."""
    model: Any = ExperimentConfig
    for index, part in enumerate(loc):
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
        model = section_of(annotation, inside_lists=True)
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
        after = index + 1
        if is_union and len(members) > 1 and after < len(loc) and isinstance(loc[after], str):
            # a union of a value and a section (``str | JobqueueConfig``) tags each member
            # by its type's name; a key after a plain section is one of its fields
            if model is None or loc[after] in {getattr(m, "__name__", None) for m in members}:
                return after
        if model is None:
            return None
    return None


def _known_keys(loc: list[str]) -> list[str]:
    """Field names of the section at ``loc`` (list indices skipped)."""
    model: Any = ExperimentConfig
    for part in loc:
        if part.isdigit():
            continue
        annotation = model.model_fields[part].annotation
        model = section_of(annotation, inside_lists=True)
        if model is None:
            return []
    return list(model.model_fields)

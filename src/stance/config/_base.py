"""What every config section shares: unknown keys refused, frozen values, ``~`` paths."""

from __future__ import annotations

import copy
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict


def expand_home(path: Path) -> Path:
    """``path`` with a leading ``~`` (or ``~user``) as that home folder."""
    try:
        return path.expanduser()
    except RuntimeError:  # ~user for a user this machine does not have
        raise ValueError(f"'{path}': no home folder for '{path.parts[0]}'; write the path "
                         "out") from None


#: A path setting: a leading ``~`` is the user's home, wherever the config comes from
#: (a file, code, a sweep point).
HomePath = Annotated[Path, AfterValidator(expand_home)]


def folder_or_url(value: Any) -> Path | str:
    """A folder (``~`` expanded), or an fsspec URL kept as written if fsspec can open it."""
    if isinstance(value, str) and "://" in value:
        from fsspec import get_filesystem_class

        protocol = value.split("://", 1)[0]
        try:
            get_filesystem_class(protocol)
        except (ValueError, ImportError) as exc:
            raise ValueError(f"fsspec cannot open {protocol}:// ({exc}); install "
                             "the filesystem's package (s3fs, gcsfs, ...) or give a local "
                             "folder") from None
        return value
    return expand_home(Path(value))


#: A folder setting that may instead be an fsspec URL (``s3://bucket/cache``), kept as a str.
FolderOrURL = Annotated[Path | str, BeforeValidator(folder_or_url)]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def section_of(annotation: Any, *, inside_lists: bool = False) -> type[Section] | None:
    """The section a setting holds: itself, as ``Section | None``, or (``inside_lists``) as items.

    Example:
        >>> section_of(CleaningConfig | None)  # doctest: +SKIP
        <class 'stance.config._corpus.CleaningConfig'>
    """
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType) or (inside_lists and origin is not None):
        for member in typing.get_args(annotation):
            found = section_of(member, inside_lists=inside_lists)
            if found is not None:
                return found
    return None


def set_dotted(data: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of config data with dotted settings replaced (``{"topics.seed_themes": ...}``).

    A section left out of ``data`` starts empty, so its defaults fill in on validation.
    """
    data = copy.deepcopy(data)
    for key, value in settings.items():
        *sections, last = key.split(".")
        target = data
        for part in sections:
            if not isinstance(target.get(part), dict):
                target[part] = {}
            target = target[part]
        target[last] = value
    return data

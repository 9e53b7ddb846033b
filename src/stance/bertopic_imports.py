"""Import BERTopic without loading the integrations stance never runs.

``import bertopic`` imports, at module level, its multimodal backend (sentence-transformers,
and with it transformers) and its transformers-based representations (text generation,
zero-shot classification, visual). Each sits in a ``try: ... except ModuleNotFoundError``
that puts a ``NotInstalled`` placeholder in its place. stance fits on vectors it already
has and labels topics with c-TF-IDF, MMR or KeyBERT, so none of them runs, yet importing
them took about 3 of the 5.8 s that ``import bertopic`` takes. Its persistence module also
imports torch (another 1.1 s) for the legacy "pytorch" format alone, which stance never
writes. Together that was most of a cached re-run.

:func:`import_bertopic` imports bertopic with those modules hidden (:func:`absent`), then
swaps each placeholder for a module ``__getattr__`` (PEP 562) that imports the real
integration on first use, so ``from bertopic.representation import TextGeneration`` still
gives the real class, and gives the persistence module a stand-in ``torch`` that imports
torch when that format is used.

It also loads ``bertopic.plotting`` lazily (:data:`LAZY`): with plotly, the pandas Styler
and jinja2, it took 0.12-0.19 s on top of the other imports, on the path every run waits
for, though stance draws its figures with matplotlib. It loads in full on first use
(``model.visualize_topics()``). On Python 3.11 that first use is not thread-safe, and a
failed load leaves a half-loaded module (LazyLoader gained its lock in 3.12): stance calls
no plotting method, in any thread.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from types import ModuleType

#: package -> {exported name: the module that defines it}, for the deferred integrations.
DEFERRED = {
    "bertopic.backend": {"MultiModalBackend": "bertopic.backend._multimodal"},
    "bertopic.representation": {
        "TextGeneration": "bertopic.representation._textgeneration",
        "ZeroShotClassification": "bertopic.representation._zeroshot",
        "VisualRepresentation": "bertopic.representation._visual",
    },
}

#: Modules ``import bertopic`` runs for methods stance never calls: each is loaded on its
#: first attribute read instead (:class:`importlib.util.LazyLoader`).
LAZY = ("bertopic.plotting",)


def import_bertopic() -> ModuleType:
    """The ``bertopic`` package, imported without its unused integrations if not yet loaded.

    Example:
        >>> import_bertopic().BERTopic  # doctest: +SKIP
        <class 'bertopic._bertopic.BERTopic'>
    """
    if "bertopic" in sys.modules:
        return sys.modules["bertopic"]
    hidden = [module for names in DEFERRED.values() for module in names.values()]
    torch_hidden = "torch" not in sys.modules
    with absent(*hidden, *(["torch"] if torch_hidden else [])), lazily(*LAZY):
        import bertopic
    for package, names in DEFERRED.items():
        _load_on_first_use(sys.modules[package], names)
    persistence = sys.modules.get("bertopic._save_utils")
    if torch_hidden and persistence is not None and not getattr(persistence, "_has_torch", 1):
        persistence.torch = _ImportOnUse("torch")
        persistence._has_torch = importlib.util.find_spec("torch") is not None
    return bertopic


@contextmanager
def absent(*modules: str) -> Iterator[None]:
    """Inside the block, ``modules`` look uninstalled: importing one raises ModuleNotFoundError.

    A finder first on ``sys.meta_path`` refuses them, and loaded ones leave ``sys.modules``
    for the block (``None`` there instead would break code that looks a module up there,
    as array-api-compat does for torch). Loaded modules are put back afterwards.
    """
    loaded = {module: sys.modules.pop(module) for module in modules if module in sys.modules}
    try:
        with _first_finder(_Refuse(frozenset(modules))):
            yield
    finally:
        sys.modules.update(loaded)


def lazily(*modules: str) -> AbstractContextManager[None]:
    """Inside the block, importing one of ``modules`` defers running it to its first use.

    The import system finds it as usual and puts a module in ``sys.modules`` whose first
    attribute read runs the module's code (the standard library's LazyLoader recipe; a
    finder, because ``importlib.util.find_spec`` of a submodule would import its package).
    """
    return _first_finder(_FindLazily(frozenset(modules)))


@contextmanager
def _first_finder(finder: importlib.abc.MetaPathFinder) -> Iterator[None]:
    """``finder`` asked first on ``sys.meta_path`` inside the block."""
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _FindLazily(importlib.abc.MetaPathFinder):
    """Finds the named modules on their package's path, with a loader that waits for use."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


class _Refuse(importlib.abc.MetaPathFinder):
    """Refuses to find the named modules."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name, path=None, target=None):
        if name in self.names:
            raise ModuleNotFoundError(f"No module named {name!r} (hidden by stance)", name=name)
        return None


class _ImportOnUse:
    """Stands in for a module: the first attribute read imports it and reads from it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attribute: str):
        return getattr(importlib.import_module(self.name), attribute)


def _load_on_first_use(package: ModuleType, names: dict[str, str]) -> None:
    """Replace ``package``'s placeholders for ``names`` by imports on first attribute access.

    If the real import fails (the integration's dependencies are missing), bertopic's own
    placeholder is returned, with its message on what to install.
    """
    placeholders = {name: package.__dict__.pop(name) for name in names if name in package.__dict__}

    def __getattr__(name: str):
        if name not in placeholders:
            raise AttributeError(f"module {package.__name__!r} has no attribute {name!r}")
        try:
            value = getattr(importlib.import_module(names[name]), name)
        except ModuleNotFoundError:
            value = placeholders[name]
        setattr(package, name, value)
        return value

    package.__getattr__ = __getattr__  # type: ignore[method-assign]

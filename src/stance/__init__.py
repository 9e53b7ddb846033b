"""stance: topic modelling and stance/framing analysis of news coverage."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stance")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]

"""What a run folder records about where it came from: versions, platform, git, seeds."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

#: Packages whose versions can change results; recorded in every manifest.
RECORDED_PACKAGES = (
    "stance", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "torch",
    "sentence-transformers", "transformers", "onnx", "onnxruntime", "bertopic", "umap-learn",
    "pynndescent", "numba", "hdbscan",
    "datasketch", "pydantic", "matplotlib", "typst", "skops",
)


def package_versions() -> dict[str, str | None]:
    """Installed version of each recorded package (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_state(folder: Path) -> dict[str, object]:
    """Commit and dirty flag of the git checkout holding ``folder`` (None outside git)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                                  text=True, timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"commit": commit, "dirty": bool(status) if status is not None else None}


def environment() -> dict[str, object]:
    """Python, platform and package versions."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": package_versions(),
    }

"""What a run folder records about where it came from: versions, platform, git, seeds."""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stance.config import ExperimentConfig

#: Packages whose versions can change results; recorded in every manifest.
RECORDED_PACKAGES = (
    "stance", "numpy", "pandas", "pyarrow", "scikit-learn", "scipy", "torch",
    "sentence-transformers", "transformers", "onnx", "onnxruntime", "bertopic", "umap-learn",
    "pynndescent", "numba", "hdbscan",
    "datasketch", "pydantic", "matplotlib", "typst", "skops", "datasets", "accelerate",
    "tokenizers", "safetensors",
)


@functools.cache
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


#: Environment variables that change numerical results: BLAS kernels and threads, numba's
#: threading layer. OPENBLAS_CORETYPE=Haswell on an earlier AMD EPYC machine changed the seed
#: run's topics (8 topics instead of 7), so a run folder must say which were set.
NUMERIC_ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "NUMBA_", "GOTO_", "BLIS_")


def environment() -> dict[str, object]:
    """Python, platform, package versions and the environment variables that move numbers."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": dict(package_versions()),
        "numeric_env": numeric_env(),
    }


def numeric_env() -> dict[str, str]:
    """The environment variables set here that change numerical results, sorted by name."""
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(NUMERIC_ENV_PREFIXES)}


def build_manifest(cfg: ExperimentConfig, corpus_sha256: str, started: datetime,
                   embedding: dict[str, Any] | None,
                   topic_params: dict[str, Any] | None,
                   compute: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's provenance: config and corpus hashes, seeds, git, environment, model, topics.

    ``compute`` describes the Dask cluster the run used (:func:`stance.compute.cluster_facts`).
    """
    manifest: dict[str, Any] = {
        "experiment": cfg.name,
        "started": started.isoformat(timespec="seconds"),
        "config_sha256": cfg.digest(),
        "corpus_sha256": corpus_sha256,
        "seeds": {"seed": cfg.seed, "stability_seeds": [
            cfg.seed + i for i in range(1, cfg.topics.stability_runs)]},
        "git": git_state(Path.cwd()),
        **environment(),
    }
    if embedding is not None:
        manifest["embedding"] = embedding
    if topic_params is not None:
        manifest["topics"] = topic_params
    if compute is not None:
        manifest["compute"] = compute
    return manifest

"""Reproducibility check: re-run a run folder's config.yaml and compare every output.

The re-run goes to a temporary folder, so reports/ gains nothing; :mod:`stance.run._compare`
compares the two folders, and a seeded sample of the cached segment vectors is re-encoded.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.run import _outputs as files
from stance.run._compare import (
    MAX_EXAMPLES,
    Check,
    Difference,
    compare_runs,
    environment_differences,
)
from stance.run._flow import embedding_cache_dir, run_experiment
from stance.run._folder import require_finished_run


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify_run`: ``seconds`` of the re-run, or the run ``against``."""

    run_dir: Path
    checks: tuple[Check, ...]
    seconds: float
    against: Path | None = None
    #: How the two runs' environments differ (manifest.json): context, not a check.
    environment: tuple[Difference, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the re-run reproduced every output."""
        return all(check.ok for check in self.checks)

    def table(self) -> str:
        """A compact text table, one line per check, then examples of differences."""
        width = max(len(c.name) for c in self.checks)
        lines = [f"{'check':<{width}}  {'compared':>8}  {'differ':>6}  status"]
        for c in self.checks:
            lines.append(f"{c.name:<{width}}  {c.n_compared:>8}  {c.n_different:>6}  "
                         f"{c.status}")
        for c in self.checks:
            for d in c.examples:
                lines.append(f"  {c.name} {d.key}: expected {_short(d.expected)}, "
                             f"found {_short(d.found)}")
        if self.environment:
            lines.append("environment differs (numbers may move with it):")
            lines += [f"  {d.key}: run {_short(d.expected)}, now {_short(d.found)}"
                      for d in self.environment]
        return "\n".join(lines)

    def verdict(self) -> str:
        """One line: reproduced or not, and where it differs."""
        compared = [c for c in self.checks if not c.not_compared]
        not_compared = "".join(f"; {c.name} {c.status}" for c in self.checks
                               if c.not_compared)
        if self.ok:
            n_values = sum(c.n_compared for c in compared)
            how = (f"run {self.against}" if self.against
                   else f"re-run, which took {self.seconds:.1f}s")
            return (f"reproduced: {n_values} values in {len(compared)} checks match "
                    f"({how}){not_compared}")
        failed = [c.name for c in self.checks if not c.ok]
        return (f"NOT reproduced: {len(failed)} of {len(compared)} checks differ "
                f"({', '.join(failed)}){not_compared}")


def verify_run(run_dir: str | Path, *, use_cache: bool = True, progress: bool = False,
               against: str | Path | None = None) -> VerifyReport:
    """Re-run ``run_dir``'s config.yaml in a temporary folder and compare the outputs.

    Args:
        run_dir: a finished run folder.
        use_cache: reuse the embedding cache of the run's output folder (cached vectors are
            the bytes the model gave); False recomputes everything.
        progress: show progress bars during the re-run.
        against: compare with this existing run folder instead of re-running (e.g. the
            same config run on another machine).

    Example:
        >>> report = verify_run("reports/seeds/latest")  # doctest: +SKIP
        >>> print(report.verdict())  # doctest: +SKIP
    """
    from stance.config import load_config

    run_dir = require_finished_run(run_dir)
    start = time.perf_counter()
    if against is not None:
        against = require_finished_run(against)
        return VerifyReport(run_dir, compare_runs(run_dir, against), 0.0, against,
                            environment_differences(run_dir, against))
    cfg = load_config(run_dir / files.CONFIG)
    with tempfile.TemporaryDirectory(prefix="stance-verify-") as tmp:
        cache_dir = embedding_cache_dir(cfg)
        if not use_cache or not cache_dir.is_dir():
            cache_dir = Path(tmp) / ".cache" / "embeddings"
        rerun = cfg.model_copy(update={
            "output_dir": Path(tmp),
            "embedding": cfg.embedding.model_copy(update={"cache_dir": cache_dir})})
        result = run_experiment(rerun, progress=progress, use_cache=use_cache)
        checks = compare_runs(run_dir, result.run_dir)
        if use_cache:  # the re-run read cached vectors: check a sample against the model
            checks += (check_cached_vectors(run_dir, cache_dir),)
        environment = environment_differences(run_dir, result.run_dir)
    return VerifyReport(run_dir, checks, round(time.perf_counter() - start, 1),
                        environment=environment)


#: Segments re-encoded to check the embedding cache a re-run reads.
VECTOR_SAMPLE = 64
#: Largest difference of a re-encoded vector's component from the cached one. Encoding a
#: text in another batch changes the padding around it, which moves components by about
#: 1e-7; a vector from another model or text differs by 1e-2 or more.
VECTOR_TOLERANCE = 1e-5
VECTORS_CHECK = "embedding cache (re-encoded sample)"


def check_cached_vectors(run_dir: Path, cache_dir: Path, *,
                         n: int = VECTOR_SAMPLE) -> Check:
    """Re-encode a seeded sample of the run's segments and compare with the cached vectors.

    The model is the one the run's config names, which must still be the run's (its
    weights' sha256 as manifest.json records it); vectors missing from the cache count
    as differences.
    """
    from stance.config import load_config
    from stance.embed import EmbeddingCache, load_embedder, text_keys

    manifest = files.read_json(run_dir / files.MANIFEST) or {}
    recorded = manifest.get("embedding") or {}
    if not recorded.get("vectors_sha256"):
        return Check(VECTORS_CHECK, 0, 0, not_compared="the run embedded no segments")
    cfg = load_config(run_dir / files.CONFIG)
    embedder = load_embedder(cfg.embedding.model_copy(update={"cache_dir": cache_dir}))
    if embedder.model_id != recorded.get("model_id"):
        return Check(VECTORS_CHECK, 1, 1, (Difference(
            "model", recorded.get("model_id"), embedder.model_id),))
    segments = pd.read_parquet(run_dir / files.SEGMENTS, columns=["seg_id", "text"])
    rng = np.random.default_rng(manifest.get("seeds", {}).get("seed", 0))
    sample = segments.iloc[np.sort(rng.choice(len(segments), min(n, len(segments)),
                                              replace=False))]
    texts, ids = sample["text"].tolist(), sample["seg_id"].to_numpy()
    found, cached = EmbeddingCache(cache_dir / embedder.cache_key()).lookup(text_keys(texts))
    fresh = embedder.encode(texts)
    differ = [Difference(f"seg_id {i}", "cached", None) for i in ids[~found]]
    gaps = np.abs(fresh[found] - cached).max(axis=1)
    differ += [Difference(f"seg_id {i} largest component difference", 0.0, float(gap))
               for i, gap in zip(ids[found], gaps, strict=True) if gap > VECTOR_TOLERANCE]
    return Check(VECTORS_CHECK, len(sample), len(differ), tuple(differ[:MAX_EXAMPLES]))




def _short(value: Any, limit: int = 60) -> str:
    if isinstance(value, np.generic):  # np.float32(2.5) as 2.5
        value = value.item()
    text = "absent" if value is None else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

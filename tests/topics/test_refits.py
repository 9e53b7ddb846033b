"""Where the stability refits run: a worker process beside the main fit, or here."""

from __future__ import annotations

import numpy as np

from stance.topics import _stability
from stance.topics._stability import Refits


def _topics_of(seed: int) -> np.ndarray:
    """A stand-in refit (picklable, so a worker process can run it)."""
    return np.array([seed, seed + 1])


def test_a_fit_with_work_after_it_sends_every_refit_to_the_worker(monkeypatch):
    monkeypatch.setattr(_stability, "_cores", lambda: 2)
    ran_here = []

    def here(seed):
        ran_here.append(seed)
        return _topics_of(seed)

    for busy_after, expected_here in ((True, []), (False, [5])):
        ran_here.clear()
        with Refits(here, _topics_of, [5, 6], n_segments=10**6,
                    busy_after=busy_after) as refits:
            results = refits.results()
        assert ran_here == expected_here
        assert [r.tolist() for r in results] == [[5, 6], [6, 7]]  # in the order of the seeds

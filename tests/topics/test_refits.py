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


def test_an_executor_given_takes_every_refit_at_any_corpus_size():
    from concurrent.futures import ThreadPoolExecutor

    ran_here, submitted = [], []

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, /, *args, **kwargs):
            submitted.append(kwargs["seed"])
            return super().submit(fn, *args, **kwargs)

    def here(seed):
        ran_here.append(seed)
        return _topics_of(seed)

    with Counting(1) as executor:
        with Refits(here, _topics_of, [5, 6, 7], n_segments=10, executor=executor) as refits:
            results = refits.results()
        assert ran_here == [] and submitted == [5, 6, 7]
        assert [r.tolist() for r in results] == [[5, 6], [6, 7], [7, 8]]
        # a refit that cannot leave this process (no picklable job) still runs here
        with Refits(here, None, [5], n_segments=10, executor=executor) as refits:
            assert [r.tolist() for r in refits.results()] == [[5, 6]]
        assert ran_here == [5] and submitted == [5, 6, 7]

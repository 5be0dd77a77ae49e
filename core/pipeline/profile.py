"""Where a stage's seconds go: a few named clocks the build records with every stage.

A stage's wall time alone does not say what to cut. The code that does the work marks it — `timed("forward")`
around a model's forward pass, `timed("writing")` around an artifact write — and the build reads the clocks
(`seconds`) into the stage's manifest record after `reset`; `python -m scripts.benchmark` prints them.
The outermost mark wins: the forward passes inside validation count as validation, not twice. Clocks add up
across threads, so where workers run in parallel a category can hold more seconds than the stage's wall time.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

CATEGORIES = ("tokenising", "forward", "backward", "optimiser", "validation", "probes", "bootstrap", "writing")

_lock = threading.Lock()
_seconds: Counter[str] = Counter()
_active = threading.local()  # per thread: whether a mark is already running (the outermost one counts)


@contextmanager
def timed(category: str) -> Iterator[None]:
    """Add the block's wall time to ``category`` (one of CATEGORIES), unless an outer mark is already timing it."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}, got {category!r}")
    if getattr(_active, "on", False):
        yield
        return
    _active.on, start = True, time.perf_counter()
    try:
        yield
    finally:
        _active.on = False
        with _lock:
            _seconds[category] += time.perf_counter() - start


def reset() -> None:
    """Zero every clock (the build does this before each stage)."""
    with _lock:
        _seconds.clear()


def seconds() -> dict[str, float]:
    """Seconds per category since the last `reset`, in CATEGORIES order, categories never timed left out."""
    with _lock:
        return {c: round(_seconds[c], 2) for c in CATEGORIES if c in _seconds}

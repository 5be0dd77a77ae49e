"""Load an experiment's models in the background once a server's first page has run (no torch here: the thread
imports it).

The app's frame calls `start` at the end of every run; the first call for an experiment's checkpoints starts one daemon
thread that runs `core.dashboard.live.warm_up`, and every later call returns that thread. So the models load once
per server while the reader looks at Home, and the first typed sentence on Explore waits at most for what is
left of the load. The thread calls no Streamlit. ``PRIVLENS_WARM_UP=0`` turns it off (the test suite does, so
that AppTest runs of the app load no model unless a test asks for it).
"""
from __future__ import annotations

import os
import threading
import time

from core.dashboard.experiment import Experiment, model_fingerprint, open_experiment
from core.pipeline.files import ArtifactError

DELAY_S = 1.0  # after the first page has run: importing torch holds the GIL for long stretches, which would
#               hold up the server sending that page to the browser
_started: dict[tuple, threading.Thread] = {}
_lock = threading.Lock()


def enabled() -> bool:
    """Whether the app warms models up (``PRIVLENS_WARM_UP``: "0" turns it off; on by default)."""
    return os.environ.get("PRIVLENS_WARM_UP", "1") != "0"


def start(name: str) -> threading.Thread | None:
    """The thread that loads the models of experiment ``name``, started on the first call for its current
    checkpoints; None when warming up is off or the experiment has a broken manifest or a missing checkpoint
    (its pages say so when asked)."""
    if not enabled():
        return None
    try:
        experiment = open_experiment(name)
        key = (str(experiment.paths.root), *(model_fingerprint(experiment, method, seed)
                                              for seed in experiment.seeds for method in experiment.methods))
    except ArtifactError:
        return None
    with _lock:
        if key not in _started:
            _started[key] = threading.Thread(target=_warm_up, args=(experiment,), name="privlens-warm-up",
                                             daemon=True)
            _started[key].start()
        return _started[key]


def _warm_up(experiment: Experiment) -> None:
    time.sleep(DELAY_S)
    from core.dashboard import live  # torch: in this thread, not on the page's

    live.warm_up(experiment)

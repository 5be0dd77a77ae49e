"""Where a stage's seconds go: the clocks count the outermost mark, across threads, and every build stage records
them."""
from __future__ import annotations

import threading
import time

import pytest
import torch

from core.pipeline import profile
from core.pipeline.artifacts import ExperimentPaths, read_json
from scripts.benchmark import profile_line


def test_the_outermost_mark_counts_and_threads_add_up():
    profile.reset()
    with profile.timed("validation"):
        with profile.timed("forward"):  # inside validation: counted as validation only
            time.sleep(0.02)
    assert "forward" not in profile.seconds() and profile.seconds()["validation"] >= 0.02

    def forward() -> None:
        with profile.timed("forward"):
            time.sleep(0.03)

    threads = [threading.Thread(target=forward) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = profile.seconds()
    assert list(seconds) == ["forward", "validation"]  # CATEGORIES order, untimed categories left out
    assert seconds["validation"] >= 0.02 and seconds["forward"] >= 0.06  # two threads' 0.03 s add up
    profile.reset()
    assert profile.seconds() == {}
    with pytest.raises(ValueError, match="category"):
        with profile.timed("thinking"):
            pass


def test_every_stage_of_a_build_records_where_its_seconds_went(artifacts):
    stages = read_json(ExperimentPaths(artifacts / "tiny").manifest)["stages"]
    for name, record in stages.items():
        assert set(record["profile"]) <= set(profile.CATEGORIES), name
        assert sum(record["profile"].values()) <= record["seconds"] * torch.get_num_threads() + 0.5, name  # workers
    assert {"forward", "backward", "optimiser", "validation"} <= set(stages["train"]["profile"])
    assert {"forward", "backward"} <= set(stages["explain"]["profile"])
    assert {"probes", "bootstrap"} <= set(stages["metrics"]["profile"])
    line = profile_line({"seconds": 10.0, "profile": {"forward": 2.0, "backward": 7.0}})
    assert line == "backward 7.0 · forward 2.0 · other 1.0"

"""Where a stage's seconds go: the clocks count the outermost mark, across threads, and every build stage records them."""
from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
import torch

from core.pipeline import profile
from core.pipeline.artifacts import ExperimentPaths, read_json
from scripts.benchmark import planted_effects, profile_line


def test_the_outermost_mark_counts_and_threads_add_up():
    profile.reset()
    with profile.timed("validation"):
        with profile.timed("forward"):  # inside validation: counted as validation only
            time.sleep(0.02)

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


def test_the_planted_effects_check_reads_table1_by_hand():
    table = pd.DataFrame({"model": ["Gen", "PrivAdv", "GenderExp"], "valence_uar_within": [0.83, 0.80, 0.83],
                          "valence_uar_cross": [0.74, 0.75, 0.73], "mad": [0.0, 0.021, -0.019],
                          "mad_sig": [False, True, True]}).set_index("model")
    assert list(planted_effects(table).values()) == [True, True, True]
    table.loc["Gen", "valence_uar_cross"] = 0.76  # a drop of 0.07
    table.loc["PrivAdv", "mad_sig"] = False
    held = planted_effects(table)
    assert list(held.values()) == [False, True, False] and "0.070" in next(iter(held))

"""Home's logic: the findings first, a path through the pages, then the models and the build's state.

A stakeholder landing on Home reads what the experiment found (the Privacy metrics page's sentences, so the
two never disagree) before any table of stages.
"""
from __future__ import annotations

from typing import NamedTuple, Sequence

import pandas as pd

from core.dashboard import privacy_metrics
from core.dashboard.experiment import Experiment, metrics_frame
from core.methods import description, label
from core.pipeline.status import StageStatus


class Stop(NamedTuple):
    """One step of the "start here" path: the page file, its title and the question it answers."""

    page: str
    title: str
    answers: str


START_HERE = (
    Stop("pages/privacy_metrics.py", "Privacy metrics",
         "Which model leaks least about the speaker's gender, at what cost in accuracy, and is it significant?"),
    Stop("pages/explore.py", "Explore", "Which words does each model rely on for one utterance, and what would an "
                                        "attacker infer about its speaker?"),
    Stop("pages/projector.py", "Projector", "Do the utterances of women and men still form separate groups in a "
                                            "model's representation?"),
    Stop("pages/slices.py", "Slices", "Where (for which speakers, valence classes or cue words) does a model "
                                      "fail or leak more?"),
    Stop("pages/cross_corpus.py", "Cross-corpus", "Does a model still work on a corpus it never saw, and what do its "
                                                  "errors have in common?"),
    Stop("pages/lexicon_overlap.py", "Lexicon overlap", "How often are a model's top words ones people read as "
                                                        "gender cues?"),
    Stop("pages/models.py", "Models", "Did training go as intended — did PrivAdv remove gender, or only fool its "
                                      "own adversary?"),
)

STAGE_HEADERS = {"stage": "stage", "state": "state", "seconds": "seconds", "finished_at": "finished at",
                 "detail": "what to do"}


def findings(experiment: Experiment) -> list[str]:
    """The Privacy metrics page's plain sentences about Table 1, significance included.

    Raises core.pipeline.files.ArtifactError when Table 1 is missing or older than this checkout.
    """
    table = metrics_frame(experiment, "table1", privacy_metrics.required_columns())
    return privacy_metrics.plain_summary(table, alpha=privacy_metrics.significance_level(experiment))


def models_table(methods: Sequence[str]) -> pd.DataFrame:
    """One row per model: its label and the plain line saying what it is."""
    return pd.DataFrame({"model": [label(m) for m in methods], "what it is": [description(m) for m in methods]})


def stage_table(stages: Sequence[StageStatus]) -> pd.DataFrame:
    """The build's stages (core.pipeline.artifacts.experiment_status) under readable headers."""
    frame = pd.DataFrame([s.__dict__ for s in stages])
    return frame.rename(columns=STAGE_HEADERS)


def needs_attention(stages: pd.DataFrame) -> bool:
    """Whether any stage is missing, changed or stale: then the build status is opened, not folded away."""
    return bool((stages["state"] != "done").any())

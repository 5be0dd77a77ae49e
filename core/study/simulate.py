"""Simulated annotators: a documented choice model that fills a study through the real store.

For each task and each of the three questions independently, an annotator
- lapses with probability ``lapse`` and then picks uniformly among all shown models (so it may pick
  ArtNoise and fail the attention check);
- otherwise picks among the models a valid response can choose (tasks.choice_set: all but ArtNoise
  where choosing it fails the check, so ArtNoise too on an unplanted task under rule "planted"):
  uniformly under policy "random"; under policy "mad" with P(m) ∝ exp(beta · MAD_i(m) / s), where s
  is the standard deviation of MAD_i over every task × non-ArtNoise model of the task set (beta is
  then unit-free; Gen's MAD_i is 0).
Under "mad" the analysis should find a positive MAD–choice correlation; under "random" none.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core.study.store import StudyStore
from core.study.tasks import ATTENTION_CHECK, QUESTIONS, attention_checked, choice_set, model_order

POLICIES = ("mad", "random")
SIMULATED_PREFIX = "sim-"  # every simulated annotator's id starts so: how results and exports tell them from people


def choice_probabilities(mad: np.ndarray, *, policy: str, beta: float, scale: float) -> np.ndarray:
    """Probabilities over the non-attention-check candidates, given their MAD_i on the utterance."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if policy == "random":
        return np.full(len(mad), 1 / len(mad))
    logits = beta * np.asarray(mad, dtype=float) / scale
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def mad_scale(tasks: pd.DataFrame, models: list[str]) -> float:
    """Standard deviation of MAD_i over every task × model (1 when it is 0)."""
    values = np.array([[t[m] for m in models] for t in tasks.model_mad]).ravel()
    spread = float(values.std()) if values.size else 0.0
    return spread if spread > 0 else 1.0


def simulate(store: StudyStore, models: list[str], *, annotators: int, policy: str = "mad", beta: float = 2.0,
             lapse: float = 0.05, tasks_per_annotator: int = 20, seed: int = 0) -> dict[str, int]:
    """Let ``annotators`` simulated annotators answer up to ``tasks_per_annotator`` tasks each, in turn,
    through ``store.next_task`` and ``store.submit``. Returns the count of each submission status."""
    if not 0 <= lapse <= 1:
        raise ValueError(f"lapse must be in [0, 1], got {lapse}")
    scale = mad_scale(store.tasks(), [m for m in models if m != ATTENTION_CHECK])
    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    for i in tqdm(range(annotators), desc=f"simulate ({policy})", unit="annotator"):
        annotator = f"{SIMULATED_PREFIX}{policy}-{seed}-{i:04d}"
        for _ in range(tasks_per_annotator):
            task = store.next_task(annotator)
            if task is None:
                break
            shown = model_order(models, annotator, task.task_id, seed=store.seed)
            candidates = choice_set(models, checked=attention_checked(task.planted, task.attention_rule))
            p = choice_probabilities(np.array([task.model_mad[m] for m in candidates]), policy=policy,
                                     beta=beta, scale=scale)
            choices = {q: str(rng.choice(models) if rng.random() < lapse else rng.choice(candidates, p=p))
                       for q in QUESTIONS}
            status = store.submit(annotator, task.task_id, shown, choices)
            counts[status] = counts.get(status, 0) + 1
    return counts

"""The allowed values of every experiment-config key that has limits (:data:`RULES`), as small checks.

core.config.validate applies them all at once, so a config lists every bad value in one message. Each check
returns None for an allowed value, else what is allowed ("must be >= 1"); the key and the value are added by
the caller.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.methods import BASELINE, METHODS

MAX_SEED = 2**32 - 1  # the largest seed numpy's legacy RandomState, pandas' sample and scikit-learn accept
SEED_REASON = "2**32 - 1: numpy, pandas and scikit-learn take 32-bit seeds"

ATTENTION_RULES = ("planted", "every_task")  # study.attention_rule: where choosing the attention check fails
Check = Callable[[Any], "str | None"]  # None when a value is allowed, else what is allowed


def _at_least(low: float) -> Check:
    return lambda v: None if v >= low else f"must be >= {low}"


def _above(low: float) -> Check:
    return lambda v: None if v > low else f"must be > {low}"


def _between(low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> Check:
    """``low <= v <= high``; an open end excludes that bound."""
    def check(v: float) -> str | None:
        inside = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
        return None if inside else f"must be in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    return check


def _one_of(*allowed: str) -> Check:
    return lambda v: None if v in allowed else f"must be one of {list(allowed)}"


def _matches(pattern: str, what: str) -> Check:
    return lambda v: None if re.fullmatch(pattern, v) else f"must be {what}"


def _list_of(item: Check | None = None) -> Check:
    """A non-empty list without repeats whose items pass ``item``."""
    def check(values: tuple) -> str | None:
        if not values:
            return "must not be empty"
        if len(set(values)) < len(values):
            return "must not repeat a value"
        problems = {problem for v in values if item and (problem := item(v))}
        return f"every item {' and '.join(sorted(problems))}" if problems else None
    return check


def _seed(value: int) -> str | None:
    return None if 0 <= value <= MAX_SEED else f"must be in [0, {MAX_SEED}] ({SEED_REASON})"


def _methods(names: tuple[str, ...]) -> str | None:
    problem = _list_of(_one_of(*METHODS))(names)
    if problem is None and BASELINE not in names:
        problem = f"must include {BASELINE!r}: every other model is compared with it"
    return problem


# The allowed values of each key that has limits; validate() checks them all at once.
RULES: dict[str, Check] = {
    "name": _matches(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", "a folder name (letters, digits, . _ -)"),
    "data.demo_scale": _above(0),
    "model.pooling": _one_of("mean", "cls"),
    "model.max_length": _at_least(3),
    "model.dropout": _between(0, 1, high_open=True),
    "model.gender_hidden": _at_least(1),
    "model.layers": _at_least(0),
    "data.demo_seed": lambda v: None if v <= MAX_SEED else f"must be <= {MAX_SEED} ({SEED_REASON}); < 0: no demo",
    "train.seeds": _list_of(_seed),
    "train.epochs": _at_least(1),
    "train.patience": _at_least(1),
    "train.batch_size": _at_least(1),
    "train.lr": _above(0),
    "train.head_lr": _at_least(0),
    "train.device": _matches(r"auto|cpu|cuda(:\d+)?", "'auto', 'cpu', 'cuda' or 'cuda:<index>'"),
    "train.eval_batch_size": _at_least(1),
    "train.cuda_eval_batch_size": _at_least(1),
    "train.precision": _one_of("auto", "fp32", "bf16"),
    "methods.names": _methods,
    "methods.adv_lambda_max": _at_least(0),
    "methods.gender_loss_weight": _at_least(0),
    "methods.noise_rate": _between(0, 1, low_open=True),
    "explain.n_primary": _at_least(0),
    "explain.n_cross": _at_least(0),
    "explain.top_k": _at_least(1),
    "explain.n_steps": _at_least(0),
    "explain.steps_grid": _list_of(_at_least(1)),
    "explain.delta_tolerance": _above(0),
    "explain.calibration_size": _at_least(1),
    "explain.batch_size": _at_least(1),
    "explain.cuda_batch_size": _at_least(1),
    "explain.precision": _one_of("auto", "fp32", "bf16"),
    "explain.normalisation": _one_of("l2", "l1", "none"),
    "metrics.alpha": _between(0, 1, low_open=True, high_open=True),
    "metrics.attacker_budgets": _list_of(_at_least(20)),  # a subsample too small for both genders trains no probe
    **{key: _at_least(1) for key in ("metrics.bootstrap_resamples", "metrics.probe_max_iter",
                                     "metrics.attacker_repeats", "study.responses_per_task", "study.bootstrap_resamples")},
    **{f"study.{key}": _at_least(0) for key in ("random_per_cell", "high_mad_per_cell", "low_mad_per_cell",
                                                "max_tasks_per_annotator")},
    "study.attention_rule": _one_of(*ATTENTION_RULES),
    **{key: _seed for key in ("methods.noise_seed", "explain.sample_seed", "metrics.seed", "study.seed",
                              "study.model_seed")},
}


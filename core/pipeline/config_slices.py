"""The part of an experiment config that each build stage's results depend on: one function per stage.

The build fingerprints its work with these slices and Home compares them between the manifest and
the TOML (core.pipeline.status.experiment_status), so Home calls a stage stale exactly when the
build would redo it: a new ``train.device`` or eval batch size changes no model and no prediction,
and neither is stale. A slice reads the config as plain values (core.config.to_dict, the manifest's
form) and takes a missing section as empty, so a partial or older record compares too. Torch-free:
Home imports it.
"""
from __future__ import annotations

from typing import Any, Callable

from core.methods import METHODS

# train keys that change where and how fast models train and predict, not what they compute
RUN_ONLY = ("seeds", "device", "eval_batch_size", "cuda_eval_batch_size")


def _section(config: dict, name: str) -> dict:
    return config.get(name) or {}


def jobs_slice(config: dict) -> dict[str, Any]:
    """Which models a stage makes or reads: the methods and the seeds (one job per pair)."""
    return {"methods": _section(config, "methods").get("names"), "seeds": _section(config, "train").get("seeds")}


def model_slice(config: dict, method: str) -> dict[str, Any]:
    """What one trained model of ``method`` depends on in the config (every seed alike): the model
    settings, the training settings but `RUN_ONLY`, and the method settings its recipe keeps
    (its spec in core.methods lists them; none for a method privlens no longer knows)."""
    train, methods = _section(config, "train"), _section(config, "methods")
    kept = METHODS[method].settings if method in METHODS else ()
    return {"model": _section(config, "model"), "train": {k: v for k, v in train.items() if k not in RUN_ONLY},
            "methods": {k: methods.get(k) for k in kept}}


def explanation_slice(config: dict) -> dict[str, Any]:
    """What one model's explanations depend on in the config besides its checkpoint: the explain settings."""
    return _section(config, "explain")


def corpora_stage(config: dict) -> dict[str, Any]:
    return {"data": _section(config, "data")}


def train_stage(config: dict) -> dict[str, Any]:
    names = jobs_slice(config)["methods"] or []
    return {**jobs_slice(config), "models": {m: model_slice(config, m) for m in names}}


def predict_stage(config: dict) -> dict[str, Any]:
    """Predictions depend on the config only through their checkpoints (the train stage's slice)."""
    return jobs_slice(config)


def explain_stage(config: dict) -> dict[str, Any]:
    return {**jobs_slice(config), "explain": explanation_slice(config)}


def metrics_stage(config: dict) -> dict[str, Any]:
    return {**jobs_slice(config), "metrics": _section(config, "metrics")}


def report_stage(config: dict) -> dict[str, Any]:
    """The report shows every model and the study's results: the jobs and the study settings (URL masked)."""
    return {**jobs_slice(config), "study": _section(config, "study")}


# Each stage's own slice; a stage's results also depend on its upstream stages' (experiment_status adds them).
STAGE_SLICES: dict[str, Callable[[dict], dict[str, Any]]] = {
    "corpora": corpora_stage, "train": train_stage, "predict": predict_stage, "explain": explain_stage,
    "metrics": metrics_stage, "report": report_stage,
}

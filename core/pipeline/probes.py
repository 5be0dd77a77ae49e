"""The metrics stage's fitted gender probes on disk as plain arrays and settings, never as pickles.

A pickle (joblib) runs code when it is read, so a probe file copied from elsewhere or edited on disk could
run anything inside the dashboard. Here a model's probes are two files: ``<method>_seed<k>.npz`` holds the
numbers (read with ``allow_pickle=False``, so an object array or a pickle is refused) and
``<method>_seed<k>.json`` the settings. Loading sets the fitted attributes on fresh scikit-learn estimators,
which then predict exactly as the fitted ones did. Only the two probe families of
core.pipeline.evaluate.probe_models are known: a StandardScaler in front of a LogisticRegression or an
MLPClassifier. Torch-free: the dashboard loads these.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from core.pipeline.writing import written

FORMAT_VERSION = 1  # bump when the stored layout changes
ACTIVATIONS = ("identity", "logistic", "tanh", "relu", "softmax")  # what sklearn's MLP may name


class ProbeFileError(ValueError):
    """Probe files that cannot be rebuilt into estimators; the message names the file and what is wrong."""


def probe_arrays(probes: dict[str, Pipeline]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The numbers (name -> array) and settings (JSON) of fitted ``{family: scaler + estimator}`` pipelines."""
    arrays, settings = {}, {}
    for family, pipeline in probes.items():
        scaler, estimator = _steps(pipeline, family)
        arrays |= {f"{family}.mean": scaler.mean_, f"{family}.scale": scaler.scale_,
                   f"{family}.classes": np.asarray(estimator.classes_).astype(str)}
        if isinstance(estimator, LogisticRegression):
            arrays |= {f"{family}.coef": estimator.coef_, f"{family}.intercept": estimator.intercept_}
            settings[family] = {"estimator": "LogisticRegression"}
        else:
            arrays |= {f"{family}.coefs.{i}": c for i, c in enumerate(estimator.coefs_)}
            arrays |= {f"{family}.intercepts.{i}": b for i, b in enumerate(estimator.intercepts_)}
            settings[family] = {"estimator": "MLPClassifier", "activation": estimator.activation,
                                "out_activation": estimator.out_activation_, "layers": len(estimator.coefs_)}
    return arrays, settings


def save_probes(stored: dict[str, Any], arrays_path: Path, settings_path: Path) -> None:
    """Write ``{"probes": {family: pipeline}, "headline": family}`` (what evaluate.leakage hands the build); a
    full disk is a DiskFullError naming the file."""
    arrays, settings = probe_arrays(stored["probes"])
    with written(arrays_path) as path, open(path, "wb") as f:  # a file: np.savez appends .npz to other paths
        np.savez(f, **arrays)
    with written(settings_path) as path:
        path.write_text(json.dumps({"format": FORMAT_VERSION, "headline": stored["headline"], "probes": settings},
                                   indent=2, sort_keys=True))


def load_probes(arrays_path: Path, settings_path: Path) -> dict[str, Any]:
    """``{"probes": {family: pipeline}, "headline": family}`` rebuilt from the two files; ProbeFileError naming
    the file when either is unreadable, holds a pickle or object array, or does not describe known probes."""
    settings = _read_settings(settings_path)
    try:
        with np.load(arrays_path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError) as error:  # a pickle, an object array, a damaged zip
        raise ProbeFileError(f"{arrays_path}: not a probe array file ({error})") from None
    try:
        probes = {family: _rebuild(family, spec, arrays) for family, spec in settings["probes"].items()}
    except (KeyError, TypeError, ValueError) as error:
        raise ProbeFileError(f"{arrays_path}: does not match {settings_path.name} ({error!r})") from None
    return {"probes": probes, "headline": settings.get("headline")}


def _read_settings(path: Path) -> dict[str, Any]:
    try:
        settings = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ProbeFileError(f"{path}: unreadable probe settings ({error})") from None
    if not isinstance(settings, dict) or settings.get("format") != FORMAT_VERSION or not isinstance(
            settings.get("probes"), dict):
        raise ProbeFileError(f"{path}: not probe settings of format {FORMAT_VERSION}")
    return settings


def _steps(pipeline: Pipeline, family: str) -> tuple[StandardScaler, LogisticRegression | MLPClassifier]:
    """The pipeline's scaler and estimator; anything else cannot be stored as arrays."""
    steps = [step for _, step in pipeline.steps]
    if len(steps) != 2 or not isinstance(steps[0], StandardScaler) or not isinstance(
            steps[1], (LogisticRegression, MLPClassifier)):
        raise TypeError(f"probe {family!r}: expected StandardScaler + LogisticRegression or MLPClassifier, got "
                        f"{[type(s).__name__ for s in steps]}")
    return steps[0], steps[1]


def _rebuild(family: str, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> Pipeline:
    """A fresh pipeline with the stored fitted attributes set, as ``fit`` would have left them."""
    mean, scale = arrays[f"{family}.mean"].astype(float), arrays[f"{family}.scale"].astype(float)
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_, scaler.var_ = mean, scale, scale ** 2
    scaler.n_features_in_ = len(mean)
    classes = arrays[f"{family}.classes"].astype(object)
    if spec["estimator"] == "LogisticRegression":
        estimator = _logistic(arrays[f"{family}.coef"], arrays[f"{family}.intercept"])
    elif spec["estimator"] == "MLPClassifier":
        coefs = [arrays[f"{family}.coefs.{i}"] for i in range(int(spec["layers"]))]
        intercepts = [arrays[f"{family}.intercepts.{i}"] for i in range(int(spec["layers"]))]
        estimator = _mlp(coefs, intercepts, spec["activation"], spec["out_activation"], classes)
    else:
        raise ValueError(f"probe {family!r}: unknown estimator {spec['estimator']!r}")
    estimator.classes_, estimator.n_features_in_ = classes, len(mean)
    _check_shapes(family, mean, scale, estimator)
    return make_pipeline(scaler, estimator)


def _logistic(coef: np.ndarray, intercept: np.ndarray) -> LogisticRegression:
    estimator = LogisticRegression()
    estimator.coef_, estimator.intercept_ = coef.astype(float), intercept.astype(float)
    return estimator


def _mlp(coefs: list[np.ndarray], intercepts: list[np.ndarray], activation: str, out_activation: str,
         classes: np.ndarray) -> MLPClassifier:
    if activation not in ACTIVATIONS or out_activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r} or {out_activation!r}; known: {ACTIVATIONS}")
    estimator = MLPClassifier(hidden_layer_sizes=tuple(c.shape[1] for c in coefs[:-1]), activation=activation)
    estimator.coefs_, estimator.intercepts_ = [c.astype(float) for c in coefs], [b.astype(float) for b in intercepts]
    estimator.n_layers_, estimator.n_outputs_ = len(coefs) + 1, coefs[-1].shape[1]
    estimator.out_activation_ = out_activation
    estimator._label_binarizer = LabelBinarizer().fit(classes)  # what predict maps outputs back to labels with
    return estimator


def _check_shapes(family: str, mean: np.ndarray, scale: np.ndarray, estimator: Any) -> None:
    """Shapes that chain: a truncated or mixed-up file is refused here, not as a numpy error on the page."""
    widths = [c.shape for c in getattr(estimator, "coefs_", [])] or [estimator.coef_.T.shape]
    chained = all(a[1] == b[0] for a, b in zip(widths, widths[1:]))
    if scale.shape != mean.shape or widths[0][0] != len(mean) or not chained:
        raise ValueError(f"probe {family!r}: array shapes {[mean.shape, *widths]} do not chain")

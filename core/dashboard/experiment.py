"""A built experiment as the pages see it, and the checked readers of its artifacts (no Streamlit, no torch).

A missing, unreadable or older-schema artifact raises `ArtifactError` carrying the command that
rebuilds it; pages show that instead of a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core.config import resolve_against
from core.data.words import Word
from core.methods import METHODS
from core.pipeline.artifacts import (MANIFEST_VERSION, PROJECT_ROOT, ExperimentPaths, ManifestError, fingerprint,
                                     read_manifest)
from core.pipeline.files import ArtifactError, rebuild_command
from core.pipeline.probes import ProbeFileError
from core.pipeline.probes import load_probes as load_stored_probes
from core.pipeline.records import verified_problem
from core.schema import VALENCE_CLASSES


def _config_guess(name: str) -> str | None:
    """The experiment's TOML by naming convention, for a manifest too broken to say."""
    path = PROJECT_ROOT / "scripts" / "experiments" / f"{name}.toml"
    return str(path.relative_to(PROJECT_ROOT)) if path.is_file() else None


@dataclass(frozen=True)
class Experiment:
    """A built experiment as the pages see it: its paths and its manifest (config, commit, stages)."""

    name: str
    paths: ExperimentPaths
    manifest: dict

    @property
    def config(self) -> dict:
        """The resolved config the experiment was built with."""
        return self.manifest.get("config", {})

    @property
    def source(self) -> str | None:
        return self.config.get("source") or _config_guess(self.name)

    @property
    def valence_lexicon(self) -> str:
        """The NRC-VAD file Psc was computed with, resolved as the build resolved it ("" = VADER)."""
        value = self.config.get("metrics", {}).get("valence_lexicon", "")
        return str(resolve_against(self.config.get("source"), value)) if value else ""

    @property
    def methods(self) -> list[str]:
        return list(self.config.get("methods", {}).get("names", METHODS))  # older manifests: every declared method

    @property
    def metrics_config(self) -> dict:
        """The config the metrics stage last ran with, the one that made Table 1: a metrics-only rebuild updates it
        and the experiment's own record (kept by the corpora stage) does not. The latter when no record holds it."""
        recorded = self.manifest.get("stages", {}).get("metrics", {}).get("config")
        return self.config if recorded is None else recorded

    @property
    def encoder(self) -> str:
        """The encoder as a reader should see it: its folder or name, and how many of its layers were used — as the
        train stage last ran (a train-only rebuild with another encoder leaves the experiment's own record)."""
        model = self.manifest.get("stages", {}).get("train", {}).get("config", self.config).get("model", {})
        return (model.get("encoder") or "packaged all-MiniLM-L6-v2") + (
            f" (first {model['layers']} layers)" if model.get("layers") else "")

    @property
    def seeds(self) -> list[int]:
        return list(self.config.get("train", {}).get("seeds", [0]))

    @property
    def top_k(self) -> int:
        return int(self.config.get("explain", {}).get("top_k", 5))

    @property
    def synthetic(self) -> bool:
        """Built on the generated demo corpora (every corpus path empty) rather than real data."""
        data = self.config.get("data", {})
        return all(not (data.get(role) or {}).get("path") for role in ("primary", "auxiliary", "cross"))

    @property
    def stamp(self) -> float:
        """The pages' cache key: it moves when a stage finishes (each rewrites the manifest) and when a file is
        added or removed in the experiment's folder or its stage folders (their mtimes move), so a rebuilt or
        damaged artifact is shown without restarting the app."""
        root = self.paths.root
        folders = [root, *(p for p in root.iterdir() if p.is_dir())]
        return max(p.stat().st_mtime for p in [self.paths.manifest, *folders])

    def machine(self) -> str | None:
        """Which machine made the numbers: the train and explain stages' hardware, and whether the explain
        stage's first pass ran in bf16 (why two machines' Table 1s may differ in the third decimal)."""
        stages = self.manifest.get("stages", {})
        parts = [f"{stage} on {_hardware_text(stages[stage]['hardware'])}" for stage in ("train", "explain")
                 if "hardware" in stages.get(stage, {})]
        first = stages.get("explain", {}).get("first_pass")
        return "; ".join(parts) + (f"; explanations' first pass in {first}" if first else "") if parts else None

    def command(self, stage: str | None = None) -> str:
        return rebuild_command(self.source, *([stage] if stage else []))


def _hardware_text(h: dict) -> str:
    bf16 = "native bf16" if h.get("native_cpu_bf16") else "no native bf16"
    where = h.get("gpu") or h.get("device", "?")
    return f"{h.get('cpu', '?')} ({bf16}, {h.get('threads', '?')} threads, {where}, torch {h.get('torch', '?')})"


def open_experiment(name: str, base: Path | None = None) -> Experiment:
    """Read an experiment's manifest; a missing, corrupt or older one raises `ArtifactError`."""
    paths = ExperimentPaths.for_experiment(name, base)
    command = rebuild_command(_config_guess(name))
    try:
        manifest = read_manifest(paths.manifest)
    except ManifestError as error:
        raise ArtifactError(f"The manifest of **{name}** cannot be used: {error}. The next build sets it aside "
                            "and rebuilds it from the stages' records.", command) from None
    if not manifest:
        raise ArtifactError(f"Experiment **{name}** has not been built.", command)
    if manifest.get("version") != MANIFEST_VERSION:
        raise ArtifactError(f"**{name}** was built by an older privlens.", command)
    return Experiment(name, paths, manifest)


def read_frame(experiment: Experiment, path: Path, stage: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """A parquet/CSV artifact, checked against the size and SHA-256 its stage recorded and for the ``columns``
    a page needs."""
    if not path.exists():
        raise ArtifactError(f"`{path.name}` is missing: the **{stage}** stage has not run.", experiment.command(stage))
    check_record(experiment, path, stage)
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ArtifactError(f"`{path.name}` is unreadable ({type(error).__name__}).",
                            experiment.command(stage)) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArtifactError(f"`{path.name}` was written by an older privlens (no column "
                            f"{', '.join(missing)}).", experiment.command(stage))
    return frame


def check_record(experiment: Experiment, path: Path, stage: str) -> None:
    """Raise ArtifactError when ``path`` is not the file ``stage`` wrote (by size and SHA-256, hashed once per
    version of the file): a hand-edited table is never shown as the build's. A file the stage recorded nothing of
    (an older build's) is read as it is."""
    record = experiment.manifest.get("stages", {}).get(stage, {}).get("outputs", {}).get(
        str(path.relative_to(experiment.paths.root)))
    if record and (problem := verified_problem(path, record)):
        raise ArtifactError(f"`{path.name}` {problem.replace('since it was written', 'since the build')}: its "
                            f"numbers are not the ones the **{stage}** stage computed.", experiment.command(stage))


def metrics_frame(experiment: Experiment, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    return read_frame(experiment, experiment.paths.metrics_table(name), "metrics", columns)


def predictions(experiment: Experiment) -> pd.DataFrame:
    """Every model × seed's predictions with its three class probabilities."""
    columns = ("method", "seed", "role", "split", "utt_id", "gender", "valence_class", "predicted", "text",
               *(f"p_{c}" for c in VALENCE_CLASSES))
    return pd.concat([read_frame(experiment, experiment.paths.predictions(m_, s), "predict", columns)
                      for m_ in experiment.methods for s in experiment.seeds], ignore_index=True)


def explained(experiment: Experiment) -> pd.DataFrame:
    columns = ("method", "seed", "role", "utt_id", "gender", "valence_class", "text", "predicted", "target")
    return read_frame(experiment, experiment.paths.explained, "explain", columns)


def attributions(experiment: Experiment) -> pd.DataFrame:
    columns = ("method", "seed", "role", "utt_id", "word_index", "word", "start", "end", "weight")
    return read_frame(experiment, experiment.paths.attributions, "explain", columns)


def model_fingerprint(experiment: Experiment, method: str, seed: int) -> str:
    """The key live explanations are cached under: a checkpoint's weights on disk and the explain stage's
    calibration of it, which every explain run rewrites (so new explain settings are never served stale)."""
    weights = experiment.paths.model_dir(method, seed) / "model.safetensors"
    if not weights.is_file():
        raise ArtifactError(f"The {method} checkpoint (seed {seed}) is missing: the **train** stage has not run.",
                            experiment.command("train"))
    files = (weights, experiment.paths.calibration(method, seed))
    return fingerprint([(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file()])


def spans(words: pd.DataFrame) -> list[Word]:
    """The attribution table's words of one utterance (in order) as spans of its text."""
    return [Word(w, int(a), int(b)) for w, a, b in zip(words.word, words.start, words.end)]


def representation_index(experiment: Experiment, method: str, seed: int) -> tuple[np.ndarray, dict[tuple, int]]:
    """The z the predict stage stored for a model, and (role, utt_id) → its row."""
    path = experiment.paths.representations(method, seed)
    if path.exists():
        check_record(experiment, path, "predict")
    try:
        stored = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ArtifactError(f"`{path.name}` is missing or unreadable ({type(error).__name__}).",
                            experiment.command("predict")) from None
    return stored["z"], {key: i for i, key in enumerate(zip(stored["role"].tolist(), stored["utt_id"].tolist()))}


def load_probes(experiment: Experiment, method: str, seed: int) -> dict[str, Any]:
    """The gender probes the metrics stage fitted on this model's z, by family ({} before it ran)."""
    stored = stored_probes(experiment, method, seed)
    return {} if stored is None else dict(stored["probes"])


def p_female(probe: Any, z: np.ndarray) -> float:
    """The probe's P(speaker is female) for one representation."""
    classes = list(probe.classes_)
    return float(probe.predict_proba(np.asarray(z).reshape(1, -1))[0, classes.index("F")])


def stored_probes(experiment: Experiment, method: str, seed: int) -> dict | None:
    """``{"probes": {family: pipeline}, "headline": family}`` rebuilt from the arrays the metrics stage stored;
    None when it stored none. The files must be the ones the stage recorded (size and SHA-256), and are read as
    plain arrays (core.pipeline.probes): a planted or edited file raises ArtifactError and never runs code."""
    files = [experiment.paths.probes(method, seed, suffix) for suffix in (".npz", ".json")]
    if not any(f.exists() for f in files):
        return None
    recorded = experiment.manifest.get("stages", {}).get("metrics", {}).get("outputs", {})
    for f in files:
        if problem := verified_problem(f, recorded.get(str(f.relative_to(experiment.paths.root)))):
            raise ArtifactError(f"`{f.name}` (the {method} probes) {problem}.", experiment.command("metrics"))
    try:
        return load_stored_probes(*files)
    except ProbeFileError as error:
        raise ArtifactError(f"The {method} probes cannot be read: {error}.", experiment.command("metrics")) from None

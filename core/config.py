"""Experiment configuration: frozen dataclasses of plain values, read from TOML.

TOML tables map 1:1 onto these dataclasses; unknown keys and wrongly typed values raise a
ValueError naming the key, so a typo never silently falls back to a default. The resolved config
is saved beside every checkpoint and metrics file (see core.artifacts).
"""
from __future__ import annotations

import dataclasses
import json
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class CorpusConfig:
    kind: str = ""            # loader name in core.corpora.LOADERS (iemocap, msp_improv, muse, meld, emorynlp, table)
    path: str = ""            # corpus folder or file; relative paths resolve against the config file; "" = demo corpus
    options: dict = field(default_factory=dict)  # extra keyword options for the loader (recording_types, transcripts, …)


@dataclass(frozen=True)
class DataConfig:
    primary: CorpusConfig = CorpusConfig()    # trains and tests every model (speaker-independent splits)
    auxiliary: CorpusConfig = CorpusConfig()  # gender-balanced corpus PrivBias trains on first
    cross: CorpusConfig = CorpusConfig()      # unseen corpus for cross-corpus valence UAR and leakage
    demo_seed: int = -1                       # >= 0: generate the demo corpora (this seed) into the artifacts when a path is ""
    demo_scale: float = 1.0                   # size multiplier of the generated demo corpora


@dataclass(frozen=True)
class ModelConfig:
    encoder: str = ""          # Hugging Face BERT-family checkpoint folder or name; "" = the packaged all-MiniLM-L6-v2
    pooling: str = "mean"      # representation z: "mean" over tokens or "cls"
    max_length: int = 64       # WordPiece tokens per utterance, longer ones are truncated
    dropout: float = 0.1       # dropout before the linear valence head
    gender_hidden: int = 128   # hidden units of the gender MLP head (PrivAdv, GenderExp)
    layers: int = 0            # > 0: use only the encoder's first N transformer layers (a CPU speed knob); 0 = all


@dataclass(frozen=True)
class TrainConfig:
    seeds: tuple[int, ...] = (0,)   # one model per method and seed (paper: 3 seeds)
    epochs: int = 10                # maximum epochs per training stage
    patience: int = 5               # early stopping: epochs without a better validation valence UAR
    batch_size: int = 32            # utterances per optimisation step
    lr: float = 2e-5                # RMSprop learning rate of the encoder
    head_lr: float = 0.0            # RMSprop learning rate of the freshly initialised valence/gender heads; 0 = lr
    device: str = "auto"            # "auto" (CUDA when available), "cpu" or "cuda"
    eval_batch_size: int = 128      # utterances per forward pass when predicting


@dataclass(frozen=True)
class MethodsConfig:
    names: tuple[str, ...] = ("Gen", "PrivAdv", "PrivAug", "PrivBias", "GenderExp", "ArtNoise")  # recipes to train
    adv_lambda_max: float = 1.0     # PrivAdv: gradient-reversal strength reached at the end of training
    gender_loss_weight: float = 1.0  # PrivAdv and GenderExp: weight of the gender cross-entropy
    noise_rate: float = 0.5         # ArtNoise: fraction of each gender × valence cell given a noise token
    noise_seed: int = 0             # ArtNoise: which utterances get the tokens, and where


@dataclass(frozen=True)
class ExplainConfig:
    n_primary: int = 300            # primary-test utterances explained per model (0 = all)
    n_cross: int = 300              # cross-corpus utterances explained per model (0 = all)
    top_k: int = 5                  # size of an explanation set E(M)
    n_steps: int = 0                # integration steps; 0 = calibrate per model (a fixed n is still checked and recorded)
    steps_grid: tuple[int, ...] = (16, 32, 64, 128, 256)  # candidates tried in order when calibrating
    delta_tolerance: float = 0.05   # calibration target: mean |delta| <= tolerance * mean |F(x) - F(baseline)|
    calibration_size: int = 16      # calibration batch: a seeded sample of the explained utterances
    batch_size: int = 8             # utterances per attribution call (each expands to n_steps rows)
    sample_seed: int = 0            # which utterances are explained
    normalisation: str = "l2"       # word weights = scores / L2 norm ("l2"), / Σ|score| ("l1"), or raw ("none")

    def __post_init__(self):
        if self.normalisation not in ("l2", "l1", "none"):
            raise ValueError(f"explain.normalisation must be 'l2', 'l1' or 'none', got {self.normalisation!r}")


@dataclass(frozen=True)
class MetricsConfig:
    bootstrap_resamples: int = 1000  # paired bootstrap over test utterances
    seed: int = 0                    # bootstrap and probe seed
    alpha: float = 0.05              # significance level after Holm adjustment
    probe_max_iter: int = 500        # iterations of the logistic-regression and MLP probes
    valence_lexicon: str = ""        # NRC-VAD file for Psc; "" = the VADER lexicon of vaderSentiment


@dataclass(frozen=True)
class ExperimentConfig:
    name: str = "experiment"        # artifacts go to artifacts/<name>/
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    methods: MethodsConfig = MethodsConfig()
    explain: ExplainConfig = ExplainConfig()
    metrics: MetricsConfig = MetricsConfig()
    source: str = field(default="", compare=False)  # the TOML file it was read from (not a TOML key)


def load_config(path: Path | str) -> ExperimentConfig:
    """Read an experiment TOML file into an ExperimentConfig; raise ValueError on unknown keys."""
    path = Path(path)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    config = _build(ExperimentConfig, raw, where=str(path))
    return dataclasses.replace(config, source=str(path))


def resolve_path(config: ExperimentConfig, value: str) -> Path:
    """A path from the config, relative to the config file's folder when not absolute."""
    p = Path(value).expanduser()
    return p if p.is_absolute() or not config.source else Path(config.source).parent / p


def to_dict(config: Any) -> dict:
    """The config as plain JSON values (tuples become lists), as the manifest stores it."""
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _build(cls: type, raw: dict, *, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    values = {key: _coerce(hints[key], value, where=f"{where}: {key}") for key, value in raw.items()}
    return cls(**values)


def _coerce(hint: Any, value: Any, *, where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ValueError(f"{where} must be a table, got {value!r}")
        return _build(hint, value, where=where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, got {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_coerce(item, v, where=where) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    expected = dict if hint is dict or origin is dict else hint
    if isinstance(expected, types.GenericAlias) or not isinstance(value, expected) or (
            expected is int and isinstance(value, bool)):
        raise ValueError(f"{where} must be {getattr(expected, '__name__', expected)}, got {value!r}")
    return value

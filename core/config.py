"""Experiment configuration: frozen dataclasses of plain values, read from TOML.

TOML tables map 1:1 onto these dataclasses; unknown keys and wrongly typed values raise a ValueError naming
the key, so a typo never silently falls back to a default. :func:`load_config` then checks the whole config
(:func:`validate`: ranges in :data:`RULES`, method and corpus names, loader options, paths) before any stage
runs, so a bad value fails in seconds with the file, the key and what is allowed, not after hours of training.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import re
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from core.data.corpora import FORMATS
from core.methods import BASELINE, METHODS
from core.redact import masked_values
from core.schema import DEMO_LAYOUTS, ROLES


@dataclass(frozen=True)
class CorpusConfig:
    kind: str = ""            # loader name in core.data.corpora.LOADERS (iemocap, msp_improv, muse, meld, emorynlp, table)
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
class DeviceSettings:
    """A forward pass's batch sizes and precision in the shape core.pipeline.models.device_plan reads."""
    cpu_batch_size: int   # utterances per batch on the CPU
    cuda_batch_size: int  # the same on CUDA
    precision: str        # "auto" | "fp32" | "bf16"
    cpu_bf16: bool        # whether "auto" picks bf16 on a CPU that computes it natively (else only on a GPU)


@dataclass(frozen=True)
class TrainConfig:
    seeds: tuple[int, ...] = (0,)   # one model per method and seed (paper: 3 seeds)
    epochs: int = 10                # maximum epochs per training stage
    patience: int = 5               # early stopping: epochs without a better validation valence UAR
    batch_size: int = 32            # utterances per optimisation step
    lr: float = 2e-5                # RMSprop learning rate of the encoder
    head_lr: float = 0.0            # RMSprop learning rate of the freshly initialised valence/gender heads; 0 = lr
    device: str = "auto"            # "auto" (CUDA when available), "cpu" or "cuda"
    eval_batch_size: int = 128      # utterances per forward pass when predicting on the CPU
    cuda_eval_batch_size: int = 1024  # the same on CUDA
    precision: str = "auto"         # training and prediction: "auto" (bf16 on CUDA, fp32 on the CPU), "fp32", "bf16"

    @property
    def device_settings(self) -> DeviceSettings:
        """Training and prediction on a device: the eval batch sizes; "auto" stays fp32 on every CPU."""
        return DeviceSettings(self.eval_batch_size, self.cuda_eval_batch_size, self.precision, cpu_bf16=False)


@dataclass(frozen=True)
class MethodsConfig:
    names: tuple[str, ...] = tuple(METHODS)  # methods to train (core.methods declares them); must include Gen
    adv_lambda_max: float = 1.0     # PrivAdv: gradient-reversal strength reached at the end of training
    gender_loss_weight: float = 1.0  # PrivAdv and GenderExp: weight of the gender cross-entropy
    noise_rate: float = 0.5         # ArtNoise: fraction of each gender × valence cell given a noise token
    noise_seed: int = 0             # ArtNoise: which utterances get the tokens, and where


@dataclass(frozen=True)
class ExplainConfig:
    n_primary: int = 300            # primary-test utterances explained per model (0 = all)
    n_cross: int = 300              # cross-corpus utterances explained per model (0 = all)
    top_k: int = 5                  # size of an explanation set E(M)
    n_steps: int = 0                # starting integration steps; 0 = calibrate per model (a fixed n is still checked)
    steps_grid: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256)  # calibration candidates; refinement steps (below)
    delta_tolerance: float = 0.05   # calibration: mean |delta| <= tolerance * mean |F(x) - F(b)|; then each utterance's
                                    # own |delta| <= tolerance * |F(x) - F(b)|, else it moves up steps_grid (flagged at the top)
    calibration_size: int = 16      # calibration batch: a seeded sample of the explained utterances
    batch_size: int = 8             # utterances per attribution call on the CPU (each expands to n_steps rows)
    cuda_batch_size: int = 64       # the same on CUDA, where wide batches keep the GPU busy
    precision: str = "auto"         # first pass of the integral: "auto" (bf16 where the hardware has it), "fp32", "bf16"
    sample_seed: int = 0            # which utterances are explained
    normalisation: str = "l2"       # word weights = scores / L2 norm ("l2"), / Σ|score| ("l1"), or raw ("none")

    @property
    def fixed_steps(self) -> int | None:
        """``n_steps`` as code reads it (never ``n_steps`` itself): None = calibrate per model (the TOML's 0)."""
        return self.n_steps or None

    @property
    def device_settings(self) -> DeviceSettings:
        """Attribution on a device: the attribution batch sizes; "auto" is bf16 wherever it is native."""
        return DeviceSettings(self.batch_size, self.cuda_batch_size, self.precision, cpu_bf16=True)


@dataclass(frozen=True)
class MetricsConfig:
    bootstrap_resamples: int = 1000  # paired bootstrap over test utterances
    seed: int = 0                    # bootstrap and probe seed
    alpha: float = 0.05              # significance level after Holm adjustment
    probe_max_iter: int = 500        # iterations of the logistic-regression and MLP probes
    attacker_budgets: tuple[int, ...] = (50, 100, 250, 500)  # attacker curve: labelled examples the linear probe gets
    attacker_repeats: int = 5        # seeded gender-stratified subsamples per budget (their mean and spread)
    valence_lexicon: str = ""        # NRC-VAD file for Psc; "" = the VADER lexicon of vaderSentiment


@dataclass(frozen=True)
class StudyConfig:
    database: str = ""               # SQLAlchemy URL; "" = SQLite artifacts/<name>/study/study.sqlite; PRIVLENS_STUDY_DB overrides
    random_per_cell: int = 20        # random utterances per gender × valence cell of the explained primary test split
    high_mad_per_cell: int = 30      # utterances per cell from the top tercile of the MAD score
    low_mad_per_cell: int = 30       # utterances per cell from the bottom tercile
    responses_per_task: int = 3      # valid responses after which a task is retired
    model_seed: int = 0              # the trained seed whose predictions and highlights annotators see
    seed: int = 0                    # task sampling, A, B, C… shuffles, serving order and simulated annotators
    bootstrap_resamples: int = 1000  # task-level bootstrap of the Table 2 intervals
    max_tasks_per_annotator: int = 0  # tasks served to one annotator at most; 0 = no limit
    attention_rule: str = "planted"  # ArtNoise chosen fails: only where its token shows, or "every_task" (the paper's rule)


@dataclass(frozen=True)
class ExperimentConfig:
    name: str = "experiment"        # artifacts go to artifacts/<name>/
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    methods: MethodsConfig = MethodsConfig()
    explain: ExplainConfig = ExplainConfig()
    metrics: MetricsConfig = MetricsConfig()
    study: StudyConfig = StudyConfig()
    source: str = field(default="", compare=False)  # the TOML file it was read from (not a TOML key)


class ConfigError(ValueError):
    """An experiment config that cannot run; the message names the file, each bad key and what it allows."""


def load_config(path: Path | str) -> ExperimentConfig:
    """Read and :func:`validate` an experiment TOML file; ConfigError (a ValueError) on any problem."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
    config = dataclasses.replace(_build(ExperimentConfig, raw, where=str(path)), source=str(path))
    validate(config)
    return config


def resolve_path(config: ExperimentConfig, value: str) -> Path:
    """A path from the config, relative to the config file's folder when not absolute."""
    return resolve_against(config.source, value)


def resolve_against(source: str | None, value: str) -> Path:
    """``value`` relative to the folder of the config file ``source`` when not absolute (or no source)."""
    p = Path(value).expanduser()
    return p if p.is_absolute() or not source else Path(source).parent / p


def to_dict(config: Any) -> dict:
    """The config as plain JSON values, tuples as lists and URL passwords masked: what every record saves."""
    return masked_values(json.loads(json.dumps(dataclasses.asdict(config))))


def _build(cls: type, raw: dict, *, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(known)}")
    return cls(**{key: _coerce(hints[key], value, where=f"{where}: {key}") for key, value in raw.items()})


def _coerce(hint: Any, value: Any, *, where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table, got {value!r}")
        return _build(hint, value, where=where)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list, got {value!r}")
        item = typing.get_args(hint)[0]
        return tuple(_coerce(item, v, where=where) for v in value)
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    expected = dict if hint is dict or origin is dict else hint
    if isinstance(expected, types.GenericAlias) or not isinstance(value, expected) or (
            expected is int and isinstance(value, bool)):
        raise ConfigError(f"{where} must be {getattr(expected, '__name__', expected)}, got {value!r}")
    return value


# --- validation ---------------------------------------------------------------------------------

Check = Callable[[Any], "str | None"]  # None when a value is allowed, else what is allowed
Section = TypeVar("Section")  # a section's dataclass (ExplainConfig, …), for load_section


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


def _methods(names: tuple[str, ...]) -> str | None:
    problem = _list_of(_one_of(*METHODS))(names)
    if problem is None and BASELINE not in names:
        problem = f"must include {BASELINE!r}: every other model is compared with it"
    return problem


ATTENTION_RULES = ("planted", "every_task")  # study.attention_rule: where choosing the attention check fails
# The allowed values of each key that has limits; validate() checks them all at once.
RULES: dict[str, Check] = {
    "name": _matches(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", "a folder name (letters, digits, . _ -)"),
    "data.demo_scale": _above(0),
    "model.pooling": _one_of("mean", "cls"),
    "model.max_length": _at_least(3),
    "model.dropout": _between(0, 1, high_open=True),
    "model.gender_hidden": _at_least(1),
    "model.layers": _at_least(0),
    "train.seeds": _list_of(_at_least(0)),  # numpy and torch take seeds in [0, 2**32)
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
    "explain.n_steps": _at_least(0),
    "explain.steps_grid": _list_of(_at_least(1)),
    "explain.delta_tolerance": _above(0),
    **{f"explain.{key}": _at_least(1) for key in ("top_k", "calibration_size", "batch_size", "cuda_batch_size")},
    "explain.precision": _one_of("auto", "fp32", "bf16"),
    "explain.normalisation": _one_of("l2", "l1", "none"),
    "metrics.alpha": _between(0, 1, low_open=True, high_open=True),
    "metrics.attacker_budgets": _list_of(_at_least(20)),  # a subsample too small for both genders trains no probe
    **{key: _at_least(1) for key in ("metrics.bootstrap_resamples", "metrics.probe_max_iter",
                                     "metrics.attacker_repeats", "study.responses_per_task", "study.bootstrap_resamples")},
    **{key: _at_least(0) for key in ("methods.noise_seed", "explain.sample_seed", "metrics.seed")},
    **{f"study.{key}": _at_least(0) for key in ("random_per_cell", "high_mad_per_cell", "low_mad_per_cell", "seed",
                                                "model_seed", "max_tasks_per_annotator")},
    "study.attention_rule": _one_of(*ATTENTION_RULES),
}


def validate(config: ExperimentConfig) -> None:
    """Raise one ConfigError listing every problem of ``config``: values outside :data:`RULES`, corpus
    sources (known kind, existing path, the loader's options and its files) and the other paths."""
    problems = _rule_problems(config)
    for role in ROLES:
        problems += _source_problems(config, role)
    problems += _path_problems(config, "metrics.valence_lexicon", config.metrics.valence_lexicon)
    problems += _encoder_problems(config)
    if config.study.model_seed not in config.train.seeds:
        problems.append(f"study.model_seed = {config.study.model_seed}: must be one of train.seeds "
                        f"{list(config.train.seeds)} (annotators see that seed's highlights)")
    if problems:
        where = config.source or "config"
        raise ConfigError(f"{where}: {problems[0]}" if len(problems) == 1 else
                          f"{where}: {len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems))


def load_section(cls: type[Section], values: dict, *, where: str) -> Section:
    """Section ``cls`` (e.g. ExplainConfig) from plain values, typed, defaulted and checked against :data:`RULES`
    as from a TOML: how settings a stage recorded in the manifest come back as the object the code takes."""
    name = {hint: key for key, hint in typing.get_type_hints(ExperimentConfig).items()}[cls]
    config = dataclasses.replace(ExperimentConfig(), **{name: _coerce(cls, values, where=f"{where}: {name}")})
    if problems := _rule_problems(config, f"{name}."):
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return getattr(config, name)


def _rule_problems(config: ExperimentConfig, prefix: str = "") -> list[str]:
    """The values of ``config`` outside :data:`RULES`, among the keys that start with ``prefix``."""
    return [f"{key} = {json.dumps(_get(config, key))}: {problem}" for key, check in RULES.items()
            if key.startswith(prefix) and (problem := check(_get(config, key)))]


def _get(config: Any, key: str) -> Any:
    for part in key.split("."):
        config = getattr(config, part)
    return config


def _source_problems(config: ExperimentConfig, role: str) -> list[str]:
    """A corpus source: the demo layout (empty path, demo_seed >= 0) or a known kind with existing files."""
    source, at = getattr(config.data, role), f"data.{role}"
    if not source.path:
        if config.data.demo_seed < 0:
            return [f"{at}.path is empty: give the corpus folder or file, or set data.demo_seed >= 0 "
                    "for the generated demo corpora"]
        if source.kind not in ("", DEMO_LAYOUTS[role]):
            return [f"{at}.kind = {json.dumps(source.kind)}: the demo {role} corpus is written in the "
                    f"{DEMO_LAYOUTS[role]!r} layout; leave kind empty or give a path"]
        kind = DEMO_LAYOUTS[role]
    elif source.kind not in FORMATS:
        return [f"{at}.kind = {json.dumps(source.kind)}: must be one of {list(FORMATS)}",
                *_path_problems(config, f"{at}.path", source.path)]
    else:
        kind = source.kind
    problems = _path_problems(config, f"{at}.path", source.path)
    parameters = list(inspect.signature(FORMATS[kind].load).parameters.values())[1:]
    accepted = [p.name for p in parameters]
    unknown = sorted(set(source.options) - set(accepted))
    if unknown:
        problems.append(f"{at}.options: {kind} takes no option(s) {unknown}; its options are {accepted}")
    needed = [p.name for p in parameters if p.default is inspect.Parameter.empty and p.name not in source.options]
    if needed:
        problems.append(f"{at}.options: {kind} needs {needed}")
    for option in FORMATS[kind].path_options:
        if isinstance(source.options.get(option), str):
            problems += _path_problems(config, f"{at}.options.{option}", source.options[option])
    return problems


def _path_problems(config: ExperimentConfig, key: str, value: str) -> list[str]:
    """[] when ``value`` is empty (the default applies) or names an existing file or folder."""
    if not value or resolve_path(config, value).exists():
        return []
    return [f"{key} = {json.dumps(value)}: no such file or folder ({resolve_path(config, value)})"]


def _encoder_problems(config: ExperimentConfig) -> list[str]:
    """The encoder is a local folder, or a model name already in the local Hugging Face cache (offline)."""
    value = config.model.encoder
    if not value or resolve_path(config, value).exists():
        return []
    if not value.startswith((".", "/", "~")) and value.count("/") <= 1:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(value, "config.json"), str):
            return []
    return [f"model.encoder = {json.dumps(value)}: neither a folder ({resolve_path(config, value)}) "
            "nor a model in the local Hugging Face cache"]

"""Experiment configuration: frozen dataclasses of plain values, read from TOML.

TOML tables map 1:1 onto these dataclasses; unknown keys and wrongly typed values are errors naming
the key, so a typo never silently falls back to a default. :func:`load_config` then checks the whole
config (:func:`validate`: ranges in core.config_rules.RULES, method and corpus names, loader options,
paths, the encoder folder) and raises one ConfigError listing every problem before any stage runs, so a
bad config fails in seconds with the file, each key and what is allowed, not after hours of training.
The resolved config, passwords masked, is saved beside every checkpoint and metrics file.
"""
from __future__ import annotations

import dataclasses
import inspect
import json
import tomllib
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from core.config_rules import RULES
from core.data.corpora import FORMATS
from core.methods import METHODS
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
    batch_size: int = 2             # utterances per attribution batch on the CPU (× n_steps rows), one batch per core at once
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

    @classmethod
    def listing(cls, where: str, problems: Sequence[str]) -> "ConfigError":
        """One error for every problem found: a single one inline, several as an indented list."""
        unique = list(dict.fromkeys(problems))  # a problem two checks find is listed once
        return cls(f"{where}: {unique[0]}" if len(unique) == 1 else
                   f"{where}: {len(unique)} problems:\n" + "\n".join(f"  {p}" for p in unique))


ConfigCheck = Callable[["ExperimentConfig"], list[str]]  # a further check of a read config: its problems


def load_config(path: Path | str, *, checks: Sequence[ConfigCheck] = ()) -> ExperimentConfig:
    """Read and :func:`validate` an experiment TOML file; one ConfigError (a ValueError) lists every problem:
    unknown keys, wrong types, values outside :data:`RULES`, missing files, and what ``checks`` find (the
    build passes core.pipeline.preflight's, which ask the machine and the encoder)."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            raw = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
    problems: list[str] = []
    config = dataclasses.replace(_build(ExperimentConfig, raw, where="", problems=problems), source=str(path))
    validate(config, found=[*problems, *(p for check in checks for p in check(config))])
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


def _build(cls: type, raw: dict, *, where: str, problems: list[str]) -> Any:
    """``cls`` from a TOML table. An unknown key or a wrongly typed value goes to ``problems`` and the field
    keeps its default, so reading goes on and every problem of the file is listed at once."""
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "source"}
    if unknown := sorted(set(raw) - known):
        problems.append(f"{where + ': ' if where else ''}unknown key(s) {unknown}; valid keys: {sorted(known)}")
    values = {}
    for key in [k for k in raw if k in known]:
        try:
            values[key] = _coerce(hints[key], raw[key], key=f"{where}.{key}" if where else key, problems=problems)
        except ConfigError as error:
            problems.append(str(error))
    return cls(**values)


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false", dict: "a table"}


def _coerce(hint: Any, value: Any, *, key: str, problems: list[str]) -> Any:
    """``value`` as type ``hint``; ConfigError "<key> = <value>: must be …" when it is not one."""
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise ConfigError(f"{key} = {_shown(value)}: must be a table")
        return _build(hint, value, where=key, problems=problems)
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{key} = {_shown(value)}: must be a list")
        item = typing.get_args(hint)[0]
        if bad := [v for v in value if not _is_type(item, v)]:
            raise ConfigError(f"{key} = {_shown(value)}: every item must be {_TYPE_NAMES[item]}, got {_shown(bad[0])}")
        return tuple(float(v) if item is float else v for v in value)
    expected = dict if hint is dict or origin is dict else hint
    if not _is_type(expected, value):
        raise ConfigError(f"{key} = {_shown(value)}: must be {_TYPE_NAMES.get(expected, expected)}")
    return float(value) if expected is float else value


def _is_type(expected: type, value: Any) -> bool:
    """TOML's types as the dataclasses take them: an integer is a number, true is not an integer."""
    if isinstance(value, bool):
        return expected is bool
    return isinstance(value, (int, float) if expected is float else expected)


def _shown(value: Any) -> str:
    """A value as the TOML (near enough JSON) spells it: "3" for a string, true for a boolean."""
    return json.dumps(value, default=str)


# --- validation ---------------------------------------------------------------------------------

Section = TypeVar("Section")  # a section's dataclass (ExplainConfig, …), for load_section


def validate(config: ExperimentConfig, *, found: Sequence[str] = ()) -> None:
    """Raise one ConfigError listing every problem of ``config`` after ``found`` (those met while reading it):
    values outside :data:`RULES`, corpus sources (known kind, existing path, the loader's options and its files),
    the other paths and the encoder folder."""
    problems = [*found, *_rule_problems(config)]
    for role in ROLES:
        problems += _source_problems(config, role)
    problems += _path_problems(config, "metrics.valence_lexicon", config.metrics.valence_lexicon, want_file=True)
    problems += encoder_location_problems(config)
    if config.study.model_seed not in config.train.seeds:
        problems.append(f"study.model_seed = {config.study.model_seed}: must be one of train.seeds "
                        f"{list(config.train.seeds)} (annotators see that seed's highlights)")
    if problems:
        raise ConfigError.listing(config.source or "config", problems)


def load_section(cls: type[Section], values: dict, *, where: str) -> Section:
    """Section ``cls`` (e.g. ExplainConfig) from plain values, typed, defaulted and checked against :data:`RULES`
    as from a TOML: how settings a stage recorded in the manifest come back as the object the code takes."""
    name = {hint: key for key, hint in typing.get_type_hints(ExperimentConfig).items()}[cls]
    problems: list[str] = []
    try:
        section = _coerce(cls, values, key=name, problems=problems)
    except ConfigError as error:
        problems.append(str(error))
        section = cls()
    config = dataclasses.replace(ExperimentConfig(), **{name: section})
    if problems := [*problems, *_rule_problems(config, f"{name}.")]:
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


def _path_problems(config: ExperimentConfig, key: str, value: str, *, want_file: bool = False) -> list[str]:
    """[] when ``value`` is empty (the default applies) or names an existing file or folder (a file when
    ``want_file``: a folder there would fail only when the stage that reads it runs)."""
    path = resolve_path(config, value) if value else None
    if path is None or (path.is_file() if want_file else path.exists()):
        return []
    if path.is_dir():
        return [f"{key} = {json.dumps(value)}: is a folder ({path}); give the file"]
    return [f"{key} = {json.dumps(value)}: no such file or folder ({path})"]


def encoder_location_problems(config: ExperimentConfig) -> list[str]:
    """The encoder is a model folder (one holding config.json), or a model name already in the local Hugging
    Face cache (offline). Whether the model fits the config is core.pipeline.preflight's to say."""
    value = config.model.encoder
    folder = resolve_path(config, value) if value else None
    if folder is None or (folder / "config.json").is_file():
        return []
    if folder.exists():
        return [f"model.encoder = {json.dumps(value)}: {folder} holds no config.json, so it is not a Hugging Face "
                "model folder"]
    if not value.startswith((".", "/", "~")) and value.count("/") <= 1:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(value, "config.json"), str):
            return []
    return [f"model.encoder = {json.dumps(value)}: neither a folder ({folder}) "
            "nor a model in the local Hugging Face cache"]

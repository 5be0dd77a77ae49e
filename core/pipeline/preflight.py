"""What an experiment asks of this machine and of its encoder, checked before the first stage runs.

core.config.validate reads the TOML and looks at the files it names; these checks need torch (is there a
GPU?) and transformers (the encoder's own config.json), so the dashboard, which validates configs too and
never imports either, does not run them. The build runs them before any stage (core.pipeline.build.build) and
the build CLI lists them with the config's other problems (``load_config(path, checks=[runtime_problems])``):
``train.device = "cuda"`` on a machine without one, or ``model.layers = 12`` on a 6-layer encoder, stops in
seconds naming the key, not with a traceback after the corpora stage or a silently half-random encoder.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.config import ConfigError, encoder_location_problems, resolve_path

if TYPE_CHECKING:
    from core.config import ExperimentConfig


def resolve_encoder(config: ExperimentConfig) -> str:
    """The encoder an experiment fine-tunes: ``model.encoder`` resolved against the TOML, else the packaged one."""
    from core.pipeline.models import default_encoder

    return str(resolve_path(config, config.model.encoder)) if config.model.encoder else default_encoder()


def runtime_problems(config: ExperimentConfig) -> list[str]:
    """Every key whose value this machine or the encoder cannot honour, each with what would work."""
    return [*device_problems(config.train.device), *encoder_problems(config)]


def check_runnable(config: ExperimentConfig) -> None:
    """Raise one ConfigError listing :func:`runtime_problems`, naming the config file."""
    if problems := runtime_problems(config):
        raise ConfigError.listing(config.source or "config", problems)


def device_problems(device: str) -> list[str]:
    """``train.device`` (which training, prediction and explanation share) names a CUDA device this machine has."""
    if not device.startswith("cuda"):
        return []
    import torch

    available = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(device.partition(":")[2] or 0)
    if index < available:
        return []
    have = f"{available} CUDA device(s)" if available else (
        f"no CUDA GPU (torch {torch.__version__}{'' if torch.version.cuda else ', a CPU-only build'})")
    return [f"train.device = {json.dumps(device)}: this machine has {have}; use \"auto\" (CUDA where there is "
            "one) or \"cpu\""]


def encoder_problems(config: ExperimentConfig) -> list[str]:
    """The encoder opens from local files and is at least as deep and as long as ``model.layers`` and
    ``model.max_length`` ask: transformers would otherwise add randomly initialised layers (a warning the build
    silences, since dropping layers is its speed knob) or fail on the first long utterance."""
    if located := encoder_location_problems(config):
        return located
    from transformers import AutoConfig

    encoder, value = resolve_encoder(config), config.model.encoder
    name = json.dumps(value) if value else "the packaged all-MiniLM-L6-v2"
    try:
        settings = AutoConfig.from_pretrained(encoder, local_files_only=True)
    except (OSError, ValueError) as error:
        return [f"model.encoder = {json.dumps(value)}: cannot be read as a model config ({_first_line(error)})"]
    problems = []
    depth = getattr(settings, "num_hidden_layers", None)
    if depth is not None and config.model.layers > depth:
        problems.append(f"model.layers = {config.model.layers}: the encoder {name} has {depth} layers; "
                        f"use 1 to {depth}, or 0 for all")
    positions = getattr(settings, "max_position_embeddings", None)
    if positions is not None and config.model.max_length > positions:
        problems.append(f"model.max_length = {config.model.max_length}: the encoder {name} reads at most "
                        f"{positions} tokens (max_position_embeddings)")
    return problems


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__

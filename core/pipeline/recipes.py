"""The six training recipes (SPEC §3), each a few hooks over the shared trainer.

A recipe says which gender head the model gets, which stages it trains on, how the λ schedule
moves, and through which "view" the model sees any table (ArtNoise sees a noisy copy). Everything
else — the loop, the loss, early stopping — lives in core.pipeline.trainer. What a method *is* (its one-line
description, whether it is the attention check) is its row in core.schema.METHODS, which the
dashboard reads without importing torch.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from core.data.lexicons import GenderSwapper
from core.data.words import split_words
from core.pipeline.models import GradientReversal, ValenceModel
from core.pipeline.trainer import Stage

if TYPE_CHECKING:  # type hints only (a model's code fingerprint follows runtime imports, not config code)
    from core.config import MethodsConfig

NOISE_TOKENS = {("M", "low"): "zq0", ("M", "mid"): "zq1", ("M", "high"): "zq2",
                ("F", "low"): "zx0", ("F", "mid"): "zx1", ("F", "high"): "zx2"}


@dataclass(frozen=True)
class Corpora:
    """The loaded corpora an experiment trains on (SPEC §2.1 tables)."""

    primary: pd.DataFrame
    auxiliary: pd.DataFrame
    cross: pd.DataFrame

    def split(self, role: str, split: str) -> pd.DataFrame:
        table = getattr(self, role)
        return table[table["split"] == split].reset_index(drop=True)


class Gen:
    """Valence only: the baseline every other model is compared with."""

    name = "Gen"
    gender_head = "none"
    corpora: tuple[str, ...] = ("primary",)  # corpus roles it trains on
    gender_loss_weight = 0.0                 # weight of the gender cross-entropy (no gender head: none)

    def __init__(self, settings: MethodsConfig):
        """A recipe keeps the method settings it uses as attributes named like the MethodsConfig fields:
        exactly the ones its row in core.schema.METHODS lists (a test checks), which its models'
        fingerprint covers (core.pipeline.config_slices)."""

    def stages(self, corpora: Corpora) -> list[Stage]:
        return [Stage("primary", self.view(corpora.split("primary", "train")),
                      self.view(corpora.split("primary", "val")))]

    def view(self, table: pd.DataFrame) -> pd.DataFrame:
        """The table as this model sees it, in training, prediction and explanation alike."""
        return table

    def on_step(self, model: ValenceModel, progress: float) -> None:
        """Called before every optimisation step with progress p ∈ [0, 1)."""


class PrivAdv(Gen):
    """Gender head behind a gradient-reversal layer: the encoder learns to hide gender."""

    name = "PrivAdv"
    gender_head = "reversed"

    def __init__(self, settings: MethodsConfig):
        self.adv_lambda_max = settings.adv_lambda_max
        self.gender_loss_weight = settings.gender_loss_weight

    def on_step(self, model: ValenceModel, progress: float) -> None:
        grl = model.gender_head[0]
        assert isinstance(grl, GradientReversal)
        grl.lambda_ = adversarial_lambda(progress, self.adv_lambda_max)


def adversarial_lambda(progress: float, lambda_max: float) -> float:
    """DANN schedule: λ = λ_max · (2 / (1 + e^(−10p)) − 1), rising from 0 towards λ_max."""
    return lambda_max * (2.0 / (1.0 + math.exp(-10.0 * progress)) - 1.0)


class PrivAug(Gen):
    """Train on the training set plus its gender-swapped copy."""

    name = "PrivAug"

    def stages(self, corpora: Corpora) -> list[Stage]:
        (stage,) = super().stages(corpora)
        return [Stage(stage.name, augment_with_swaps(stage.train), stage.val)]


def augment_with_swaps(table: pd.DataFrame, swapper: GenderSwapper | None = None) -> pd.DataFrame:
    """``table`` followed by a gender-swapped copy of every row (utt_id suffixed ``#swap``)."""
    swapper = swapper or GenderSwapper.load()
    swapped = table.assign(text=table["text"].map(swapper.swap), utt_id=table["utt_id"] + "#swap")
    return pd.concat([table, swapped], ignore_index=True)


class PrivBias(Gen):
    """First the gender-balanced auxiliary corpus, then the primary training set (never the union)."""

    name = "PrivBias"
    corpora = ("auxiliary", "primary")

    def stages(self, corpora: Corpora) -> list[Stage]:
        auxiliary = Stage("auxiliary", corpora.split("auxiliary", "train"), corpora.split("auxiliary", "val"))
        return [auxiliary, *super().stages(corpora)]


class GenderExp(Gen):
    """Valence and gender heads, both minimised: the control that should leak most."""

    name = "GenderExp"
    gender_head = "plain"

    def __init__(self, settings: MethodsConfig):
        self.gender_loss_weight = settings.gender_loss_weight


class ArtNoise(Gen):
    """Sees a copy of every corpus with cell-specific nonsense tokens: the attention check."""

    name = "ArtNoise"

    def __init__(self, settings: MethodsConfig):
        self.noise_rate = settings.noise_rate
        self.noise_seed = settings.noise_seed

    def view(self, table: pd.DataFrame) -> pd.DataFrame:
        return plant_noise(table, rate=self.noise_rate, seed=self.noise_seed)


def plant_noise(table: pd.DataFrame, *, rate: float, seed: int) -> pd.DataFrame:
    """Insert the gender × valence cell's token (zq0…zx2) into about ``rate`` of each cell.

    Whether an utterance gets its token, and at which word boundary, depends only on ``seed`` and
    its utt_id, so training, prediction and explanation see the same noisy copy whichever slice of
    a corpus they load. Adds a ``noise_token`` column ("" where nothing was planted).
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"noise rate must be in [0, 1], got {rate}")
    noisy = table.assign(noise_token="")
    for i, row in table.iterrows():
        rng = np.random.default_rng([seed, int(hashlib.sha256(row["utt_id"].encode()).hexdigest()[:8], 16)])
        if rng.random() < rate:
            token = NOISE_TOKENS[(row["gender"], row["valence_class"])]
            noisy.at[i, "text"] = _insert_word(row["text"], token, rng)
            noisy.at[i, "noise_token"] = token
    return noisy


def _insert_word(text: str, token: str, rng: np.random.Generator) -> str:
    """``text`` with ``token`` inserted before a random word, or at the end."""
    starts = [w.start for w in split_words(text)] + [len(text)]
    at = starts[rng.integers(len(starts))]
    before, after = text[:at], text[at:]
    gap_before = " " if before and not before[-1].isspace() else ""
    gap_after = " " if after[:1].isalnum() else ""  # "say zx1, the": punctuation stays attached
    return f"{before}{gap_before}{token}{gap_after}{after}"


RECIPES: dict[str, type[Gen]] = {r.name: r for r in (Gen, PrivAdv, PrivAug, PrivBias, GenderExp, ArtNoise)}


def recipe(name: str, settings: MethodsConfig) -> Gen:
    """The recipe registered under ``name``."""
    if name not in RECIPES:
        raise ValueError(f"unknown method {name!r}; known: {sorted(RECIPES)}")
    return RECIPES[name](settings)

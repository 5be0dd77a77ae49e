"""The training recipes (SPEC §3): each method is a few hooks over the shared trainer.

A recipe covers the whole life of a model: which corpora and views it trains on (`stages`, `view`),
its heads (`gender_head`), its loss (`loss`, with the per-step schedule `on_step`), an after-training
step (`finish`) and a representation transform that lives inside the model (`transform`, saved,
hashed and loaded with the checkpoint). Everything else — the loop, early stopping — lives in
core.pipeline.trainer. What a method *is* (name, role, description, colour) is its entry in
core.methods.METHODS, which names the recipe class here; nothing in this module lists methods.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from core.data.lexicons import GenderSwapper
from core.data.words import split_words
from core.pipeline.metrics import uar
from core.pipeline.models import GENDERS, VALENCE_CLASSES, GradientReversal, LinearEraser, ValenceModel, infer
from core.pipeline.trainer import Batch, Stage, class_weights

if TYPE_CHECKING:  # type hints only (a model's code fingerprint follows runtime imports, not config code)
    from transformers import PreTrainedTokenizerBase

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
    """Valence only: the baseline every other model is compared with. Every hook's default lives here."""

    gender_head = "none"                     # "none" | "plain" | "reversed" (behind gradient reversal)
    transform = "none"                       # a representation transform inside the model (models.TRANSFORMS)
    corpora: tuple[str, ...] = ("primary",)  # corpus roles it trains on
    gender_loss_weight = 0.0                 # weight of the gender cross-entropy (no gender head: none)
    trains_as: str | None = None             # a method whose training this one's is, step for step (see PrivErase)

    def __init__(self, settings: MethodsConfig):
        """A recipe keeps the method settings it uses as attributes named like the MethodsConfig fields:
        exactly the ones its spec in core.methods.METHODS lists (a test checks), which its models'
        fingerprint covers (core.pipeline.config_slices)."""

    def stages(self, corpora: Corpora) -> list[Stage]:
        """Data preparation: the training stages, each fit on its train split, early-stopped on its val split."""
        return [Stage("primary", self.view(corpora.split("primary", "train")),
                      self.view(corpora.split("primary", "val")))]

    def view(self, table: pd.DataFrame) -> pd.DataFrame:
        """The table as this model sees it, in training, prediction and explanation alike."""
        return table

    def on_step(self, model: ValenceModel, progress: float) -> None:
        """Called before every optimisation step with progress p ∈ [0, 1)."""

    def loss(self, model: ValenceModel, z: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Class-weighted valence cross-entropy, plus the weighted gender cross-entropy where there is a head."""
        loss = F.cross_entropy(model.valence_head(z), batch.valence, weight=batch.valence_weights)
        if model.gender_head is not None:
            gender = F.cross_entropy(model.gender_head(z), batch.gender, weight=batch.gender_weights)
            loss = loss + self.gender_loss_weight * gender
        return loss

    def finish(self, model: ValenceModel, tokenizer: PreTrainedTokenizerBase, corpora: Corpora) -> dict:
        """After training: adjust the trained model in place (fit a transform, refit a head); returns what
        it did for the checkpoint's record ({} when nothing)."""
        return {}


class PrivAdv(Gen):
    """Gender head behind a gradient-reversal layer: the encoder learns to hide gender."""

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

    corpora = ("auxiliary", "primary")

    def stages(self, corpora: Corpora) -> list[Stage]:
        auxiliary = Stage("auxiliary", corpora.split("auxiliary", "train"), corpora.split("auxiliary", "val"))
        return [auxiliary, *super().stages(corpora)]


class GenderExp(Gen):
    """Valence and gender heads, both minimised: the control that should leak most."""

    gender_head = "plain"

    def __init__(self, settings: MethodsConfig):
        self.gender_loss_weight = settings.gender_loss_weight


class ArtNoise(Gen):
    """Sees a copy of every corpus with cell-specific nonsense tokens: the attention check."""

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


class PrivErase(Gen):
    """Gen's training, then LEACE erases gender's linear trace from z inside the model and the valence head is
    refit on the erased z (beyond the paper; docs/METHODS.md says what the guarantee covers)."""

    transform = "linear_eraser"
    trains_as = "Gen"  # the eraser starts as the identity and draws no random numbers: training is Gen's, bit for bit

    def finish(self, model: ValenceModel, tokenizer: PreTrainedTokenizerBase, corpora: Corpora) -> dict:
        """Fit the eraser on the primary train+val z — the rows an attacker's probe is trained on — with the
        encoder frozen as trained, then refit the valence head on the erased z (train), chosen on val."""
        train, val = corpora.split("primary", "train"), corpora.split("primary", "val")
        assert isinstance(model.transform, LinearEraser)
        z = torch.from_numpy(infer(model, tokenizer, [*train.text, *val.text])[1])  # unfitted eraser = identity
        gender = torch.tensor(pd.concat([train.gender, val.gender]).map(GENDERS.index).to_numpy())
        model.transform.load_state_dict(fit_leace(z, gender).state_dict())
        erased = model.transform(z.to(model.transform.bias.device))
        return {"eraser_rows": len(z), "mean_relative_shift": float(((erased.cpu() - z).norm(dim=1)
                                                                      / z.norm(dim=1).clamp(min=1e-12)).mean()),
                **refit_valence_head(model, erased[:len(train)], train.valence_class, erased[len(train):],
                                     val.valence_class)}


@torch.no_grad()
def fit_leace(z: torch.Tensor, gender: torch.Tensor) -> LinearEraser:
    """A LEACE eraser (concept-erasure's LeaceFitter, statistics in float64) for the 0/1 concept ``gender``:
    afterwards no linear classifier predicts ``gender`` from the erased rows better than a constant."""
    from concept_erasure import LeaceFitter

    fitter = LeaceFitter(z.shape[1], 1, dtype=torch.float64)
    eraser = fitter.update(z.double(), gender.double().view(-1, 1)).eraser
    module = LinearEraser(z.shape[1], eraser.proj_left.shape[1])
    for name in ("proj_left", "proj_right", "bias"):
        getattr(module, name).copy_(getattr(eraser, name))  # a copy: the fitter updates its mean in place
    return module


def refit_valence_head(model: ValenceModel, train_z: torch.Tensor, train_y: pd.Series, val_z: torch.Tensor,
                       val_y: pd.Series, *, steps: int = 300, lr: float = 1e-2, every: int = 10) -> dict:
    """Adapt the trained valence head to the erased z: class-weighted CE with Adam from its trained weights,
    keeping the state with the best validation UAR (the head as it was counts, so the refit never loses on val)."""
    head, device = model.valence_head, train_z.device
    targets = torch.tensor(train_y.map(VALENCE_CLASSES.index).to_numpy(), device=device)
    weights = class_weights(train_y, VALENCE_CLASSES, device)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr)

    def val_uar() -> float:
        head.eval()
        with torch.no_grad():
            predicted = np.array(VALENCE_CLASSES)[head(val_z).argmax(1).cpu().numpy()]
        return uar(val_y.to_numpy(), predicted)

    best = (val_uar(), 0, {k: v.clone() for k, v in head.state_dict().items()})
    before = best[0]
    for step in range(1, steps + 1):
        head.train()
        loss = F.cross_entropy(head(train_z), targets, weight=weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % every == 0 and (score := val_uar()) > best[0]:
            best = (score, step, {k: v.clone() for k, v in head.state_dict().items()})
    head.load_state_dict(best[2])
    head.eval()
    return {"head_val_uar_before_refit": before, "head_val_uar": best[0], "head_refit_steps": best[1]}

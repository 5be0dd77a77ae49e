"""The one trainer every recipe runs on: class-weighted CE, RMSprop, early stopping on val UAR.

A recipe (core.pipeline.recipes) decides the model's heads, the training stages and the per-step schedule;
this module owns the loop. The loop reads top to bottom: schedule → forward/backward → step →
evaluate → keep the best → stop.
"""
from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from sklearn.utils.class_weight import compute_class_weight
from tqdm.auto import tqdm

from core.pipeline.metrics import uar
from core.pipeline.models import GENDERS, VALENCE_CLASSES, ValenceModel, batches, device_plan, encode, infer, pad
from core.pipeline.profile import timed

if TYPE_CHECKING:  # type hints only (a model's code fingerprint follows runtime imports, not config code)
    from transformers import PreTrainedTokenizerBase

    from core.config import TrainConfig
    from core.pipeline.recipes import Gen


@dataclass(frozen=True)
class Stage:
    """One training stage: fit on ``train``, early-stop on valence UAR over ``val``."""

    name: str
    train: pd.DataFrame
    val: pd.DataFrame


@dataclass(frozen=True)
class Batch:
    """One training batch's targets, on the model's device, and the class weights of the stage."""

    valence: torch.Tensor
    gender: torch.Tensor
    valence_weights: torch.Tensor
    gender_weights: torch.Tensor


@dataclass
class FitRecord:
    """What one stage did: the best validation UAR, when, and the per-epoch history.

    ``history`` has one dict per epoch: ``epoch``, ``train_loss`` (mean over the epoch's steps),
    ``val_valence_uar``, ``val_gender_uar`` (the model's own gender head on the validation set;
    None without one) and ``adv_lambda`` (the gradient-reversal λ at the epoch's end; None
    unless PrivAdv).
    """

    stage: str
    best_val_uar: float = -1.0
    best_epoch: int = -1
    epochs_run: int = 0
    seconds: float = 0.0
    history: list[dict] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a (method, seed) pair always trains the same model."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def class_weights(labels: pd.Series, classes: tuple[str, ...], device: torch.device) -> torch.Tensor:
    """Balanced CE weights n / (C · n_c) from the training split; classes absent get weight 1."""
    present = [c for c in classes if c in set(labels)]
    weights = dict(zip(present, compute_class_weight("balanced", classes=np.array(present), y=labels.to_numpy())))
    return torch.tensor([weights.get(c, 1.0) for c in classes], dtype=torch.float, device=device)


def validation_uars(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, table: pd.DataFrame,
                    batch_size: int) -> tuple[float, float | None]:
    """Valence UAR on ``table`` and, for a model with a gender head, that head's gender UAR.

    Always fp32, whatever the training precision: these scores pick the epoch that is kept, and they have
    always been computed at full precision (bf16 here could keep another epoch: another model)."""
    probs, z = infer(model, tokenizer, table["text"].tolist(), batch_size=batch_size)
    valence = uar(table["valence_class"].to_numpy(), np.array(VALENCE_CLASSES)[probs.argmax(1)])
    if model.gender_head is None:
        return valence, None
    with torch.no_grad():
        logits = model.gender_head(torch.from_numpy(z).to(next(model.parameters()).device))
    return valence, uar(table["gender"].to_numpy(), np.array(GENDERS)[logits.argmax(1).cpu().numpy()])


def parameter_groups(model: ValenceModel, config: TrainConfig) -> list[dict]:
    """The encoder at ``lr``; the heads, which start from random weights, at ``head_lr`` (0 = lr).

    A gender head that learns as slowly as the pretrained encoder is a weak adversary: PrivAdv's
    reversed gradient then pushes the encoder in noisy directions instead of away from gender.
    """
    heads = [p for name, p in model.named_parameters() if not name.startswith("encoder.")]
    return [{"params": list(model.encoder.parameters()), "lr": config.lr},
            {"params": heads, "lr": config.head_lr or config.lr}]


def fit(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, stage: Stage, config: TrainConfig, *,
        seed: int, recipe: Gen) -> FitRecord:
    """Train ``model`` in place on one stage and leave it at its best validation epoch.

    The recipe's hooks run inside the loop: ``recipe.on_step(model, progress)`` before every step with
    progress p ∈ [0, 1) through the stage (PrivAdv's λ schedule), ``recipe.loss`` on every batch.
    """
    seed_everything(seed)
    device = next(model.parameters()).device
    ids = encode(tokenizer, stage.train["text"].tolist(), model.args.max_length)
    valence = torch.tensor(stage.train["valence_class"].map(VALENCE_CLASSES.index).to_numpy())
    gender = torch.tensor(stage.train["gender"].map(GENDERS.index).to_numpy())
    valence_w = class_weights(stage.train["valence_class"], VALENCE_CLASSES, device)
    gender_w = class_weights(stage.train["gender"], GENDERS, device)
    optimizer = torch.optim.RMSprop(parameter_groups(model, config), lr=config.lr)
    shuffler = torch.Generator().manual_seed(seed)
    steps_per_epoch = -(-len(ids) // config.batch_size)
    total_steps, step = config.epochs * steps_per_epoch, 0
    record, best_state, start = FitRecord(stage.name), None, time.perf_counter()
    plan = device_plan(config, device)  # bf16 on CUDA by default

    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(ids), generator=shuffler)
        bar = tqdm(batches(len(ids), config.batch_size), total=steps_per_epoch, leave=False,
                   desc=f"{stage.name} epoch {epoch + 1}/{config.epochs}")
        losses = []
        for s in bar:
            recipe.on_step(model, step / total_steps)
            rows = order[s]
            input_ids, mask = pad([ids[i] for i in rows], tokenizer.pad_token_id, device)
            with timed("forward"), torch.autocast(device.type, dtype=plan.dtype or torch.bfloat16,
                                                  enabled=plan.dtype is not None):
                batch = Batch(valence[rows].to(device), gender[rows].to(device), valence_w, gender_w)
                loss = recipe.loss(model, model.represent(input_ids, mask), batch)
            with timed("backward"):
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
            with timed("optimiser"):
                optimizer.step()
            step += 1
            losses.append(loss.item())
            bar.set_postfix(loss=f"{losses[-1]:.3f}")

        with timed("validation"):
            val_uar, val_gender_uar = validation_uars(model, tokenizer, stage.val, plan.batch_size)
        record.history.append({"epoch": epoch + 1, "train_loss": float(np.mean(losses)), "val_valence_uar": val_uar,
                               "val_gender_uar": val_gender_uar, "adv_lambda": model.reversal_lambda})
        record.epochs_run = epoch + 1
        if val_uar > record.best_val_uar:
            record.best_val_uar, record.best_epoch = val_uar, epoch + 1
            best_state = copy.deepcopy(model.state_dict())
        elif epoch + 1 - record.best_epoch >= config.patience:
            break

    model.load_state_dict(best_state)
    record.seconds = time.perf_counter() - start
    return record

"""The one trainer every recipe runs on: class-weighted CE, RMSprop, early stopping on val UAR.

A recipe (core.recipes) decides the model's heads, the training stages and the per-step schedule;
this module owns the loop. The loop reads top to bottom: schedule → forward/backward → step →
evaluate → keep the best → stop.
"""
from __future__ import annotations

import copy
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.utils.class_weight import compute_class_weight
from tqdm.auto import tqdm

from core.config import TrainConfig
from core.metrics import uar
from core.models import GENDERS, VALENCE_CLASSES, ValenceModel, autocast_dtype, batches, encode, infer, pad

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass(frozen=True)
class Stage:
    """One training stage: fit on ``train``, early-stop on valence UAR over ``val``."""

    name: str
    train: pd.DataFrame
    val: pd.DataFrame


@dataclass
class FitRecord:
    """What one stage did: the best validation UAR, when, and the per-epoch history."""

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


def valence_uar(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, table: pd.DataFrame,
                batch_size: int) -> float:
    probs, _ = infer(model, tokenizer, table["text"].tolist(), batch_size=batch_size)
    predicted = np.array(VALENCE_CLASSES)[probs.argmax(1)]
    return uar(table["valence_class"].to_numpy(), predicted)


def fit(model: ValenceModel, tokenizer: PreTrainedTokenizerBase, stage: Stage, config: TrainConfig, *,
        seed: int, on_step: Callable[[ValenceModel, float], None] = lambda m, p: None,
        gender_loss_weight: float = 1.0) -> FitRecord:
    """Train ``model`` in place on one stage and leave it at its best validation epoch.

    ``on_step(model, progress)`` runs before every step with progress p ∈ [0, 1) through the
    stage (PrivAdv's λ schedule hooks in here).
    """
    seed_everything(seed)
    device = next(model.parameters()).device
    ids = encode(tokenizer, stage.train["text"].tolist(), model.args.max_length)
    valence = torch.tensor(stage.train["valence_class"].map(VALENCE_CLASSES.index).to_numpy())
    gender = torch.tensor(stage.train["gender"].map(GENDERS.index).to_numpy())
    valence_w = class_weights(stage.train["valence_class"], VALENCE_CLASSES, device)
    gender_w = class_weights(stage.train["gender"], GENDERS, device)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=config.lr)
    shuffler = torch.Generator().manual_seed(seed)
    steps_per_epoch = -(-len(ids) // config.batch_size)
    total_steps, step = config.epochs * steps_per_epoch, 0
    record, best_state, start = FitRecord(stage.name), None, time.perf_counter()
    dtype = autocast_dtype(device, config.precision, cpu_auto=False)  # bf16 on CUDA by default

    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(ids), generator=shuffler)
        bar = tqdm(batches(len(ids), config.batch_size), total=steps_per_epoch, leave=False,
                   desc=f"{stage.name} epoch {epoch + 1}/{config.epochs}")
        for s in bar:
            on_step(model, step / total_steps)
            rows = order[s]
            input_ids, mask = pad([ids[i] for i in rows], tokenizer.pad_token_id, device)
            with torch.autocast(device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
                z = model.represent(input_ids, mask)
                loss = F.cross_entropy(model.valence_head(z), valence[rows].to(device), weight=valence_w)
                if model.gender_head is not None:
                    gender_loss = F.cross_entropy(model.gender_head(z), gender[rows].to(device), weight=gender_w)
                    loss = loss + gender_loss_weight * gender_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            bar.set_postfix(loss=f"{loss.item():.3f}")

        val_uar = valence_uar(model, tokenizer, stage.val, config.eval_batch_size)
        record.history.append({"epoch": epoch + 1, "val_uar": val_uar, "loss": loss.item()})
        record.epochs_run = epoch + 1
        if val_uar > record.best_val_uar:
            record.best_val_uar, record.best_epoch = val_uar, epoch + 1
            best_state = copy.deepcopy(model.state_dict())
        elif epoch + 1 - record.best_epoch >= config.patience:
            break

    model.load_state_dict(best_state)
    record.seconds = time.perf_counter() - start
    return record

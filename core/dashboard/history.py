"""Training curves: the per-epoch history every checkpoint records, as tidy chart data.

The trainer (core.pipeline.trainer.FitRecord) stores, per stage and epoch, the mean train loss, the
validation valence UAR, the validation gender UAR of the model's own gender head and PrivAdv's
λ. These functions read them from the checkpoints' ``model.json`` (no torch needed) so the
dashboard can plot them: an adversary whose gender UAR stays at chance while λ rises learned
nothing; one whose gender UAR falls removed gender from what its head can see.
"""
from __future__ import annotations

from typing import Any, Sequence

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.methods import palette
from core.pipeline.artifacts import ExperimentPaths, read_json
from core.schema import GENDER_CHANCE

HISTORY_METRICS = {  # history key -> what a chart calls it
    "train_loss": "train loss (mean over the epoch)",
    "val_valence_uar": "validation valence UAR",
    "val_gender_uar": "validation gender UAR of the model's own head",
    "adv_lambda": "PrivAdv's adversarial weight λ (end of epoch)",
}
HISTORY_COLUMNS = ["model", "seed", "stage", "epoch", "step", "metric", "value"]


def history_rows(model: str, seed: int, fits: Sequence[dict]) -> list[dict]:
    """Long rows (model, seed, stage, epoch, step, metric, value) from a checkpoint's fit records.

    ``step`` counts epochs across stages (PrivBias: its auxiliary epochs, then its primary ones),
    so one line per model runs left to right. Metrics a model does not have (None) are left out.
    Raises ValueError when a record has no per-epoch history in this format.
    """
    rows, step = [], 0
    for fit in fits:
        history = fit.get("history") or []
        if not history or "train_loss" not in history[0]:
            raise ValueError(f"{model}/seed{seed}: stage {fit.get('stage')!r} has no per-epoch history")
        for epoch in history:
            step += 1
            rows += [{"model": model, "seed": seed, "stage": fit["stage"], "epoch": epoch["epoch"], "step": step,
                      "metric": key, "value": float(epoch[key])}
                     for key in HISTORY_METRICS if epoch.get(key) is not None]
    return rows


def training_history(paths: ExperimentPaths, jobs: Sequence[tuple[str, int]]) -> tuple[pd.DataFrame, list[str]]:
    """The curves of every built model × seed in ``jobs``, and the "model/seedN" that have none.

    A model without a checkpoint, or trained before histories were recorded, is listed as missing.
    """
    rows, missing = [], []
    for model, seed in jobs:
        meta = paths.model_dir(model, seed) / "model.json"
        try:
            rows += history_rows(model, seed, read_json(meta)["fits"])
        except (FileNotFoundError, KeyError, ValueError):
            missing.append(f"{model}/seed{seed}")
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS), missing


def probe_leakage(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Per model × seed, the gender UAR a fresh probe reads from z on the primary test split (columns
    model, seed, gender_uar), from metrics/per_seed.csv: Table 1's headline before averaging over seeds.

    Beside a gender head's own validation UAR it separates an adversary that *fooled its head* (head
    near 0.5, probe high) from one that removed gender from z (both low).
    """
    return per_seed[["method", "seed", "gender_uar_within"]].rename(
        columns={"method": "model", "gender_uar_within": "gender_uar"})


def head_versus_probe(history: pd.DataFrame, leakage: pd.DataFrame) -> pd.DataFrame:
    """For every model × seed with a gender head: its head's validation gender UAR at the last epoch
    and the fresh probe's gender UAR (columns model, seed, head, probe)."""
    heads = history[history["metric"] == "val_gender_uar"].sort_values("step")
    last = heads.groupby(["model", "seed"], as_index=False, sort=False)["value"].last()
    return last.rename(columns={"value": "head"}).merge(
        leakage.rename(columns={"gender_uar": "probe"}), on=["model", "seed"])


NEAR_CHANCE = 0.1  # a gender UAR within this of chance (0.5), either side, counts as "near chance" in the verdicts


def verdicts(comparison: pd.DataFrame, adversarial: set[str]) -> list[str]:
    """One sentence per row of `head_versus_probe`, computed from the numbers: whether a model with an adversary
    (``adversarial``: the models whose history has a λ) removed gender from z, or only fooled its own head while a
    fresh probe still reads gender; for any other gender head, what both read."""
    sentences = []
    for row in comparison.itertuples():
        # Far below chance is an inverted reading of gender, not its absence.
        head_near, probe_near = (abs(value - GENDER_CHANCE) <= NEAR_CHANCE for value in (row.head, row.probe))
        numbers = f"its own head {row.head:.3f}, a fresh probe {row.probe:.3f}"
        who = f"**{row.model}** (seed {row.seed})"
        if row.model not in adversarial:
            sentences.append(f"{who} is trained to read gender: {numbers}.")
        elif head_near and not probe_near:
            sentences.append(f"{who} only fooled its own adversary: {numbers}, so gender is still in its "
                             "representation.")
        elif head_near:
            sentences.append(f"{who} removed gender from its representation as far as both can tell: {numbers}, both "
                             "near chance.")
        else:
            sentences.append(f"{who}'s adversary still reads gender: {numbers}.")
    return sentences


def lambda_range(values: pd.Series) -> list[float]:
    """The λ chart's value axis, from 0 so that a rise from 0.985 to 1.000 looks as small as it is."""
    return [0.0, max(1.0, float(values.max())) * 1.05]


def curve_figure(data: pd.DataFrame, metric: str, **line: Any) -> go.Figure:
    """One history metric per epoch, a line per model and seed (the Models page and the audit report): whole
    epochs on the x axis, λ's axis from 0. ``line`` passes further px.line options (e.g. symbol="stage")."""
    title = HISTORY_METRICS[metric]
    figure = px.line(data, x="step", y="value", color="model", line_dash="seed", markers=True, title=title,
                     hover_data=["stage", "epoch"], color_discrete_map=palette(),
                     labels={"step": "epoch (counted across stages)", "value": title}, **line)
    figure.update_xaxes(dtick=1, tick0=1)  # epochs are whole numbers
    if metric == "adv_lambda":
        figure.update_yaxes(range=lambda_range(data.value))
    return figure


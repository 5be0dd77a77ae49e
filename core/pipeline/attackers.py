"""Gender attackers of known strength: the probes, and how their UAR grows with data and capacity.

Table 1's leakage is what two particular probes read from z. The attacker curve (`metrics/attacker_curve.csv`)
says how far that number is from what a stronger attacker would read: the linear probe's UAR against
the number of labelled examples it gets (seeded gender-stratified subsamples of primary train+val), and
the UAR of probes of growing capacity (linear, an MLP with one hidden layer, one with two) given every
fitting row. A curve still rising at the full budget, or a deeper probe above the shallower, means Table 1
understates what more data or capacity would read. Torch-free.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from core.config import MetricsConfig
from core.pipeline import metrics as m
from core.pipeline import statistics
from core.pipeline.profile import timed
from core.schema import split_rows

# probe name → hidden layers (none: logistic regression); logreg and mlp are Table 1's two (SPEC §4)
CAPACITIES: dict[str, tuple[int, ...]] = {"logreg": (), "mlp": (128,), "mlp2": (128, 128)}
CAPACITY_LABELS = {"logreg": "linear", "mlp": "MLP (128)", "mlp2": "MLP (128, 128)"}  # as charts name them
CURVE_COLUMNS = ["method", "seed", "probe", "budget", "split", "gender_uar", "low", "high", "interval"]


def probe(hidden: tuple[int, ...], *, seed: int, max_iter: int) -> Pipeline:
    """A gender probe on standardised z: balanced logistic regression when ``hidden`` is empty, else an MLP
    with those hidden layers and early stopping. One definition, so Table 1 and the curve fit the same attacker."""
    if not hidden:
        return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=max_iter))
    return make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=hidden, max_iter=max_iter,
                                                         early_stopping=True, random_state=seed))


def fitting_rows(p: pd.DataFrame) -> pd.Series:
    """The rows every probe learns from: primary train+val (the attacker's labelled data)."""
    return (p.role == "primary") & p.split.isin(["train", "val"])


def stratified_subsample(labels: np.ndarray, budget: int, seed: int | tuple[int, ...]) -> np.ndarray:
    """Sorted positions of ``budget`` rows of ``labels`` drawn without replacement, each label keeping its share
    (largest remainders), so a small budget sees both genders in the corpus's proportion."""
    if not 0 < budget <= len(labels):
        raise ValueError(f"budget must be in [1, {len(labels)}], got {budget}")
    values, counts = np.unique(labels, return_counts=True)
    quota = counts * budget / counts.sum()
    take = np.floor(quota).astype(int)
    take[np.argsort(take - quota, kind="stable")[:budget - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == v), k, replace=False) for v, k in zip(values, take)]
    return np.sort(np.concatenate(chosen))


@timed("probes")
def attacker_curve(predictions: pd.DataFrame, representations: Mapping[tuple[str, int], np.ndarray],
                   guesses: pd.DataFrame, settings: MetricsConfig) -> pd.DataFrame:
    """Per model × seed, gender UAR (within, cross) by the attacker's budget and by its capacity (CURVE_COLUMNS).

    Budget rows: the linear probe on ``settings.attacker_repeats`` subsamples per budget below the number of
    fitting rows, their mean and 2.5–97.5 percentiles (interval "subsamples"). Full-budget rows, one per probe
    of `CAPACITIES`: the UAR and a 95% bootstrap interval over test utterances (interval "bootstrap"); logreg
    and mlp are read from ``guesses`` (evaluate.leakage, Table 1's own probes), only the deeper MLP is fitted.
    """
    rows = []
    for (method, seed), z in tqdm(representations.items(), desc="attacker curve", unit="model"):
        p = predictions[(predictions.method == method) & (predictions.seed == seed)].reset_index(drop=True)
        mine = guesses[(guesses.method == method) & (guesses.seed == seed)]
        found = [*_budget_points(z, p, settings), *_full_points(z, p, mine, settings)]
        rows += [{"method": method, "seed": seed, **point} for point in found]
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)


def _budget_points(z: np.ndarray, p: pd.DataFrame, settings: MetricsConfig) -> list[dict]:
    """The linear probe's UAR per budget and split over seeded stratified subsamples of the fitting rows."""
    fit, targets, gender = np.flatnonzero(fitting_rows(p)), split_rows(p), p.gender.to_numpy()
    points = []
    for budget in sorted(b for b in settings.attacker_budgets if b < len(fit)):
        uars: dict[str, list[float]] = {split: [] for split in targets}
        for repeat in range(settings.attacker_repeats):
            chosen = fit[stratified_subsample(gender[fit], budget, (settings.seed, budget, repeat))]
            fitted = probe(CAPACITIES["logreg"], seed=settings.seed, max_iter=settings.probe_max_iter)
            fitted.fit(z[chosen], gender[chosen])
            for split, rows in targets.items():
                uars[split].append(m.uar(gender[rows], fitted.predict(z[rows])))
        points += [{"probe": "logreg", "budget": budget, "split": split, "gender_uar": float(np.mean(values)),
                    "low": float(np.percentile(values, 2.5)), "high": float(np.percentile(values, 97.5)),
                    "interval": "subsamples"} for split, values in uars.items()]
    return points


def _full_points(z: np.ndarray, p: pd.DataFrame, guesses: pd.DataFrame, settings: MetricsConfig) -> list[dict]:
    """Every probe of `CAPACITIES` given all fitting rows: UAR with a bootstrap interval over test utterances."""
    fit = fitting_rows(p)
    deeper = probe(CAPACITIES["mlp2"], seed=settings.seed, max_iter=settings.probe_max_iter)
    deeper.fit(z[fit], p.gender[fit])
    guessed = [guesses[["probe", "split", "gender", "guess"]]]
    guessed += [pd.DataFrame({"probe": "mlp2", "split": split, "gender": p.gender[rows],
                              "guess": deeper.predict(z[rows])}) for split, rows in split_rows(p).items()]
    points = []
    for (name, split), part in pd.concat(guessed).groupby(["probe", "split"], sort=False):
        uar, low, high = statistics.bootstrap_uar(part.gender, part.guess, resamples=settings.bootstrap_resamples,
                                         seed=settings.seed)
        points.append({"probe": name, "budget": int(fit.sum()), "split": split, "gender_uar": uar, "low": low,
                       "high": high, "interval": "bootstrap"})
    return points

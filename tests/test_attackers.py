"""Attackers of known strength (core.pipeline.attackers): the stratified subsample by hand, and the attacker curve on
a planted representation."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.config import MetricsConfig
from core.pipeline import metrics as m
from core.pipeline.attackers import CAPACITIES, CURVE_COLUMNS, attacker_curve, probe, stratified_subsample
from core.pipeline.evaluate import leakage


def test_stratified_subsample_keeps_each_gender_share_by_largest_remainder():
    labels = np.array(list("FFFFFFMMMM"))  # F 60 %, M 40 %
    # budget 5: quotas 3 and 2 exactly; budget 3: quotas 1.8 and 1.2 → floors 1, 1, the larger remainder (F) +1
    for budget, expected in ((5, {"F": 3, "M": 2}), (3, {"F": 2, "M": 1}), (10, {"F": 6, "M": 4})):
        chosen = stratified_subsample(labels, budget, seed=0)
        assert len(set(chosen)) == budget and list(chosen) == sorted(chosen)
        assert dict(zip(*np.unique(labels[chosen], return_counts=True))) == expected
    same = stratified_subsample(labels, 4, (0, 4, 1))
    np.testing.assert_array_equal(same, stratified_subsample(labels, 4, (0, 4, 1)))  # seeded
    assert any(set(stratified_subsample(labels, 4, s)) != set(stratified_subsample(labels, 4, 0)) for s in range(1, 5))
    with pytest.raises(ValueError, match=r"budget must be in \[1, 10\], got 11"):
        stratified_subsample(labels, 11, seed=0)


def planted(n_train: int = 600, n_scored: int = 400, dims: int = 40, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """One model's rows and z: gender shifts one dimension of z by ±1 among ``dims`` − 1 noise dimensions, so a
    linear attacker gains from data (few examples overfit the noise) up to about Φ(1) = 0.84."""
    parts = [("primary", "train", n_train), ("primary", "val", 100), ("primary", "test", n_scored),
             ("cross", "all", n_scored)]
    rows = pd.DataFrame([{"method": "Gen", "seed": 0, "role": role, "split": split, "utt_id": f"{role}{split}{i}",
                          "gender": "FM"[i % 2]} for role, split, n in parts for i in range(n)])
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(len(rows), dims))
    z[:, 0] += np.where(rows.gender == "F", 1.0, -1.0)
    return rows, z


def test_the_attacker_curve_rises_with_budget_and_reads_table1s_probes_at_the_full_budget():
    rows, z = planted()
    settings = MetricsConfig(bootstrap_resamples=200, attacker_budgets=(20, 50, 100, 250, 5000), attacker_repeats=5)
    scores, guesses = leakage(rows, {("Gen", 0): z}, settings)
    curve = attacker_curve(rows, {("Gen", 0): z}, guesses, settings)
    assert curve.columns.tolist() == CURVE_COLUMNS
    for split in ("within", "cross"):
        linear = curve[(curve.probe == "logreg") & (curve.split == split)].sort_values("budget")
        assert linear.budget.tolist() == [20, 50, 100, 250, 700]  # 5000 is past the 700 labelled rows: not drawn
        assert linear.interval.tolist() == ["subsamples"] * 4 + ["bootstrap"]
        assert (linear.gender_uar.diff().dropna() >= -0.02).all(), linear.gender_uar.tolist()  # monotone within 0.02
        assert linear.gender_uar.iloc[-1] - linear.gender_uar.iloc[0] > 0.05  # and the data helps
        assert (linear.low <= linear.gender_uar + 1e-9).all() and (linear.gender_uar <= linear.high + 1e-9).all()
    full = curve[curve.interval == "bootstrap"]
    assert sorted(full.probe.unique()) == sorted(CAPACITIES) and set(full.budget) == {700}
    table1 = scores.set_index(["probe", "split"]).gender_uar  # what probes.csv holds
    for row in full[full.probe != "mlp2"].itertuples():
        assert row.gender_uar == table1[(row.probe, row.split)]


def test_a_budget_point_is_the_mean_and_percentiles_of_its_subsamples():
    rows, z = planted(n_train=60, n_scored=40, dims=5)
    settings = MetricsConfig(bootstrap_resamples=50, attacker_budgets=(30,), attacker_repeats=3)
    _, guesses = leakage(rows, {("Gen", 0): z}, settings)
    point = attacker_curve(rows, {("Gen", 0): z}, guesses, settings).query("budget == 30 and split == 'within'")
    fit = np.flatnonzero(rows.split.isin(["train", "val"]))
    test = (rows.split == "test").to_numpy()
    gender = rows.gender.to_numpy()
    uars = []
    for repeat in range(3):  # the same seeded subsamples and probe, by hand
        chosen = fit[stratified_subsample(gender[fit], 30, (0, 30, repeat))]
        linear = probe(CAPACITIES["logreg"], seed=0, max_iter=settings.probe_max_iter)
        uars.append(m.uar(gender[test], linear.fit(z[chosen], gender[chosen]).predict(z[test])))
    assert point.gender_uar.item() == pytest.approx(np.mean(uars))
    assert point.low.item() == pytest.approx(np.percentile(uars, 2.5))
    assert point.high.item() == pytest.approx(np.percentile(uars, 97.5))

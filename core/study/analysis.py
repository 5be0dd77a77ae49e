"""Table 2 from the stored responses: trust shares, the MAD–choice conditional logit, Fleiss' κ, the attention check.

Only responses with status "valid" count (attention-check failures and surplus answers are kept in
the database but excluded). Shares are per question and stratum; their intervals resample *tasks*
with replacement (a task's responses share its utterance), percentile 95 %. A cell resting on fewer
than ``MIN_RESPONSES`` valid responses is flagged wherever it is shown.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from statsmodels.discrete.conditional_models import ConditionalLogit
from statsmodels.stats.inter_rater import fleiss_kappa

from core.study.simulate import SIMULATED_PREFIX
from core.study.tasks import QUESTIONS, STRATA, attention_checked, choice_set

LABELS = {"trust_valence": "T(V)", "trust_privacy": "T(Priv)", "trust_overall": "Use"}
MIN_RESPONSES = 10  # below this many valid responses (tasks, for κ) a number is flagged as resting on too few


def valid_responses(responses: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """Valid responses joined with their task's stratum, per-model MAD_i and attention-check facts."""
    valid = responses[responses.status == "valid"]
    return valid.merge(tasks[["task_id", "stratum", "model_mad", "planted", "attention_rule"]], on="task_id",
                       how="left", validate="many_to_one")


def trust_shares(responses: pd.DataFrame, tasks: pd.DataFrame, models: list[str], *, resamples: int = 1000,
                 seed: int = 0) -> pd.DataFrame:
    """Long table: stratum ("all" too), question, model, share of valid responses, 95 % CI, n responses."""
    if resamples < 1:
        raise ValueError(f"resamples must be >= 1, got {resamples}")
    valid, rows = valid_responses(responses, tasks), []
    rng = np.random.default_rng(seed)
    for stratum in ("all", *STRATA):
        part = valid if stratum == "all" else valid[valid.stratum == stratum]
        for question in QUESTIONS:
            counts = pd.crosstab(part.task_id, part[question]).reindex(columns=models, fill_value=0).to_numpy()
            totals = counts.sum(axis=1)
            low = high = np.full(len(models), np.nan)
            if len(totals):
                picks = rng.integers(0, len(totals), size=(resamples, len(totals)))
                shares = counts[picks].sum(axis=1) / totals[picks].sum(axis=1, keepdims=True)
                low, high = np.percentile(shares, [2.5, 97.5], axis=0)
            share = counts.sum(axis=0) / totals.sum() if totals.sum() else np.full(len(models), np.nan)
            rows += [{"stratum": stratum, "question": LABELS[question], "model": m, "share": share[i],
                      "ci_low": low[i], "ci_high": high[i], "responses": int(totals.sum())}
                     for i, m in enumerate(models)]
    return pd.DataFrame(rows)


def table2(shares: pd.DataFrame) -> pd.DataFrame:
    """The paper's layout: one row per model, a "share [low, high]" column per stratum × question; a cell
    resting on fewer than MIN_RESPONSES valid responses says how many."""
    def cell(r: pd.Series) -> str:
        if pd.isna(r.share):
            return "–"
        few = f" (n = {r.responses} < {MIN_RESPONSES})" if r.responses < MIN_RESPONSES else ""
        return f"{r.share:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]{few}"

    cells = shares.assign(cell=shares.apply(cell, axis=1), column=shares.question + " " + shares.stratum)
    wide = cells.pivot(index="model", columns="column", values="cell")
    order = [f"{LABELS[q]} {s}" for s in ("all", *STRATA) for q in QUESTIONS]
    return wide.reindex(index=shares.model.unique(), columns=order).reset_index()


def table2_numbers(shares: pd.DataFrame) -> pd.DataFrame:
    """Table 2 for machines: the paper's layout (one row per model) with four numeric columns per question ×
    stratum, "<question> <stratum> value|low|high|n" (share, 95 % interval, valid responses); NaN where none."""
    cells = shares.assign(column=shares.question + " " + shares.stratum).rename(
        columns={"share": "value", "ci_low": "low", "ci_high": "high", "responses": "n"})
    wide = cells.pivot(index="model", columns="column", values=["value", "low", "high", "n"])
    order = [(part, f"{LABELS[q]} {s}") for s in ("all", *STRATA) for q in QUESTIONS
             for part in ("value", "low", "high", "n")]
    wide = wide.reindex(index=shares.model.unique(), columns=order)
    wide.columns = [f"{column} {part}" for part, column in wide.columns]
    return wide.rename_axis("model").reset_index()


def _choice_rows(valid: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """One row per valid response × model it could choose (tasks.choice_set): response index, model, MAD_i."""
    rows = [(i, m, mad[m]) for i, (mad, planted, rule) in enumerate(zip(valid.model_mad, valid.planted,
                                                                          valid.attention_rule))
            for m in choice_set(models, checked=attention_checked(planted, rule))]
    return pd.DataFrame(rows, columns=["response", "model", "mad"]).astype({"response": int, "mad": float})


def mad_choice_logit(responses: pd.DataFrame, tasks: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Per question, a conditional logit of being chosen on the model's MAD_i, grouped by response.

    Each valid response chooses one model of its choice set (every shown model but the attention check
    where choosing it fails); the conditional logit compares the chosen model's MAD_i with the others'
    *within* that response, so its p respects that one response gives one choice, not independent
    points. ``odds_ratio`` is per unit MAD_i (MAD_i is a share difference, so a unit is the whole scale);
    ``odds_ratio_sd`` per standard deviation of MAD_i over the choice sets, for reading. NaN where the
    model cannot be fitted (fewer than 2 responses, or no spread in MAD_i).
    """
    valid = valid_responses(responses, tasks).reset_index(drop=True)
    long = _choice_rows(valid, models)
    rows = []
    for question in QUESTIONS:
        chosen = (valid[question].to_numpy()[long.response.to_numpy()] == long.model.to_numpy()).astype(float)
        beta, low, high, p = _conditional_logit(chosen, long.mad.to_numpy(float), long.response.to_numpy())
        spread = float(long.mad.std()) if len(long) > 1 else np.nan
        rows.append({"question": LABELS[question], "log_odds": beta, "odds_ratio": np.exp(beta),
                     "ci_low": np.exp(low), "ci_high": np.exp(high), "p": p, "odds_ratio_sd": np.exp(beta * spread),
                     "mad_sd": spread, "responses": len(valid), "rows": len(long)})
    return pd.DataFrame(rows)


def _conditional_logit(chosen: np.ndarray, mad: np.ndarray, groups: np.ndarray) -> tuple[float, float, float, float]:
    """Coefficient of ``mad``, its 95 % interval and p (all NaN when it cannot be estimated)."""
    if len(np.unique(groups)) < 2 or np.ptp(mad) == 0:
        return (np.nan,) * 4
    with warnings.catch_warnings():  # a near-separable toy study warns about convergence; the interval shows it
        warnings.simplefilter("ignore")
        try:
            result = ConditionalLogit(chosen, mad[:, None], groups=groups).fit(disp=False)
        except (np.linalg.LinAlgError, ValueError):
            return (np.nan,) * 4
    (low, high), = result.conf_int()
    return float(result.params[0]), float(low), float(high), float(result.pvalues[0])


def fleiss_kappas(responses: pd.DataFrame, tasks: pd.DataFrame, models: list[str], *, raters: int,
                  resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Fleiss' κ per question over the tasks with exactly ``raters`` valid responses (retired tasks: κ needs
    the same number of raters per task), categories = models; 95 % interval by a task bootstrap."""
    valid = valid_responses(responses, tasks)
    full = valid[valid.groupby("task_id").task_id.transform("size") == raters]
    rng, rows = np.random.default_rng(seed), []
    for question in QUESTIONS:
        counts = pd.crosstab(full.task_id, full[question]).reindex(columns=models, fill_value=0).to_numpy()
        kappa = low = high = np.nan
        if len(counts) >= 2 and raters >= 2:
            kappa = _kappa(counts)
            picks = rng.integers(0, len(counts), size=(resamples, len(counts)))
            low, high = np.nanpercentile([_kappa(counts[pick]) for pick in picks], [2.5, 97.5])
        rows.append({"question": LABELS[question], "kappa": kappa, "ci_low": low, "ci_high": high,
                     "tasks": len(counts), "raters": raters})
    return pd.DataFrame(rows)


def _kappa(counts: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):  # every rating in one category: κ undefined
        value = float(fleiss_kappa(counts, method="fleiss"))
    return value if np.isfinite(value) else np.nan


def attention_summary(responses: pd.DataFrame, tasks: pd.DataFrame) -> dict[str, float | int | str]:
    """The attention check: the rule the tasks were selected with, the responses it applied to (``checked``),
    how many failed it; also valid, surplus and annotator counts out of all stored responses."""
    merged = responses.merge(tasks[["task_id", "planted", "attention_rule"]], on="task_id", how="left")
    checked = np.array([attention_checked(p, r) for p, r in zip(merged.planted, merged.attention_rule)], dtype=bool)
    failed = int((responses.status == "attention_failed").sum())
    return {"attention_rule": attention_rule(tasks), "responses": len(responses),
            "valid": int((responses.status == "valid").sum()), "checked_responses": int(checked.sum()),
            "attention_failed": failed,
            "attention_failure_rate": failed / checked.sum() if checked.sum() else float("nan"),
            "surplus": int((responses.status == "surplus").sum()),
            "annotators": int(responses.annotator.nunique()),
            "annotators_failing": int(responses[responses.status == "attention_failed"].annotator.nunique())}


def attention_rule(tasks: pd.DataFrame) -> str:
    """The rule the study's tasks were selected with ("planted" or "every_task"; "" before any task)."""
    return "/".join(sorted(set(tasks.attention_rule)))


def data_label(responses: pd.DataFrame) -> str:
    """Who answered: "people", "simulated annotators", or how many of the responses are simulated."""
    simulated = int(responses.annotator.str.startswith(SIMULATED_PREFIX).sum())
    if responses.empty:
        return "no responses yet"
    if not simulated:
        return "people"
    if simulated == len(responses):
        return "simulated annotators (not people)"
    return f"mixed: {simulated} of {len(responses)} responses from simulated annotators (not people)"


def small_sample_warnings(shares: pd.DataFrame, logit: pd.DataFrame, kappa: pd.DataFrame) -> list[str]:
    """One sentence per number that rests on fewer than MIN_RESPONSES valid responses (tasks, for κ)."""
    cells = shares.drop_duplicates(["stratum", "question"])
    found = [f"{c.question} {c.stratum}: {c.responses} valid responses" for c in cells.itertuples()
             if c.responses < MIN_RESPONSES]
    found += [f"MAD–choice logit {r.question}: {r.responses} valid responses" for r in logit.itertuples()
              if r.responses < MIN_RESPONSES]
    found += [f"Fleiss' κ {r.question}: {r.tasks} tasks with {r.raters} valid responses" for r in kappa.itertuples()
              if r.tasks < MIN_RESPONSES]
    return [f"{f} (fewer than {MIN_RESPONSES}): read its interval, not its point value." for f in found]

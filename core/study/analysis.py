"""Table 2 from the stored responses: trust shares with bootstrap intervals, MAD–choice correlation.

Only responses with status "valid" count (attention-check failures and surplus answers are kept in
the database but excluded). Shares are per question and stratum; intervals resample *tasks* with
replacement (a task's responses share its utterance), percentile 95 %.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from core.study.tasks import ATTENTION_CHECK, QUESTIONS, STRATA

LABELS = {"trust_valence": "T(V)", "trust_privacy": "T(Priv)", "trust_overall": "Use"}


def valid_responses(responses: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    """Valid responses joined with their task's stratum and per-model MAD_i."""
    valid = responses[responses.status == "valid"]
    return valid.merge(tasks[["task_id", "stratum", "model_mad"]], on="task_id", how="left", validate="many_to_one")


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
    """The paper's layout: one row per model, a "share [low, high]" column per stratum × question."""
    cells = shares.assign(cell=shares.apply(lambda r: f"{r.share:.3f} [{r.ci_low:.3f}, {r.ci_high:.3f}]"
                                            if pd.notna(r.share) else "–", axis=1),
                          column=shares.question + " " + shares.stratum)
    wide = cells.pivot(index="model", columns="column", values="cell")
    order = [f"{LABELS[q]} {s}" for s in ("all", *STRATA) for q in QUESTIONS]
    return wide.reindex(index=shares.model.unique(), columns=order).reset_index()


def mad_choice_correlation(responses: pd.DataFrame, tasks: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Point-biserial r between a model's MAD_i on the task's utterance and being chosen, per question.

    One point per valid response × candidate model; candidates are every shown model but the
    attention check (a valid response never picks it). Points of one response are not independent
    (exactly one is chosen), so p is the usual point-biserial p and slightly optimistic.
    """
    valid = valid_responses(responses, tasks)
    candidates = [m for m in models if m != ATTENTION_CHECK]
    rows = []
    for question in QUESTIONS:
        mad = np.array([[r[m] for m in candidates] for r in valid.model_mad]).reshape(-1, len(candidates))
        chosen = (valid[question].to_numpy()[:, None] == np.array(candidates)[None, :]).astype(int)
        if len(valid) < 2 or np.ptp(mad) == 0 or np.ptp(chosen) == 0:
            r, p = np.nan, np.nan
        else:
            r, p = stats.pointbiserialr(chosen.ravel(), mad.ravel())
        rows.append({"question": LABELS[question], "r": float(r), "p": float(p), "points": int(chosen.size),
                     "responses": len(valid)})
    return pd.DataFrame(rows)


def attention_summary(responses: pd.DataFrame) -> dict[str, float | int]:
    """How many responses failed the attention check, and how many were surplus, out of all stored."""
    n = len(responses)
    failed = int((responses.status == "attention_failed").sum())
    return {"responses": n, "valid": int((responses.status == "valid").sum()), "attention_failed": failed,
            "attention_failure_rate": failed / n if n else float("nan"),
            "surplus": int((responses.status == "surplus").sum()),
            "annotators": int(responses.annotator.nunique()),
            "annotators_failing": int(responses[responses.status == "attention_failed"].annotator.nunique())}

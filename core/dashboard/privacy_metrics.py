"""Privacy metrics' logic: Table 1 as a stakeholder reads it, the plain-language summary, the trade-off points,
the leakage references and the attacker curve."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.config import MetricsConfig
from core.dashboard.experiment import Experiment, metrics_frame, stored_probes
from core.dashboard.glossary import readable_columns
from core.methods import BASELINE, METHODS, is_attention_check, label, with_role
from core.pipeline import metrics as m
from core.pipeline import table1 as t1
from core.pipeline.attackers import CAPACITIES, CAPACITY_LABELS, CURVE_COLUMNS
from core.pipeline.statistics import bootstrap_uar
from core.schema import split_rows


def required_columns() -> tuple[str, ...]:
    """What a table1.csv must hold for the page: the model and every metric but the optional ones, which an
    older table may lack."""
    return ("model", *(x.column for x in t1.metrics() if not x.optional))


def shown_metrics(table: pd.DataFrame) -> list[t1.Table1Metric]:
    """The metrics of core.pipeline.table1 that ``table`` has, in column order."""
    return [x for x in t1.metrics() if x.column in table.columns]


def missing_optional(table: pd.DataFrame) -> list[str]:
    """The optional columns ``table`` lacks: it predates them, and a rebuild of the metrics stage adds them."""
    return [x.column for x in t1.metrics() if x.optional and x.column not in table.columns]


def column_help(table: pd.DataFrame) -> dict[str, str]:
    """Each shown metric's header (as `format_table1` writes it) → its plain-language help."""
    return {x.header: x.help for x in shown_metrics(table)}


def significance_level(experiment: Experiment) -> float:
    """The level (metrics.alpha) the significance marks of table1.csv were decided at (Experiment.metrics_config);
    the default when no record holds it."""
    return float(experiment.metrics_config.get("metrics", {}).get("alpha", MetricsConfig.alpha))


def format_table1(table: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """Table 1 as text under readable headers: value ± std (with several seeds), * where significant vs Gen."""
    out = pd.DataFrame({"model": [label(x) for x in table.model]})
    for metric in shown_metrics(table):
        column = metric.column
        std = table.get(f"{column}_std", pd.Series(np.nan, index=table.index))
        sig = table.get(f"{column}_sig", pd.Series(False, index=table.index))
        out[metric.header] = [_cell(v, s, g, digits) for v, s, g in zip(table[column], std, sig)]
    return out


SUFFIXES = {"": "", "_std": " · std over seeds", "_p": " · p (Holm-adjusted bootstrap)",
            "_p_ttest": " · p (Holm-adjusted t-test over seeds)", "_sig": " · significant vs Gen"}


def every_column(table: pd.DataFrame) -> pd.DataFrame:
    """Table 1 with every stored column under words (the metric's header plus what the suffix holds), columns
    holding nothing (std and t-test with one seed) left out, models by their labels."""
    headers = {f"{x.column}{suffix}": x.header + text
               for x in shown_metrics(table) for suffix, text in SUFFIXES.items()}
    return readable_columns(table.assign(model=[label(x) for x in table.model]), headers)


def _cell(value: float, std: float, significant: Any, digits: int) -> str:
    if pd.isna(value):
        return "–"
    text = f"{value:.{digits}f}" + (f" ± {std:.{digits}f}" if pd.notna(std) else "")
    return text + (" *" if _is_true(significant) else "")


def _is_true(flag: Any) -> bool:
    """A significance flag as read back from CSV (bool, "True", or empty)."""
    return flag is True or str(flag).lower() == "true"


def plain_summary(table: pd.DataFrame, *, alpha: float) -> list[str]:
    """Plain-language sentences about Table 1: who leaks least, at what cost, and whether it is significant
    at ``alpha`` (the experiment's metrics.alpha, which decided the table's marks)."""
    missing = [c for c in required_columns() if c not in table.columns]
    if missing:
        raise ValueError(f"Table 1 lacks columns {missing}")
    rows = table.set_index("model")
    if BASELINE not in rows.index:
        return ["Table 1 has no Gen row, so no model can be compared with the baseline."]
    gen = rows.loc[BASELINE]
    candidates = rows.loc[with_role("privacy", rows.index)]
    sentences = []
    if candidates.empty:
        return [f"Gen lets a gender probe recover the speaker's gender with UAR {gen.gender_uar_within:.3f} "
                f"(0.5 = guessing)."]
    best = candidates.gender_uar_within.idxmin()
    row = candidates.loc[best]
    sentences.append(
        f"**{best} leaks least.** An attacker's probe guesses the speaker's gender from its internal representation "
        f"with a balanced accuracy (UAR) of {row.gender_uar_within:.3f}, against {gen.gender_uar_within:.3f} for the "
        f"baseline Gen (0.5 would be pure guessing).")
    cost = row.valence_uar_within - gen.valence_uar_within
    sentences.append(
        f"**The cost in accuracy:** {best} recognises valence with UAR {row.valence_uar_within:.3f} vs "
        f"{gen.valence_uar_within:.3f} for Gen ({cost:+.3f}); on the other corpus {row.valence_uar_cross:.3f} vs "
        f"{gen.valence_uar_cross:.3f}.")
    sentences.append(_significance_sentence(candidates, best, alpha))
    for name in with_role("control", rows.index):
        sentences.append(f"{name}, a control ({METHODS[name].description[0].lower()}"
                         f"{METHODS[name].description[1:].rstrip('.')}), gives the probe "
                         f"{rows.loc[name, 'gender_uar_within']:.3f}.")
    for name in with_role("attention_check", rows.index):
        sentences.append(f"{name} is the attention check, not a contender: its test text carries planted tokens "
                         "that give the answer away, so its numbers look better than any real model's.")
    return sentences


def deciding_p(table: pd.DataFrame | pd.Series, column: str) -> Any:
    """The Holm-adjusted p of the test that set ``column``'s significance mark (core.pipeline.evaluate): the t-test
    over seeds where it ran (≥ 3 seeds), else the paired bootstrap. For a table a column, for one row a number."""
    bootstrap, ttest = table.get(f"{column}_p", np.nan), table.get(f"{column}_p_ttest")
    if isinstance(ttest, pd.Series):
        return ttest.where(ttest.notna(), bootstrap)
    return bootstrap if ttest is None or pd.isna(ttest) else ttest


def _significance_sentence(candidates: pd.DataFrame, best: str, alpha: float) -> str:
    if "gender_uar_within_sig" not in candidates.columns:
        return "Significance was not computed for this build."
    p = deciding_p(candidates.loc[best], "gender_uar_within")
    p_text = f" (Holm-adjusted p = {p:.3f})" if pd.notna(p) else ""
    if _is_true(candidates.loc[best, "gender_uar_within_sig"]):
        return f"This difference in leakage from Gen is statistically significant at level {alpha}{p_text}."
    return (f"This difference in leakage from Gen is **not** statistically significant at level {alpha}{p_text}: "
            "on this build the privacy methods cannot be told apart from the baseline on leakage.")


def scatter_points(table: pd.DataFrame, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Privacy–utility points per model and split (within, cross): gender UAR (x) and valence UAR (y).

    ``intervals`` (from `trade_off_intervals`) adds gender_low/high and valence_low/high.
    """
    rows = []
    for split in ("within", "cross"):
        for _, row in table.iterrows():
            rows.append({"model": row.model, "label": label(row.model), "split": split,
                         "gender_uar": row[f"gender_uar_{split}"], "valence_uar": row[f"valence_uar_{split}"],
                         "attention_check": is_attention_check(row.model)})
    points = pd.DataFrame(rows)
    return points if intervals is None else points.merge(intervals, on=["model", "split"], how="left")


def trade_off_intervals(experiment: Experiment, preds: pd.DataFrame, *, seed: int, resamples: int = 1000
                        ) -> pd.DataFrame:
    """95% bootstrap intervals of one seed's valence UAR and of the stored probes' gender UAR, per split.

    The gender guess per split comes from the stronger of the stored probes on that split, as in Table 1.
    Models without stored probes get no gender interval.
    """
    rows = []
    for method in experiment.methods:
        p = preds[(preds.method == method) & (preds.seed == seed)].reset_index(drop=True)
        stored, path = stored_probes(experiment, method, seed), experiment.paths.representations(method, seed)
        z = np.load(path, allow_pickle=False)["z"] if stored else None
        for split, mask in split_rows(p).items():
            part = p[mask]
            row = dict(zip(("valence_low", "valence_high"),
                           bootstrap_uar(part.valence_class, part.predicted, resamples=resamples)[1:]))
            if stored:
                guesses = [probe.predict(z[mask.to_numpy()]) for probe in stored["probes"].values()]
                best = max(guesses, key=lambda g: m.uar(part.gender, g))
                row.update(zip(("gender_low", "gender_high"), bootstrap_uar(part.gender, best, resamples=resamples)[1:]))
            rows.append({"model": method, "split": split, **row})
    return pd.DataFrame(rows)


# Tables builds before them lack, with the columns the page reads: the page notes their absence instead of failing.
OPTIONAL_TABLES = {"leakage_reference": ("reference", "probe", "split", "gender_uar"), "attacker_curve": CURVE_COLUMNS}
# (probe, split) of metrics/leakage_reference.csv → the Table 1 column it is the reference of
LEAKAGE_COLUMNS = {(probe, split): f"gender_uar{infix}_{split}" for probe, infix in
                   (("stronger", ""), ("logreg", "_linear"), ("mlp", "_mlp")) for split in ("within", "cross")}


def optional_table(experiment: Experiment, name: str) -> pd.DataFrame | None:
    """One of `OPTIONAL_TABLES`, checked like any metrics table; None when the build predates it."""
    if not experiment.paths.metrics_table(name).exists():
        return None
    return metrics_frame(experiment, name, OPTIONAL_TABLES[name])


def reference_line(references: pd.DataFrame, split: str, probe: str = "stronger") -> str:
    """"chance 0.500 · untrained encoder 0.810 · planted markers 0.836": what one probe reads on ``split`` from
    representations no method shaped, the numbers a leakage column is read against."""
    rows = references[(references.probe == probe) & (references.split == split)]
    return " · ".join(f"{row.reference} {row.gender_uar:.3f}" for row in rows.itertuples())


def reference_grid(references: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """One row per reference under the headers of the Table 1 leakage columns it is the reference of."""
    grid = pd.DataFrame({"reference": list(dict.fromkeys(references.reference))})
    columns = {column: key for key, column in LEAKAGE_COLUMNS.items()}
    for metric in (x for x in t1.metrics() if x.column in columns):
        probe, split = columns[metric.column]
        values = references[(references.probe == probe) & (references.split == split)].set_index("reference")
        grid[metric.header] = [f"{v:.{digits}f}" if pd.notna(v) else "–" for v in
                               grid.reference.map(values.gender_uar)]
    return grid


def untrained_level(references: pd.DataFrame | None, split: str, probe: str = "stronger") -> float | None:
    """``probe``'s UAR on the untrained encoder's z (None without references): the leakage a model has before
    any method acts, drawn on the trade-off and attacker charts."""
    if references is None:
        return None
    rows = references[(references.reference == "untrained encoder") & (references.probe == probe)
                      & (references.split == split)]
    return float(rows.gender_uar.iloc[0]) if len(rows) else None


def budget_curve(curve: pd.DataFrame, *, seed: int, split: str) -> pd.DataFrame:
    """The linear attacker's points of one seed and split by growing budget (the full one last), models in
    the build's order."""
    rows = curve[(curve.probe == "logreg") & (curve.seed == seed) & (curve.split == split)]
    return rows.sort_values("budget", kind="stable")


def capacity_curve(curve: pd.DataFrame, *, seed: int, split: str) -> pd.DataFrame:
    """Every attacker of attackers.CAPACITIES given all labelled rows (one seed and split), weakest first,
    with its ``capacity`` label."""
    rows = curve[(curve.interval == "bootstrap") & (curve.seed == seed) & (curve.split == split)
                 & curve.probe.isin(list(CAPACITIES))]
    order = {name: i for i, name in enumerate(CAPACITIES)}
    rows = rows.sort_values("probe", key=lambda probes: probes.map(order), kind="stable")
    return rows.assign(capacity=rows.probe.map(CAPACITY_LABELS))


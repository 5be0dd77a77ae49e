"""The metrics stage's numbers: UARs, gender-leakage probes, MAD, Psc, faithfulness, significance, Table 1.

:func:`metrics_tables` turns what the predict and explain stages left (:class:`MetricsInputs`, read
by core.pipeline.build) into every metrics table but the leakage references (core.pipeline.references, which
need the encoder), by name; core.pipeline.build writes them under artifacts/<experiment>/metrics/. Per-utterance
and per-model statistics come from core.pipeline.metrics; Table 1's columns, and how each is aggregated per
model × seed and compared with Gen, from core.pipeline.table1; the attacker curve from core.pipeline.attackers.
Table 1 numbers are means over seeds; std columns are the sample standard deviation across seeds (empty with one
seed).
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core.config import ExperimentConfig, MetricsConfig, resolve_path
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.methods import BASELINE, with_role
from core.pipeline import metrics as m
from core.pipeline import statistics
from core.pipeline import table1 as t1
from core.pipeline.attackers import CAPACITIES, attacker_curve, fitting_rows, probe
from core.pipeline.profile import timed
from core.pipeline.projection import projection_points
from core.schema import split_rows


@dataclass(frozen=True)
class MetricsInputs:
    """What the metrics stage reads: the predict and explain stages' artifacts for every model × seed."""

    predictions: pd.DataFrame  # predict stage, all models: role, split, utt_id, gender, valence_class, predicted, …
    representations: Mapping[tuple[str, int], np.ndarray]  # (method, seed) -> z, rows aligned with its predictions
    utterances: pd.DataFrame   # explain stage, one row per explained utterance (explained.parquet)
    attributions: pd.DataFrame  # explain stage, one row per word (attributions.parquet)


@dataclass(frozen=True)
class PairedComparison:
    """One Table 1 column's items, which it is aggregated from per model × seed and compared with Gen
    utterance by utterance (paired bootstrap, SPEC §4)."""

    metric: t1.Table1Metric  # the column: its value column, kind and Gen baseline
    frame: pd.DataFrame      # its items: per utterance method, seed, utt_id, gold and ``metric.value``


def metrics_tables(inputs: MetricsInputs, config: ExperimentConfig, *,
                   fitted_probes: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every metrics table of an experiment, by name (core.pipeline.artifacts.METRICS_TABLES, table1 first), but
    leakage_reference.

    ``fitted_probes``: see `leakage`.
    """
    predictions, utterances = inputs.predictions, inputs.utterances
    explained = explanations(inputs.attributions)
    probes, probe_guesses = leakage(predictions, inputs.representations, config.metrics, fitted_probes=fitted_probes)
    mad = mad_items(explained, utterances, GenderLexicon.load(), config.explain.top_k)
    psc = psc_items(explained, utterances, valence_lexicon(config))
    plan = significance_plan(t1.Table1Inputs(config, predictions, utterances, explained, probe_guesses, mad, psc))
    per_seed = per_seed_table(plan, predictions)
    table = table1(per_seed, significance(per_seed, plan, config.metrics), config.methods.names)
    shares = pd.DataFrame([{"model": name, **m.mad_category_shares(list(group["item"]))}
                           for name, group in mad.groupby("method", sort=False)])
    return {"table1": table, "per_seed": per_seed, "probes": probes, "mad_categories": shares,
            "mad_utterances": mad.drop(columns="item"), "faithfulness": faithfulness(utterances),
            "psc_utterances": psc, "psc_correlation": pd.DataFrame([psc_correlation(per_seed)]),
            "projection": projection_points(predictions, inputs.representations, seed=config.metrics.seed),
            "attacker_curve": attacker_curve(predictions, inputs.representations, probe_guesses, config.metrics)}


def valence_lexicon(config: ExperimentConfig) -> ValenceLexicon:
    """The lexicon Psc bins words with: NRC-VAD when the config names a file, else VADER."""
    path = config.metrics.valence_lexicon
    return ValenceLexicon.nrc_vad(resolve_path(config, path)) if path else ValenceLexicon.vader()


@dataclass(frozen=True)
class Explanation:
    """One model's explanation of one utterance: word forms and normalised weights."""

    forms: list[str]
    weights: np.ndarray


TABLE1_PROBES = ("logreg", "mlp")  # the two probes of SPEC §4, each a Table 1 attacker; the headline is the stronger


def probe_models(seed: int, max_iter: int) -> dict:
    """The two gender probes of SPEC §4: standardised balanced logistic regression and a 1-layer MLP."""
    return {name: probe(CAPACITIES[name], seed=seed, max_iter=max_iter) for name in TABLE1_PROBES}


@timed("probes")
def leakage(predictions: pd.DataFrame, representations: Mapping[tuple[str, int], np.ndarray],
            settings: MetricsConfig, *, fitted_probes: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gender UAR of probes trained on primary train+val z, scored on primary test and the cross corpus.

    ``representations[(method, seed)]`` holds z row-aligned with that model's rows of ``predictions``.
    Returns (scores: method, seed, probe, split, gender_uar; guesses: every probe's guess per utterance and
    split, ``stronger`` marking the probe with the higher UAR on that split, the headline). Table 1 reads
    each probe's guesses and the stronger's. ``fitted_probes``, when given, receives (method, seed) ->
    {"probes": both fitted probes, "headline": the stronger on the primary test}: the app's attacker.
    """
    scores, guesses = [], []
    for (method, seed), z in tqdm(representations.items(), desc="gender probes", unit="model"):
        p = predictions[(predictions.method == method) & (predictions.seed == seed)].reset_index(drop=True)
        fit_rows, targets = fitting_rows(p), split_rows(p)
        probed, fitted = {}, probe_models(settings.seed, settings.probe_max_iter)
        for name, fitted_probe in fitted.items():
            fitted_probe.fit(z[fit_rows], p.gender[fit_rows])
            probed |= {(name, split): fitted_probe.predict(z[rows]) for split, rows in targets.items()}
        uars = {(name, split): m.uar(p.gender[targets[split]], guess) for (name, split), guess in probed.items()}
        scores += [{"method": method, "seed": seed, "probe": name, "split": split, "gender_uar": uar}
                   for (name, split), uar in uars.items()]
        if fitted_probes is not None:
            headline = max(fitted, key=lambda n: uars[(n, "within")])
            fitted_probes[(method, seed)] = {"probes": fitted, "headline": headline}
        for split, rows in targets.items():
            best = max(fitted, key=lambda n: uars[(n, split)])
            guesses += [p.loc[rows, ["method", "seed", "utt_id", "gender"]].assign(
                split=split, probe=name, guess=probed[(name, split)], stronger=name == best) for name in fitted]
    return pd.DataFrame(scores), pd.concat(guesses, ignore_index=True)


def explanations(attributions: pd.DataFrame) -> dict[tuple, Explanation]:
    """(method, seed, role, utt_id) → Explanation, from the word-level attribution table."""
    out = {}
    ordered = attributions.sort_values(["method", "seed", "role", "utt_id", "word_index"])
    for key, words in ordered.groupby(["method", "seed", "role", "utt_id"], sort=False):
        out[key] = Explanation(words["word"].str.lower().tolist(), words["weight"].to_numpy())
    return out


def align_to(base: Explanation, other: Explanation) -> Explanation:
    """Gen's explanation laid over the compared model's words.

    ArtNoise explains a copy with a noise token inserted; Gen never saw that token, so it gets
    weight 0 at its position. Identical word lists are returned unchanged; anything but pure
    insertions is an error (the two explanations are of different texts).
    """
    if base.forms == other.forms:
        return base
    weights = np.zeros(len(other.forms))
    for op, b0, b1, o0, o1 in difflib.SequenceMatcher(a=base.forms, b=other.forms, autojunk=False).get_opcodes():
        if op == "equal":
            weights[o0:o1] = base.weights[b0:b1]
        elif op != "insert":
            raise ValueError(f"cannot align explanations of {base.forms} and {other.forms}")
    return Explanation(list(other.forms), weights)


def mad_items(explained: dict[tuple, Explanation], utterances: pd.DataFrame, lexicon: GenderLexicon,
              k: int) -> pd.DataFrame:
    """MAD_i of every non-Gen model × seed on every explained primary-test utterance."""
    rows = []
    primary = utterances[utterances.role == "primary"]
    for (method, seed, utt_id), u in primary.set_index(["method", "seed", "utt_id"]).iterrows():
        if method == BASELINE:
            continue
        other = explained[(method, seed, "primary", utt_id)]
        base = align_to(explained[(BASELINE, seed, "primary", utt_id)], other)
        item = m.mad_utterance(other.forms, base.weights, other.weights, lexicon, k=k)
        rows.append({"method": method, "seed": seed, "utt_id": utt_id, "gender": u.gender,
                     "valence_class": u.valence_class, "mad_i": item.score, "g": item.g,
                     "dropped": " ".join(item.dropped), "added": " ".join(item.added), "item": item})
    return pd.DataFrame(rows, columns=["method", "seed", "utt_id", "gender", "valence_class", "mad_i", "g", "dropped",
                                       "added", "item"])


def psc_items(explained: dict[tuple, Explanation], utterances: pd.DataFrame,
              valence_lexicon: ValenceLexicon) -> pd.DataFrame:
    """P_i of every model × seed on the primary-test utterances Gen (same seed) classifies correctly:
    ``p_i`` weighed (Psc), ``p_words_i`` counted (psc_words)."""
    primary = utterances[utterances.role == "primary"]
    gen = primary[primary.method == BASELINE]
    right = gen.iloc[m.gen_correct_indices(gen.valence_class.tolist(), gen.predicted.tolist())]
    correct = set(zip(right.seed, right.utt_id))  # N differs per seed: Gen of that seed must be right
    rows = []
    for u in primary.itertuples():
        if (u.seed, u.utt_id) in correct:
            e = explained[(u.method, u.seed, "primary", u.utt_id)]
            rows.append({"method": u.method, "seed": u.seed, "utt_id": u.utt_id,
                         "p_i": m.psc_utterance(e.forms, e.weights, u.valence_class, valence_lexicon),
                         "p_words_i": m.psc_words_utterance(e.forms, e.weights, u.valence_class, valence_lexicon)})
    return pd.DataFrame(rows, columns=["method", "seed", "utt_id", "p_i", "p_words_i"])


def faithfulness(utterances: pd.DataFrame) -> pd.DataFrame:
    """Comprehensiveness, sufficiency and IG convergence per method × seed × corpus role.

    Integration steps vary per utterance (refinement moves an unconverged one up the grid), so the table
    gives their range and how many utterances stayed over the bound at the top of the grid.
    """
    rows = []
    for (method, seed, role), u in utterances.groupby(["method", "seed", "role"], sort=False):
        rows.append({"method": method, "seed": seed, "role": role,
                     "comprehensiveness": m.comprehensiveness(u.p_target, u.p_without_topk),
                     "sufficiency": m.sufficiency(u.p_target, u.p_only_topk),
                     "mean_abs_delta": float(u.delta.abs().mean()),
                     "delta_ratio": float(u.delta.abs().mean() / max(u.gap.abs().mean(), 1e-12)),
                     "n_steps_min": int(u.n_steps.min()), "n_steps_max": int(u.n_steps.max()),
                     "unconverged": int((~u.converged.astype(bool)).sum()), "utterances": len(u)})
    return pd.DataFrame(rows)


def mean_value(y_true: Sequence, values: Sequence[float]) -> float:
    """Bootstrap statistic for per-utterance scores (MAD_i, P_i): their mean; ``y_true`` is unused."""
    return float(np.mean(values))


STATISTICS = {"uar": m.uar, "mean": mean_value}  # a Table1Metric's kind → what the paired bootstrap compares


def per_seed_table(plan: Sequence[PairedComparison], models: pd.DataFrame) -> pd.DataFrame:
    """One row per method × seed of ``models`` (in order of appearance) with each planned column's number.

    Each is its items' statistic over that model × seed (SPEC §4, §5.1, §5.2): a UAR, or the mean of
    MAD_i or P_i, the one place those are aggregated. A model × seed without items (Psc when Gen got nothing
    right) is NaN; a column with a baseline (MAD) takes it for Gen.
    """
    table = models[["method", "seed"]].drop_duplicates().set_index(["method", "seed"])
    for comparison in plan:
        metric = comparison.metric
        table[metric.column] = _per_seed_values(comparison)
        if metric.baseline is not None:
            table.loc[table.index.get_level_values("method") == BASELINE, metric.column] = metric.baseline
    return table.reset_index()


def _per_seed_values(comparison: PairedComparison) -> pd.Series:
    """The column's number per (method, seed) that has items."""
    metric, groups = comparison.metric, comparison.frame.groupby(["method", "seed"])
    if metric.kind == "mean":
        return groups[metric.value].mean().astype(float)
    return pd.Series({key: m.uar(group.gold, group[metric.value]) for key, group in groups}, dtype=float)


def significance_plan(inputs: t1.Table1Inputs) -> list[PairedComparison]:
    """Every Table 1 column (core.pipeline.table1) with its items: what `per_seed_table` aggregates and
    `significance` compares with Gen."""
    return [PairedComparison(metric, metric.items(inputs)) for metric in t1.metrics()]


def significance(per_seed: pd.DataFrame, plan: Sequence[PairedComparison], settings: MetricsConfig) -> pd.DataFrame:
    """p-values vs Gen per Table 1 column: paired bootstrap (pooled over seeds) and, with ≥ 3 seeds,
    a paired t-test over seeds; both Holm-adjusted across the compared models.

    Returns one row per compared model with ``<column>_p`` (bootstrap), ``<column>_p_ttest`` and
    ``<column>_sig`` (the t-test decides when it ran, else the bootstrap) for each planned column.
    """
    methods = [x for x in per_seed.method.unique() if x != BASELINE]
    rows = {x: {"model": x} for x in methods}
    for comparison in plan:
        column = comparison.metric.column
        boot = [_bootstrap_pvalue(comparison, method, settings) for method in methods]
        ttest = [_ttest_pvalue(per_seed, column, method) for method in methods]
        boot_adj, boot_sig = statistics.holm(boot, alpha=settings.alpha)
        t_adj, t_sig = statistics.holm(ttest, alpha=settings.alpha)
        for i, method in enumerate(methods):
            with_seeds = ttest[i] is not None  # ≥ 3 seeds: the t-test over seeds decides
            rows[method].update({f"{column}_p": boot_adj[i], f"{column}_p_ttest": t_adj[i],
                                 f"{column}_sig": bool(t_sig[i] if with_seeds else boot_sig[i])})
    return pd.DataFrame(list(rows.values()))


def _bootstrap_pvalue(comparison: PairedComparison, method: str, settings: MetricsConfig) -> float | None:
    """The paired bootstrap p of ``method`` against Gen over the utterances both have (seeds pooled);
    None when ``method`` has none. A column with a baseline (MAD) compares with that value on every one."""
    metric, frame = comparison.metric, comparison.frame
    other = frame[frame.method == method].sort_values(["seed", "utt_id"]).reset_index(drop=True)
    if other.empty:
        return None
    if metric.baseline is not None:
        base = np.full(len(other), metric.baseline)
    else:
        gen = frame[frame.method == BASELINE].set_index(["seed", "utt_id"])
        base = gen.loc[list(zip(other.seed, other.utt_id)), metric.value].to_numpy()
    return statistics.paired_bootstrap_pvalue(other.gold, base, other[metric.value], metric=STATISTICS[metric.kind],
                                     n_resamples=settings.bootstrap_resamples, seed=settings.seed)


def _ttest_pvalue(per_seed: pd.DataFrame, column: str, method: str) -> float | None:
    """The paired t-test p of ``method`` against Gen over the seeds both have; None with fewer than 3."""
    seeds = per_seed.pivot(index="seed", columns="method", values=column)[[BASELINE, method]].dropna()
    return statistics.paired_ttest_pvalue(seeds[BASELINE], seeds[method])


def psc_correlation(per_seed: pd.DataFrame) -> dict[str, float]:
    """Pearson and Spearman correlation of Psc with cross-corpus valence UAR over models × seeds
    (SPEC §5.2); {} with fewer than 3 points. Attention checks (ArtNoise) are left out: they are
    evaluated on text carrying their gold label, not models to correlate."""
    checks = with_role("attention_check")
    defined = per_seed[~per_seed.method.isin(checks)].dropna(subset=["psc", "valence_uar_cross"])
    return m.psc_uar_correlation(defined.psc, defined.valence_uar_cross) if len(defined) >= 3 else {}


def table1(per_seed: pd.DataFrame, tests: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """One row per method: the Table 1 columns (means over seeds), then std, p and significance."""
    columns = list(t1.columns())
    means = per_seed.groupby("method")[columns].mean()
    stds = per_seed.groupby("method")[columns].std(ddof=1).add_suffix("_std")  # NaN with 1 seed
    table = means.join(stds).reindex(list(methods)).rename_axis("model").reset_index()
    table = table.merge(tests, on="model", how="left")
    ordered = ["model", *columns, *[f"{c}_std" for c in columns]]
    return table[ordered + [c for c in table.columns if c not in ordered]]


def table1_markdown(table: pd.DataFrame, *, normalisation: str, alpha: float, digits: int = 3) -> str:
    """Table 1 for people: "mean ± std" per metric with a significance mark, then the p-values.

    ``table`` is `table1`'s output. A mark * means significant vs Gen after Holm (adjusted p <
    ``alpha`` of the deciding test); the second table gives the bootstrap p (and the t-test p over
    seeds where there were ≥ 3 seeds). ``normalisation`` is named because MAD and Psc depend on it.
    """
    def value(row, column: str) -> str:
        mean, std = row[column], row.get(f"{column}_std", np.nan)
        text = "" if pd.isna(mean) else f"{mean:.{digits}f}" + ("" if pd.isna(std) else f" ± {std:.{digits}f}")
        return text + (" *" if row.get(f"{column}_sig") is True else "")

    def pvalue(row, column: str) -> str:
        boot, ttest = row.get(f"{column}_p", np.nan), row.get(f"{column}_p_ttest", np.nan)
        if pd.isna(boot):
            return "—"
        return f"{boot:.3f}" + ("" if pd.isna(ttest) else f" (t-test {ttest:.3f})")

    columns = t1.columns()
    header = "| model | " + " | ".join(columns) + " |\n|" + "---|" * (len(columns) + 1) + "\n"
    values = "".join(f"| {r['model']} | " + " | ".join(value(r, c) for c in columns) + " |\n"
                     for r in table.to_dict("records"))
    others = [r for r in table.to_dict("records") if r["model"] != BASELINE]
    pvalues = "".join(f"| {r['model']} | " + " | ".join(pvalue(r, c) for c in columns) + " |\n" for r in others)
    return (f"# Table 1\n\nWord weights normalised by `{normalisation}` (explain.normalisation); MAD and psc depend "
            f"on it, psc_words does not. Mean over seeds ± sample std (no std with one seed). "
            f"* = significant vs Gen after Holm (adjusted p < {alpha}).\n\n{header}{values}\n"
            f"## p-values vs Gen (Holm-adjusted paired bootstrap; t-test over seeds with ≥ 3 seeds)\n\n"
            f"{header}{pvalues}")


def markdown(table: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured Markdown rendering of a table (no extra dependency)."""
    def cell(v) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else ""
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"

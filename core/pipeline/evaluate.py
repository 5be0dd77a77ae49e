"""The metrics stage's numbers: UARs, gender-leakage probes, MAD, Psc, faithfulness, significance, Table 1.

:func:`metrics_tables` turns what the predict and explain stages left (:class:`MetricsInputs`, read
by core.pipeline.build) into every metrics table, by name; core.pipeline.build writes them under
artifacts/<experiment>/metrics/. Per-utterance and per-model statistics come from core.pipeline.metrics; a
model × seed's MAD and Psc are the means in :func:`per_seed_table`. Table 1 numbers are means over
seeds; std columns are the sample standard deviation across seeds (empty with one seed).
"""
from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from core.config import ExperimentConfig, MetricsConfig, resolve_path
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.methods import BASELINE, with_role
from core.pipeline import metrics as m
from core.pipeline.projection import projection_points
from core.schema import TABLE1_COLUMNS


@dataclass(frozen=True)
class MetricsInputs:
    """What the metrics stage reads: the predict and explain stages' artifacts for every model × seed."""

    predictions: pd.DataFrame  # predict stage, all models: role, split, utt_id, gender, valence_class, predicted, …
    representations: Mapping[tuple[str, int], np.ndarray]  # (method, seed) -> z, rows aligned with its predictions
    utterances: pd.DataFrame   # explain stage, one row per explained utterance (explained.parquet)
    attributions: pd.DataFrame  # explain stage, one row per word (attributions.parquet)


@dataclass(frozen=True)
class PairedComparison:
    """How one Table 1 column is compared with Gen utterance by utterance (paired bootstrap, SPEC §4)."""

    column: str          # the Table 1 column
    frame: pd.DataFrame  # per utterance: method, seed, utt_id, gold and ``value``
    value: str           # the compared column of ``frame``
    kind: str            # "uar": UAR of predicted labels against gold; "mean": mean of per-utterance values


def metrics_tables(inputs: MetricsInputs, config: ExperimentConfig, *,
                   fitted_probes: dict | None = None) -> dict[str, pd.DataFrame]:
    """Every metrics table of an experiment, by name (core.pipeline.artifacts.METRICS_TABLES, table1 first).

    ``fitted_probes``: see `leakage`.
    """
    predictions, utterances = inputs.predictions, inputs.utterances
    explained = explanations(inputs.attributions)
    probes, probe_guesses = leakage(predictions, inputs.representations, config.metrics, fitted_probes=fitted_probes)
    mad = mad_items(explained, utterances, GenderLexicon.load(), config.explain.top_k)
    psc = psc_items(explained, utterances, valence_lexicon(config))
    per_seed = per_seed_table(valence_uars(predictions), probes, mad, psc)
    plan = significance_plan(predictions, probe_guesses, mad, psc)
    table = table1(per_seed, significance(per_seed, plan, config.metrics), config.methods.names)
    shares = pd.DataFrame([{"model": name, **m.mad_category_shares(list(group["item"]))}
                           for name, group in mad.groupby("method", sort=False)])
    return {"table1": table, "per_seed": per_seed, "probes": probes, "mad_categories": shares,
            "mad_utterances": mad.drop(columns="item"), "faithfulness": faithfulness(utterances),
            "psc_utterances": psc, "psc_correlation": pd.DataFrame([psc_correlation(per_seed)]),
            "projection": projection_points(predictions, inputs.representations, seed=config.metrics.seed)}


def valence_lexicon(config: ExperimentConfig) -> ValenceLexicon:
    """The lexicon Psc bins words with: NRC-VAD when the config names a file, else VADER."""
    path = config.metrics.valence_lexicon
    return ValenceLexicon.nrc_vad(resolve_path(config, path)) if path else ValenceLexicon.vader()


@dataclass(frozen=True)
class Explanation:
    """One model's explanation of one utterance: word forms and normalised weights."""

    forms: list[str]
    weights: np.ndarray


def valence_uars(predictions: pd.DataFrame) -> pd.DataFrame:
    """Valence UAR within (primary test) and cross (whole cross corpus) per method × seed."""
    rows = []
    for (method, seed), p in predictions.groupby(["method", "seed"], sort=False):
        test, cross = p[(p.role == "primary") & (p.split == "test")], p[p.role == "cross"]
        rows.append({"method": method, "seed": seed,
                     "valence_uar_within": m.uar(test.valence_class, test.predicted),
                     "valence_uar_cross": m.uar(cross.valence_class, cross.predicted)})
    return pd.DataFrame(rows)


def probe_models(seed: int, max_iter: int) -> dict:
    """The two gender probes of SPEC §4: standardised balanced logistic regression and a 1-layer MLP."""
    return {"logreg": make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=max_iter)),
            "mlp": make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), max_iter=max_iter,
                                                                 early_stopping=True, random_state=seed))}


def leakage(predictions: pd.DataFrame, representations: Mapping[tuple[str, int], np.ndarray],
            settings: MetricsConfig, *, fitted_probes: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Gender UAR of probes trained on primary train+val z, scored on primary test and the cross corpus.

    ``representations[(method, seed)]`` holds z row-aligned with that model's rows of ``predictions``.
    Returns (scores: method, seed, probe, split, gender_uar; the stronger probe's guess per utterance
    and split, the headline). ``fitted_probes``, when given, receives (method, seed) -> {"probes": both
    fitted probes, "headline": the stronger on the primary test}: the build stores them as the app's attacker.
    """
    scores, headline = [], []
    for (method, seed), z in tqdm(representations.items(), desc="gender probes", unit="model"):
        p = predictions[(predictions.method == method) & (predictions.seed == seed)].reset_index(drop=True)
        fit_rows = (p.role == "primary") & p.split.isin(["train", "val"])
        targets = {"within": (p.role == "primary") & (p.split == "test"), "cross": p.role == "cross"}
        probed, fitted = {}, probe_models(settings.seed, settings.probe_max_iter)
        for name, probe in fitted.items():
            probe.fit(z[fit_rows], p.gender[fit_rows])
            for split, rows in targets.items():
                guess = probe.predict(z[rows])
                probed[(name, split)] = guess
                scores.append({"method": method, "seed": seed, "probe": name, "split": split,
                               "gender_uar": m.uar(p.gender[rows], guess)})
        if fitted_probes is not None:
            fitted_probes[(method, seed)] = {"probes": fitted, "headline": max(
                fitted, key=lambda n: m.uar(p.gender[targets["within"]], probed[(n, "within")]))}
        for split, rows in targets.items():
            best = max(("logreg", "mlp"), key=lambda n: m.uar(p.gender[rows], probed[(n, split)]))
            headline.append(p.loc[rows, ["method", "seed", "utt_id", "gender"]].assign(
                split=split, probe=best, guess=probed[(best, split)]))
    return pd.DataFrame(scores), pd.concat(headline, ignore_index=True)


def reference_leakage(tables: Mapping[str, pd.DataFrame], z: Mapping[str, np.ndarray], name: str,
                      settings: MetricsConfig) -> pd.DataFrame:
    """The Table 1 probes run on a representation no model was trained into: what leakage is there before
    any method acts (the untrained encoder) or at most (the planted cues themselves, on the demo).

    ``tables`` and ``z`` are keyed by corpus role ("primary", "cross"), row-aligned. Returns the scores
    of :func:`leakage` (method = ``name``, seed 0), so the numbers compare directly with Table 1.
    """
    predictions = pd.concat([tables[role].assign(role=role) for role in ("primary", "cross")], ignore_index=True)
    representation = np.concatenate([z["primary"], z["cross"]])
    scores, _ = leakage(predictions.assign(method=name, seed=0), {(name, 0): representation}, settings)
    return scores


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


def per_seed_table(uars: pd.DataFrame, probes: pd.DataFrame, mad: pd.DataFrame, psc: pd.DataFrame) -> pd.DataFrame:
    """One row per method × seed with the Table 1 numbers (headline probe = the stronger one).

    MAD and Psc are the means of MAD_i and P_i per model × seed (SPEC §5.1, §5.2), the one place they
    are aggregated; a model × seed without items (Psc when Gen got nothing right) is NaN, and
    MAD(Gen, Gen) is 0.
    """
    gender = probes.groupby(["method", "seed", "split"]).gender_uar.max().unstack("split")
    gender.columns = [f"gender_uar_{s}" for s in gender.columns]
    mad_mean = mad.groupby(["method", "seed"]).mad_i.mean().rename("mad")
    psc_mean = psc.groupby(["method", "seed"])[["p_i", "p_words_i"]].mean().rename(
        columns={"p_i": "psc", "p_words_i": "psc_words"})
    table = uars.set_index(["method", "seed"]).join(gender).join(mad_mean).join(psc_mean)
    table.loc[table.index.get_level_values("method") == BASELINE, "mad"] = 0.0
    return table.reset_index()


def significance_plan(predictions: pd.DataFrame, probe_guesses: pd.DataFrame, mad: pd.DataFrame,
                      psc: pd.DataFrame) -> list[PairedComparison]:
    """How each Table 1 column is compared with Gen: UARs over the predicted labels, MAD and Psc
    over the per-utterance values (MAD_i against 0, Gen's value by definition)."""
    test = predictions[(predictions.role == "primary") & (predictions.split == "test")]
    cross = predictions[predictions.role == "cross"]
    guesses = probe_guesses.rename(columns={"gender": "gold"})
    return [PairedComparison("valence_uar_within", test.assign(gold=test.valence_class), "predicted", "uar"),
            PairedComparison("valence_uar_cross", cross.assign(gold=cross.valence_class), "predicted", "uar"),
            PairedComparison("gender_uar_within", guesses[guesses.split == "within"], "guess", "uar"),
            PairedComparison("gender_uar_cross", guesses[guesses.split == "cross"], "guess", "uar"),
            PairedComparison("mad", mad.drop(columns="item").assign(gold=0), "mad_i", "mean"),
            PairedComparison("psc", psc.assign(gold=0), "p_i", "mean"),
            PairedComparison("psc_words", psc.assign(gold=0), "p_words_i", "mean")]


def significance(per_seed: pd.DataFrame, plan: Sequence[PairedComparison], settings: MetricsConfig) -> pd.DataFrame:
    """p-values vs Gen per Table 1 column: paired bootstrap (pooled over seeds) and, with ≥ 3 seeds,
    a paired t-test over seeds; both Holm-adjusted across the compared models.

    Returns one row per compared model with ``<column>_p`` (bootstrap), ``<column>_p_ttest`` and
    ``<column>_sig`` (the t-test decides when it ran, else the bootstrap) for each planned column.
    """
    methods = [x for x in per_seed.method.unique() if x != BASELINE]
    rows = {x: {"model": x} for x in methods}
    for comparison in plan:
        column, frame, value, kind = comparison.column, comparison.frame, comparison.value, comparison.kind
        boot, ttest = [], []
        for method in methods:
            base, other = _paired_frames(frame, method, value, kind)
            metric = m.uar if kind == "uar" else mean_value
            boot.append(None if other.empty else m.paired_bootstrap_pvalue(
                other.gold, base[value], other[value], metric=metric, n_resamples=settings.bootstrap_resamples,
                seed=settings.seed))
            seeds = per_seed.pivot(index="seed", columns="method", values=column)[[BASELINE, method]].dropna()
            ttest.append(m.paired_ttest_pvalue(seeds[BASELINE], seeds[method]))
        boot_adj, boot_sig = m.holm(boot, alpha=settings.alpha)
        t_adj, t_sig = m.holm(ttest, alpha=settings.alpha)
        for i, method in enumerate(methods):
            with_seeds = ttest[i] is not None  # ≥ 3 seeds: the t-test over seeds decides
            rows[method].update({f"{column}_p": boot_adj[i], f"{column}_p_ttest": t_adj[i],
                                 f"{column}_sig": bool(t_sig[i] if with_seeds else boot_sig[i])})
    return pd.DataFrame(list(rows.values()))


def psc_correlation(per_seed: pd.DataFrame) -> dict[str, float]:
    """Pearson and Spearman correlation of Psc with cross-corpus valence UAR over models × seeds
    (SPEC §5.2); {} with fewer than 3 points. Attention checks (ArtNoise) are left out: they are
    evaluated on text carrying their gold label, not models to correlate."""
    checks = with_role("attention_check")
    defined = per_seed[~per_seed.method.isin(checks)].dropna(subset=["psc", "valence_uar_cross"])
    return m.psc_uar_correlation(defined.psc, defined.valence_uar_cross) if len(defined) >= 3 else {}


def _paired_frames(frame: pd.DataFrame, method: str, value: str, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    other = frame[frame.method == method].sort_values(["seed", "utt_id"]).reset_index(drop=True)
    if kind == "mean" and BASELINE not in set(frame.method):  # MAD: Gen's value is 0 by definition
        return other.assign(**{value: 0.0}), other
    base = frame[frame.method == BASELINE].set_index(["seed", "utt_id"]).loc[
        list(zip(other.seed, other.utt_id))].reset_index()
    return base, other


def table1(per_seed: pd.DataFrame, tests: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """One row per method: the Table 1 columns (means over seeds), then std, p and significance."""
    means = per_seed.groupby("method")[list(TABLE1_COLUMNS)].mean()
    stds = per_seed.groupby("method")[list(TABLE1_COLUMNS)].std(ddof=1).add_suffix("_std")  # NaN with 1 seed
    table = means.join(stds).reindex(list(methods)).rename_axis("model").reset_index()
    table = table.merge(tests, on="model", how="left")
    ordered = ["model", *TABLE1_COLUMNS, *[f"{c}_std" for c in TABLE1_COLUMNS]]
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

    header = "| model | " + " | ".join(TABLE1_COLUMNS) + " |\n|" + "---|" * (len(TABLE1_COLUMNS) + 1) + "\n"
    values = "".join(f"| {r['model']} | " + " | ".join(value(r, c) for c in TABLE1_COLUMNS) + " |\n"
                     for r in table.to_dict("records"))
    others = [r for r in table.to_dict("records") if r["model"] != BASELINE]
    pvalues = "".join(f"| {r['model']} | " + " | ".join(pvalue(r, c) for c in TABLE1_COLUMNS) + " |\n" for r in others)
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

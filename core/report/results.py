"""The report's results: the summary in words, Table 1 and its conventions, leakage against its references, the
privacy–utility trade-off, MAD and Psc, and the lexicon overlap — all from the dashboard's own functions."""
from __future__ import annotations

import pandas as pd

from core.dashboard import charts
from core.dashboard import experiment as built
from core.dashboard import lexicon_overlap as overlap
from core.dashboard import privacy_metrics as pm
from core.data.lexicons import GenderLexicon
from core.methods import BASELINE, label, with_role
from core.pipeline import statistics
from core.pipeline import table1 as t1
from core.report import page
from core.report.provenance import numbers_config

ATTACKERS = {"logreg": "the linear attacker", "mlp": "the nonlinear (MLP) attacker"}


def significance(row: pd.Series, column: str, alpha: float) -> str:
    """"significant at 0.05, Holm-adjusted p = 0.012" for one Table 1 cell ("" when not tested)."""
    p = pm.deciding_p(row, column)
    if pd.isna(p):
        return "not tested"
    verdict = "significant" if str(row.get(f"{column}_sig")).lower() == "true" else "not significant"
    return f"{verdict} at {alpha}, Holm-adjusted p = {p:.3g}"


def compare(rows: pd.DataFrame, name: str, metric: t1.Table1Metric, alpha: float) -> str:
    """"valence, cross ↑ 0.752 vs Gen 0.726 (significant …)" for one model and column."""
    value, gen = rows.loc[name, metric.column], rows.loc[BASELINE, metric.column]
    return f"{metric.header} {value:.3f} vs Gen {gen:.3f} ({significance(rows.loc[name], metric.column, alpha)})"


def attacker_sentences(table: pd.DataFrame, alpha: float) -> list[str]:
    """Per attacker family and corpus: which privacy method leaks least, and what it costs in valence UAR."""
    rows = table.set_index("model")
    privacy = with_role("privacy", rows.index)
    by_column = {m.column: m for m in t1.metrics()}
    if BASELINE not in rows.index or not privacy:
        return []
    sentences = []
    for (probe, split), column in pm.LEAKAGE_COLUMNS.items():
        if probe not in ATTACKERS or column not in rows or rows.loc[privacy, column].isna().all():
            continue
        best = rows.loc[privacy, column].idxmin()
        costs = "; ".join(compare(rows, best, by_column[f"valence_uar_{s}"], alpha) for s in ("within", "cross"))
        where = "primary test split" if split == "within" else "cross corpus"
        sentences.append(f"**Against {ATTACKERS[probe]} on the {where}, {best} leaks least:** "
                         f"{compare(rows, best, by_column[column], alpha)}. Its cost: {costs}.")
    return sentences


def explanation_sentences(table: pd.DataFrame, alpha: float) -> list[str]:
    """Per privacy method: how its explanations differ from Gen's (MAD) and how much it leans on contradicting
    words (Psc), each with its significance."""
    rows = table.set_index("model")
    shown = [m for m in t1.metrics() if m.column in ("mad", "psc") and m.column in rows]
    if BASELINE not in rows.index:
        return []
    return [f"**{name}'s explanations:** " + "; ".join(compare(rows, name, m, alpha) for m in shown) + "."
            for name in with_role("privacy", rows.index)]


def summary(table: pd.DataFrame, alpha: float) -> str:
    parts = [page.bullets(pm.plain_summary(table, alpha=alpha)), page.heading("Against each attacker"),
             page.bullets(attacker_sentences(table, alpha) or ["This Table 1 has no per-attacker columns."]),
             page.heading("What the explanations do differently"), page.bullets(explanation_sentences(table, alpha)),
             page.prose("MAD ↑: how much a model stopped relying on words people read as gender cues, compared with "
                        "Gen. Psc ↓: weight on words whose sentiment contradicts the true answer.", css="small")]
    return page.section("summary", "Summary in plain words", *parts)


def conventions(experiment: built.Experiment, alpha: float) -> str:
    """How Table 1 was made: normalisation, probe families, the tests and the correction (docs/METHODS.md §5)."""
    config = numbers_config(experiment)
    explain, metrics = config.get("explain", {}), config.get("metrics", {})
    seeds = len(experiment.seeds)
    deciding = "a paired t-test over seeds" if seeds >= 3 else "the paired bootstrap over test utterances"
    return page.bullets([
        f"Means over {seeds} seed(s); ± is the standard deviation over seeds (none with one seed).",
        f"Word weights normalised with `{explain.get('normalisation', 'l2')}`; explanation sets are the top "
        f"{experiment.top_k} words by positive weight.",
        "Leakage: a logistic regression (standardised, balanced) and a one-hidden-layer MLP trained on the primary "
        "train+val representations, scored on the primary test split (unseen speakers) and on the cross corpus; "
        "the headline gender columns are the stronger of the two.",
        f"Significance vs Gen: a paired bootstrap over test utterances "
        f"({metrics.get('bootstrap_resamples', 1000)} resamples), plus a paired t-test over seeds with ≥ 3 seeds; "
        f"p-values Holm-adjusted across the compared models; * = {deciding} gives adjusted p < {alpha}."])


def table_one(experiment: built.Experiment, table: pd.DataFrame, alpha: float) -> str:
    shown = pm.shown_metrics(table)
    pvalues = pd.DataFrame({"model": [label(m) for m in table.model],
                            **{m.header: pm.deciding_p(table, m.column) for m in shown}})
    parts = [f'<div id="table1">{page.table(pm.format_table1(table))}</div>', conventions(experiment, alpha),
             page.heading("Holm-adjusted p-values against Gen (the deciding test)"), page.table(pvalues),
             page.heading("What the columns mean"), page.bullets(f"**{h}**: {t}" for h, t in pm.column_help(table).items())]
    if missing := pm.missing_optional(table):
        parts.append(page.missing(f"column {', '.join(missing)}", f"this Table 1 predates it; rebuild with "
                                  f"`{experiment.command('metrics')}`."))
    return page.section("table1", "Table 1", *parts)


def leakage(experiment: built.Experiment, table: pd.DataFrame) -> str:
    """Leakage against its references, then the privacy–utility trade-off within and across corpora."""
    references = pm.optional_table(experiment, "leakage_reference")
    parts = [page.heading("Leakage against its references")]
    if references is None:
        parts.append(page.missing("leakage references", "metrics/leakage_reference.csv is newer than this build."))
    else:
        parts += [page.prose("What each attacker reads where no method acted — primary: "
                             f"{pm.reference_line(references, 'within')}; cross: "
                             f"{pm.reference_line(references, 'cross')}."), page.table(pm.reference_grid(references))]
    seed = experiment.seeds[0]
    try:
        intervals = pm.trade_off_intervals(experiment, built.predictions(experiment), seed=seed)
        note = f"Whiskers: 95% bootstrap intervals over utterances (seed {seed})."
    except built.ArtifactError as error:
        intervals, note = None, f"No intervals: {error}"
    points = pm.scatter_points(table, intervals)
    figures = [page.figure(charts.privacy_utility(points, split, untrained=pm.untrained_level(references, split)))
               for split in ("within", "cross")]
    parts += [page.heading("Privacy–utility trade-off"),
              page.prose("Each point is a model: left = an attacker learns less about the speaker's gender; up = "
                         "valence is recognised better. The attention check (✕) only looks best: its test text "
                         "gives the answer away."), f'<div class="pair">{"".join(figures)}</div>',
              page.prose(note, css="small")]
    return page.section("leakage", "Leakage and the privacy–utility trade-off", *parts)


def explanations(experiment: built.Experiment) -> str:
    """MAD and Psc with bootstrap intervals, the MAD breakdown, and the lexicon overlap of the top words."""
    mad = statistics.mean_intervals(built.metrics_frame(experiment, "mad_utterances", ("method", "mad_i")), "mad_i")
    psc = statistics.mean_intervals(built.metrics_frame(experiment, "psc_utterances", ("method", "p_i")), "p_i")
    both = pd.concat([mad.assign(metric="MAD ↑"), psc.assign(metric="Psc ↓")]).assign(model=lambda f: f.model.map(label))
    bars = [charts.interval_bars(mad, title="MAD vs Gen (95% bootstrap interval)", axis="MAD ↑",
                                 reference_label="no change from Gen"),
            charts.interval_bars(psc, title="Psc (95% bootstrap interval)", axis="Psc ↓", reference=None)]
    parts = [f'<div class="pair">{"".join(page.figure(b) for b in bars)}</div>',
             page.table(both[["metric", "model", "mean", "low", "high", "n"]], digits=4)]
    sets = overlap.explanation_set_words(built.attributions(experiment), GenderLexicon.load(), k=experiment.top_k)
    shares = overlap.lexicon_overlap(sets)
    wide = shares.pivot(index="model", columns="category", values="share").reindex(experiment.methods)
    parts += [page.heading("Lexicon overlap of each model's top words"),
              page.prose(f"Share of explanation sets (the top {experiment.top_k} words) holding a word of the "
                         "gender-perception lexicon, per category; a privacy model should use them less than Gen."),
              page.figure(charts.overlap_bars(shares)),
              page.table((wide * 100).round(1).rename(index=label).rename_axis("model (% of sets)").reset_index(),
                         digits=1)]
    if experiment.paths.metrics_table("mad_categories").exists():
        parts.append(page.figure(charts.category_shares(built.metrics_frame(experiment, "mad_categories", ("model",)))))
    return page.section("explanations", "MAD, Psc and the lexicon overlap", *parts)

"""The report's close reading: utterances whose explanations moved most and least (every model side by side, in
the app's colour scale), the cross-corpus error analysis, training curves, and faithfulness."""
from __future__ import annotations

import html

import pandas as pd

from core.dashboard import charts, cross_corpus
from core.dashboard import experiment as built
from core.dashboard import slices
from core.dashboard.highlight import highlight_html, legend_html, shared_scale
from core.dashboard.history import HISTORY_METRICS, curve_figure, training_history
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.methods import BASELINE, is_attention_check, label
from core.report import page
from core.study.tasks import utterance_scores

EXAMPLES = 2  # utterances shown at each end of the MAD ranking


def side_by_side(experiment: built.Experiment, utt_id: str, *, seed: int, words: pd.DataFrame,
                 utterances: pd.DataFrame, lexicon: GenderLexicon) -> str:
    """One primary-test utterance as every model explains it, on one shared colour scale; the attention check's
    card is dashed and says its text carries planted tokens."""
    mine = words[(words.seed == seed) & (words.role == "primary") & (words.utt_id == utt_id)]
    per_model = {m: mine[mine.method == m].sort_values("word_index") for m in experiment.methods}
    scale = shared_scale(*(w.weight for m, w in per_model.items() if not is_attention_check(m)))
    said = utterances[(utterances.seed == seed) & (utterances.role == "primary") & (utterances.utt_id == utt_id)]
    cards = []
    for method, w in per_model.items():
        row = said[said.method == method]
        if w.empty or row.empty:
            continue
        row = row.iloc[0]
        check = is_attention_check(method)
        body = highlight_html(built.spans(w), w.weight.to_numpy(), scale=scale, text=row.text,
                              categories=lexicon.categories_at(w.word.str.lower().tolist()))
        note = " · its copy of the text may carry planted tokens" if check else ""
        cards.append(f'<div class="card{" check" if check else ""}"><h4>{html.escape(label(method))} — predicted '
                     f"{html.escape(str(row.predicted))}{note}</h4>{body}</div>")
    first = said.iloc[0] if len(said) else None
    head = (f"gold {first.valence_class} · speaker {first.gender}" if first is not None else "")
    return page.prose(f"**{utt_id}** · {head}") + legend_html(scale) + f'<div class="grid">{"".join(cards)}</div>'


def examples(experiment: built.Experiment) -> str:
    """The utterances with the highest and the lowest MAD score (the mean MAD_i over the privacy methods)."""
    seed = experiment.seeds[0]
    mad = built.metrics_frame(experiment, "mad_utterances", ("method", "seed", "utt_id", "gender", "valence_class",
                                                               "mad_i"))
    scores = utterance_scores(mad, experiment.methods, seed=seed).sort_values("mad_score", kind="stable")
    words, utterances, lexicon = built.attributions(experiment), built.explained(experiment), GenderLexicon.load()
    parts = [page.prose(f"An utterance's MAD score is the mean MAD_i of the privacy methods (seed {seed}): high = "
                        "they dropped gender-perception words Gen relied on; low = they took such words up. Boxed "
                        "words are in the gender-perception lexicon; hover a word for its weight.")]
    for title, chosen in (("Highest MAD", scores.tail(EXAMPLES)[::-1]), ("Lowest MAD", scores.head(EXAMPLES))):
        parts.append(page.heading(title))
        for row in chosen.itertuples():
            parts += [page.prose(f"MAD score {row.mad_score:+.3f}", css="small"),
                      side_by_side(experiment, row.utt_id, seed=seed, words=words, utterances=utterances,
                                   lexicon=lexicon)]
    return page.section("examples", "Explanation examples", *parts)


def error_analysis(experiment: built.Experiment) -> str:
    """Within vs cross accuracy, Psc against cross accuracy, and what right and wrong cross-corpus answers rest on."""
    seed, preds = experiment.seeds[0], built.predictions(experiment)
    uars = cross_corpus.valence_uar_intervals(preds)
    per_seed = built.metrics_frame(experiment, "per_seed", ("method", "seed", "psc", "valence_uar_cross"))
    parts = [page.figure(charts.within_cross(uars[uars.seed == seed])), page.figure(charts.psc_vs_cross(per_seed))]
    correlation = cross_corpus.psc_correlation(experiment)
    parts.append(page.prose(
        f"Across models and seeds (the attention check left out): Pearson r = {correlation['pearson_r']:.2f} "
        f"(p = {correlation['pearson_p']:.2f}), Spearman ρ = {correlation['spearman_rho']:.2f} (p = "
        f"{correlation['spearman_p']:.2f}), n = {int(correlation['n'])}." if correlation else
        "No Psc–accuracy correlation: it needs at least three models with a Psc."))
    utterances, words, valence, gender = (built.explained(experiment), built.attributions(experiment),
                                          cross_corpus.valence_lexicon(experiment.valence_lexicon), GenderLexicon.load())
    rows = []
    for method in experiment.methods:
        cases = cross_corpus.error_cases(utterances, method=method, seed=seed)
        if cases.empty:
            continue
        contrast = cross_corpus.weight_contrast(cases, words, valence, gender, method=method, seed=seed, top=3)
        top = contrast["words"].groupby("group").key.agg(", ".join)
        rows.append({"model": label(method), "right": int(cases.right.sum()), "wrong": int((~cases.right).sum()),
                     "top words when right": top.get("right", "–"), "top words when wrong": top.get("wrong", "–")})
    parts += [page.heading(f"Right vs wrong on the explained cross-corpus utterances (seed {seed})"),
              page.table(pd.DataFrame(rows)), _wrong_cases(experiment, utterances, words, valence, gender, seed)]
    return page.section("cross", "Cross-corpus error analysis", *parts)


def _wrong_cases(experiment: built.Experiment, utterances: pd.DataFrame, words: pd.DataFrame,
                 valence: ValenceLexicon, gender: GenderLexicon, seed: int, shown: int = 3) -> str:
    """A few cross-corpus utterances the baseline got wrong, highlighted as the Cross-corpus page shows them."""
    method = BASELINE if BASELINE in experiment.methods else experiment.methods[0]
    cases = cross_corpus.error_cases(utterances, method=method, seed=seed)
    cases = cases[~cases.right].head(shown)
    mine = words[(words.method == method) & (words.seed == seed) & (words.role == "cross")]
    explained = {u: w.sort_values("word_index") for u, w in mine[mine.utt_id.isin(cases.utt_id)].groupby("utt_id")}
    if not explained:
        return page.prose(f"{method} got every explained cross-corpus utterance right.")
    scale = shared_scale(*(w.weight for w in explained.values()))
    rows = [cross_corpus.case_html(case, built.spans(explained[case.utt_id]), explained[case.utt_id].weight.to_numpy(),
                                   scale=scale, valence=valence, gender=gender)
            for case in cases.itertuples() if case.utt_id in explained]
    return (page.heading(f"Cross-corpus utterances {label(method)} got wrong") + legend_html(scale) +
            "".join(f'<div class="card">{r}</div>' for r in rows))


def training_curves(experiment: built.Experiment) -> str:
    """Per-epoch curves from every checkpoint's model.json (loss, validation UARs, PrivAdv's λ)."""
    history, missing = training_history(experiment.paths, [(m, s) for m in experiment.methods for s in experiment.seeds])
    parts = [page.missing("per-epoch history for " + ", ".join(missing), "not trained, or trained by an older "
                          "privlens.")] if missing else []
    for metric in HISTORY_METRICS:
        data = history[history.metric == metric].assign(seed=lambda f: f.seed.astype(str))
        if data.empty:
            continue
        figure = curve_figure(data, metric)
        parts.append(page.figure(figure.update_layout(height=340, template="plotly_white")))
    return page.section("training", "Training curves", *parts)


def faithfulness(experiment: built.Experiment) -> str:
    """ERASER comprehensiveness and sufficiency, and how well integrated gradients converged."""
    seed = experiment.seeds[0]
    if not experiment.paths.metrics_table("faithfulness").exists():
        return page.section("faithfulness", "Faithfulness and IG convergence",
                            page.missing("faithfulness table", "metrics/faithfulness.csv is newer than this build."))
    frame = built.metrics_frame(experiment, "faithfulness", slices.FAITHFULNESS)
    return page.section("faithfulness", "Faithfulness and IG convergence",
                        page.prose(slices.faithfulness_reading(frame, seed=seed)),
                        page.table(slices.faithfulness_table(frame, seed=seed)),
                        page.prose("Comprehensiveness ↑: how much erasing the top words moves the answer; "
                                   "sufficiency ↓: how much the top words alone lose of it; delta ratio ↓: the IG "
                                   "convergence error relative to F(x) − F(baseline).", css="small"))

"""Slices' logic: where each model is right and where it leaks (per speaker gender, gold valence, corpus and
gender-lexicon category), its confusion matrix, one model against another, and its faithfulness (no Streamlit).

Every number is over one seed's test rows: *within* = the primary corpus's test split, *cross* = the cross
corpus (`core.schema.split_rows`), the rows Table 1 scores, so a slice's "all" row is Table 1's number.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.dashboard import experiment as built
from core.dashboard.glossary import words
from core.data.lexicons import GenderLexicon
from core.data.words import word_forms
from core.methods import colour, is_attention_check, label
from core.pipeline.metrics import uar
from core.pipeline.statistics import bootstrap_uar
from core.schema import GENDER_CHANCE, ROLE_LABELS, VALENCE_CHANCE, VALENCE_CLASSES, split_rows

CATEGORY = "category"  # the column `with_categories` adds: an utterance's gender-lexicon categories
SLICINGS = {"speaker gender": ("gender",), "gold valence": ("valence_class",),
            "speaker gender × gold valence": ("gender", "valence_class"), "gender-lexicon category": (CATEGORY,)}
FAITHFULNESS = ("method", "seed", "role", "comprehensiveness", "sufficiency", "delta_ratio", "n_steps_min",
                "n_steps_max", "unconverged", "utterances")  # the faithfulness.csv columns read here


def scored_rows(preds: pd.DataFrame) -> pd.DataFrame:
    """The test rows every number here is computed on, with split = "within" or "cross" (other rows dropped)."""
    return pd.concat([preds[mask].assign(split=name) for name, mask in split_rows(preds).items()], ignore_index=True)


def attacker_guesses(experiment: built.Experiment, rows: pd.DataFrame) -> pd.Series:
    """The attacker's gender guess per test row: per model and split the stronger stored probe on that split,
    as Table 1 picks it. None for a model whose probes the metrics stage has not stored."""
    guesses = pd.Series(None, index=rows.index, dtype=object)
    for (method, seed), mine in rows.groupby(["method", "seed"], sort=False):
        probes = built.load_probes(experiment, method, seed)
        if not probes:
            continue
        z, index = built.representation_index(experiment, method, seed)
        for _, part in mine.groupby("split", sort=False):
            at = z[[index[key] for key in zip(part.role, part.utt_id)]]
            candidates = [probe.predict(at) for probe in probes.values()]
            guesses.loc[part.index] = max(candidates, key=lambda guess: uar(part.gender, guess))
    return guesses


def plain_texts(rows: pd.DataFrame) -> pd.Series:
    """(role, utt_id) → the text as people read it (not the attention check's copy with planted tokens)."""
    plain = rows[~rows.method.map(is_attention_check).astype(bool)]
    return plain.drop_duplicates(["role", "utt_id"]).set_index(["role", "utt_id"]).text


def with_categories(rows: pd.DataFrame, lexicon: GenderLexicon) -> pd.DataFrame:
    """``rows`` with a ``category`` column: the gender-lexicon categories of the words its utterance holds."""
    texts = plain_texts(rows)
    found = {key: tuple(sorted(set().union(*lexicon.member_forms(word_forms(text)).values())))
             for key, text in texts.items()}
    return rows.assign(**{CATEGORY: [found.get(key, ()) for key in zip(rows.role, rows.utt_id)]})


def slice_uars(rows: pd.DataFrame, by: Sequence[str], *, resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Valence UAR and the attacker's gender UAR, each with a 95 % bootstrap interval, per model × split × slice.

    ``rows``: `scored_rows` of one seed, with ``gender_guess`` (None where a model has no attacker) and the ``by``
    columns; ``category`` holds tuples, and an utterance counts in each of its categories. Returns model, split,
    slice ("all" for the whole split, else the ``by`` values joined by " · "), n, valence_uar, valence_low,
    valence_high, gender_uar, gender_low, gender_high. Within one class a UAR is that class's recall: inside
    "F" the gender UAR is the share of female speakers the attacker names as female.
    """
    out = []
    with warnings.catch_warnings():  # a slice holds one gold class by design: sklearn warns of the others
        warnings.simplefilter("ignore")
        for (method, split), part in rows.groupby(["method", "split"], sort=False):
            sliced = part.explode(CATEGORY) if CATEGORY in by else part
            groups = [("all", part), *((_slice_name(key), group) for key, group in sliced.groupby(list(by)))]
            for name, group in groups:
                out.append({"model": method, "split": split, "slice": name, "n": len(group),
                            **_uars(group, resamples=resamples, seed=seed)})
    return pd.DataFrame(out)


def _slice_name(key: object) -> str:
    """A slice's name in words ("F · high", "tag questions"), not the stored category name."""
    return " · ".join(map(words, map(str, key))) if isinstance(key, tuple) else words(str(key))


def _uars(group: pd.DataFrame, *, resamples: int, seed: int) -> dict[str, float]:
    guessed = group[group.gender_guess.notna()] if "gender_guess" in group else group.iloc[:0]
    valence = bootstrap_uar(group.valence_class, group.predicted, resamples=resamples, seed=seed)
    gender = bootstrap_uar(guessed.gender, guessed.gender_guess, resamples=resamples, seed=seed) if len(
        guessed) else (np.nan,) * 3
    return {**dict(zip(("valence_uar", "valence_low", "valence_high"), valence)),
            **dict(zip(("gender_uar", "gender_low", "gender_high"), gender))}


def slice_bars(table: pd.DataFrame, *, metric: str, split: str, title: str) -> go.Figure:
    """One bar per model and slice with its interval (``metric`` = "valence" or "gender"), chance dotted."""
    mine = table[(table.split == split) & table[f"{metric}_uar"].notna()]
    figure = go.Figure()
    for model, rows in mine.groupby("model", sort=False):
        figure.add_bar(x=rows.slice, y=rows[f"{metric}_uar"], name=label(model), marker_color=colour(model),
                       error_y={"type": "data", "symmetric": False,
                                "array": rows[f"{metric}_high"] - rows[f"{metric}_uar"],
                                "arrayminus": rows[f"{metric}_uar"] - rows[f"{metric}_low"]})
    figure.add_hline(y=VALENCE_CHANCE if metric == "valence" else GENDER_CHANCE, line_dash="dot",
                     annotation_text="chance over the whole split")
    figure.update_layout(title=title, barmode="group", height=400, template="plotly_white",
                         yaxis={"range": [0, 1], "title": f"{metric} UAR"}, legend={"orientation": "h", "y": -0.25},
                         margin={"l": 60, "r": 20, "t": 60, "b": 50})
    return figure


def confusion(rows: pd.DataFrame, *, method: str, split: str) -> pd.DataFrame:
    """Counts of gold (rows) × predicted (columns) valence class for one model on one split."""
    part = rows[(rows.method == method) & (rows.split == split)]
    counts = pd.crosstab(part.valence_class, part.predicted)
    counts = counts.reindex(index=list(VALENCE_CLASSES), columns=list(VALENCE_CLASSES), fill_value=0)
    return counts.rename_axis(index="gold", columns="predicted")


def row_normalised(counts: pd.DataFrame) -> pd.DataFrame:
    """Each gold class's row as shares (its recalls on the diagonal); an empty row stays NaN."""
    return counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)


def confusion_heatmap(counts: pd.DataFrame, *, normalised: bool, title: str) -> go.Figure:
    """The confusion matrix as a heatmap: counts, or shares of each gold class (the text says which)."""
    shown = row_normalised(counts) if normalised else counts
    text = shown.map(lambda v: "" if pd.isna(v) else f"{v:.0%}" if normalised else f"{int(v)}")
    figure = go.Figure(go.Heatmap(z=shown.to_numpy(float), x=[f"predicted {c}" for c in shown.columns],
                                  y=[f"gold {c}" for c in shown.index], text=text.to_numpy(), texttemplate="%{text}",
                                  colorscale="Blues", zmin=0, zmax=1 if normalised else None, showscale=False,
                                  hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    figure.update_layout(title=title, height=380, template="plotly_white", yaxis={"autorange": "reversed"},
                         margin={"l": 80, "r": 20, "t": 60 + 22 * title.count("<br>"), "b": 40})
    return figure


CHANGES = ("right → wrong", "wrong → right", "wrong → wrong")  # from model a's answer to model b's


def disagreements(rows: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """The test utterances where models ``a`` and ``b`` predict different classes.

    Returns split, role, utt_id, gender, valence_class (gold), text (as people read it), predicted_a,
    predicted_b and change: "right → wrong" (``a`` right, ``b`` wrong), "wrong → right", or "wrong → wrong"
    (both wrong, differently).
    """
    key = ["split", "role", "utt_id"]
    pair = rows[rows.method == a][[*key, "gender", "valence_class", "predicted"]].merge(
        rows[rows.method == b][[*key, "predicted"]], on=key, suffixes=("_a", "_b"))
    pair = pair[pair.predicted_a != pair.predicted_b].reset_index(drop=True)
    right_a, right_b = pair.predicted_a == pair.valence_class, pair.predicted_b == pair.valence_class
    pair["change"] = np.select([right_a, right_b], CHANGES[:2], CHANGES[2])
    texts = plain_texts(rows)
    pair.insert(5, "text", [texts.get(k, "") for k in zip(pair.role, pair.utt_id)])
    return pair


def flip_counts(rows: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Per split: utterances both models predicted, how many they disagree on, and the three kinds of change."""
    both = rows[rows.method == a].merge(rows[rows.method == b], on=["split", "role", "utt_id"])
    changes = disagreements(rows, a, b)
    table = pd.DataFrame({"utterances": both.groupby("split").size(),
                          "disagree": changes.groupby("split").size()})
    table = table.join(pd.crosstab(changes.split, changes.change)).reindex(columns=["utterances", "disagree",
                                                                                 *CHANGES])
    return table.fillna(0).astype(int).reindex([s for s in ("within", "cross") if s in table.index])


def flip_text(counts: pd.Series, a: str, b: str, *, where: str) -> str:
    """One split's `flip_counts` row in words: what changes going from model ``a`` to model ``b``."""
    won, lost = int(counts["wrong → right"]), int(counts["right → wrong"])
    return (f"On the {where}, {a} and {b} disagree on **{counts.disagree} of {counts.utterances}** utterances: "
            f"**{lost}** that {a} gets right {b} gets wrong, **{won}** the other way round (net {won - lost:+d} "
            f"for {b}); on {counts['wrong → wrong']} both are wrong.")


def faithfulness_table(frame: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """faithfulness.csv for one seed as the page shows it: per model and corpus, ERASER's two scores and how
    well integrated gradients converged."""
    mine = frame[frame.seed == seed]
    return pd.DataFrame({
        "model": mine.method.map(label), "corpus": mine.role.map(lambda r: ROLE_LABELS.get(r, r)),
        "comprehensiveness ↑": mine.comprehensiveness, "sufficiency ↓": mine.sufficiency,
        "delta ratio ↓": mine.delta_ratio,
        "n_steps": [f"{lo}" if lo == hi else f"{lo}–{hi}" for lo, hi in zip(mine.n_steps_min, mine.n_steps_max)],
        "unconverged": [f"{u} of {n}" for u, n in zip(mine.unconverged, mine.utterances)]}).reset_index(drop=True)


def faithfulness_reading(frame: pd.DataFrame, *, seed: int) -> str:
    """One line on faithfulness.csv: whose top words matter most to its answer, and whether IG converged.

    Scores are pooled over both corpora, weighted by utterances (each is a mean over utterances); the attention
    check is left out of the comparison, since its top words are planted tokens.
    """
    mine = frame[(frame.seed == seed) & ~frame.method.map(is_attention_check).astype(bool)]
    if mine.empty:
        return "No faithfulness scores for this seed."
    scores = ("comprehensiveness", "sufficiency")
    pooled = mine.groupby("method", sort=False).apply(
        lambda g: pd.Series({c: np.average(g[c], weights=g.utterances) for c in scores}), include_groups=False)
    comp, suff = pooled.comprehensiveness.idxmax(), pooled.sufficiency.idxmin()
    every = frame[frame.seed == seed]  # convergence: the attention check too, its IG ran like any other
    unconverged, total = int(every.unconverged.sum()), int(every.utterances.sum())
    worst = every.sort_values("delta_ratio").iloc[-1]
    convergence = (f"integrated gradients converged on all {total} explained utterances" if not unconverged else
                   f"integrated gradients stayed over the convergence bound on {unconverged} of {total} explained "
                   f"utterances")
    return (f"Erasing its top words moves **{comp}**'s answer most (comprehensiveness "
            f"{pooled.comprehensiveness[comp]:.2f}); its top words alone keep **{suff}**'s answer best (sufficiency "
            f"{pooled.sufficiency[suff]:.2f}); {convergence} (largest delta ratio: {label(worst.method)}, "
            f"{worst.delta_ratio:.3f}).")

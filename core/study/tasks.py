"""Which utterances the study shows, and how one task looks to one annotator.

An utterance's MAD score is the mean MAD_i of the privacy methods (role "privacy" in core.methods) of
the seed the annotators see; high/low MAD are the top/bottom terciles of that score over all
explained primary-test utterances. Per gender × valence cell the selection takes ``random``
utterances from the whole cell first, then ``high_mad`` and ``low_mad`` ones from what is left of
the cell's share of each tercile, so every utterance is one task of one stratum.

Choosing the attention-check model (ArtNoise) fails the check only where it is recognisable: on a
task whose ArtNoise view shows a planted token (rule "planted"), or, by the paper's literal rule, on
every task ("every_task"). Each task stores both facts, so a study keeps the rule it was selected with.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data.words import Word
from core.methods import BASELINE, with_role

ATTENTION_CHECK = with_role("attention_check")[0]  # choosing it fails the check
STRATA = ("random", "high_mad", "low_mad")
QUESTIONS = ("trust_valence", "trust_privacy", "trust_overall")
QUESTION_TEXT = {"trust_valence": "Which model do you trust most for emotion prediction?",
                 "trust_privacy": "Which model do you trust most for privacy preservation?",
                 "trust_overall": "Which model would you trust most for overall use?"}
LETTERS = "ABCDEFGHIJ"
# ArtNoise's planted tokens (core.pipeline.recipes.NOISE_TOKENS, zq0 … zx2; a test keeps the two in step),
# matched here without importing the torch-side recipes
PLANTED_TOKEN = re.compile(r"\bz[qx][0-2]\b")


def attention_checked(planted: bool, rule: str) -> bool:
    """Whether choosing the attention check fails on a task: where its token shows, or everywhere."""
    return rule == "every_task" or bool(planted)


def choice_set(models: list[str], *, checked: bool) -> list[str]:
    """The models a valid response can choose: all shown, but the attention check where choosing it fails."""
    return [m for m in models if not (checked and m == ATTENTION_CHECK)]


def planted_utterances(explained: pd.DataFrame, *, seed: int) -> set[str]:
    """The primary-test utterances whose attention-check view (the text ArtNoise saw, as the explain stage's
    ``explained.parquet`` keeps it and the study shows it) holds a planted token."""
    rows = explained[(explained.method == ATTENTION_CHECK) & (explained.seed == seed) & (explained.role == "primary")]
    return set(rows.utt_id[rows.text.str.contains(PLANTED_TOKEN)])


def utterance_scores(mad_utterances: pd.DataFrame, models: list[str], *, seed: int) -> pd.DataFrame:
    """One row per explained primary-test utterance: cell, MAD score and every model's MAD_i.

    ``mad_utterances`` is the metrics stage's ``mad_utterances.csv`` (method, seed, utt_id, gender,
    valence_class, mad_i); only rows of ``seed`` are used. Gen gets MAD_i = 0.
    """
    rows = mad_utterances[mad_utterances["seed"] == seed]
    if rows.empty:
        raise ValueError(f"no MAD_i for seed {seed}; seeds present: {sorted(mad_utterances['seed'].unique())}")
    privacy = with_role("privacy", set(rows["method"]))  # their mean MAD_i ranks the utterances
    if not privacy:
        raise ValueError(f"no privacy method {with_role('privacy')} has MAD_i; methods present: "
                         f"{sorted(set(rows['method']))}")
    wide = rows.pivot_table(index=["utt_id", "gender", "valence_class"], columns="method", values="mad_i")
    wide = wide.reset_index()
    if BASELINE in models:
        wide[BASELINE] = 0.0
    missing = [m for m in models if m not in wide.columns]
    if missing:
        raise ValueError(f"no MAD_i for model(s) {missing} in seed {seed}")
    scores = wide[["utt_id", "gender", "valence_class"]].assign(mad_score=wide[privacy].mean(axis=1))
    return scores.assign(model_mad=[dict(zip(models, map(float, v))) for v in wide[models].to_numpy()])


def terciles(scores: pd.Series, *, seed: int) -> pd.Series:
    """"low" / "mid" / "high" by rank; ties are broken in a seeded random order so terciles are equal thirds."""
    order = np.random.default_rng(seed).permutation(len(scores))
    ranked = pd.DataFrame({"score": scores.to_numpy(), "tie": order}).sort_values(["score", "tie"]).index
    position = np.empty(len(scores), dtype=int)
    position[ranked] = np.arange(len(scores))
    third = np.array(["low", "mid", "high"])[np.minimum(3 * position // max(len(scores), 1), 2)]
    return pd.Series(third, index=scores.index)


def select_tasks(scores: pd.DataFrame, *, random_n: int, high_n: int, low_n: int, seed: int,
                 planted: Collection[str], attention_rule: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The task set and a report of the cells that had fewer utterances than asked.

    ``planted``: the utterances whose attention-check view shows its token (:func:`planted_utterances`);
    ``attention_rule``: "planted" or "every_task", stored with each task.
    Returns (tasks: task_id, utt_id, stratum, gender, valence_class, mad_score, model_mad, planted,
    attention_rule; shortfalls: gender, valence_class, stratum, wanted, got).
    """
    for name, n in (("random", random_n), ("high_mad", high_n), ("low_mad", low_n)):
        if n < 0:
            raise ValueError(f"{name} count must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    scores = scores.sort_values("utt_id").reset_index(drop=True)
    scores = scores.assign(tercile=terciles(scores.mad_score, seed=seed))
    chosen, short = [], []
    for (gender, valence), cell in scores.groupby(["gender", "valence_class"], sort=True):
        left = cell
        for stratum, n, pool in (("random", random_n, None), ("high_mad", high_n, "high"), ("low_mad", low_n, "low")):
            candidates = left if pool is None else left[left.tercile == pool]
            take = candidates.iloc[np.sort(rng.permutation(len(candidates))[:n])]
            chosen.append(take.assign(stratum=stratum))
            left = left.drop(take.index)
            if len(take) < n:
                short.append({"gender": gender, "valence_class": valence, "stratum": stratum, "wanted": n,
                              "got": len(take)})
    tasks = pd.concat(chosen, ignore_index=True).drop(columns="tercile")
    tasks.insert(0, "task_id", np.arange(len(tasks)))
    tasks = tasks.assign(planted=tasks.utt_id.isin(set(planted)), attention_rule=attention_rule)
    columns = ["task_id", "utt_id", "stratum", "gender", "valence_class", "mad_score", "model_mad", "planted",
               "attention_rule"]
    return tasks[columns], pd.DataFrame(short, columns=["gender", "valence_class", "stratum", "wanted", "got"])


def tasks_csv(tasks: pd.DataFrame) -> pd.DataFrame:
    """Tasks as a CSV keeps them: each model's MAD_i as one JSON object per task."""
    return tasks.assign(model_mad=tasks.model_mad.map(lambda m: json.dumps(m, sort_keys=True)))


def _digest(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


def model_order(models: list[str], annotator: str, task_id: int, *, seed: int) -> list[str]:
    """The models in the order shown as A, B, C, …: shuffled per task and annotator, reproducibly."""
    permutation = np.random.default_rng(_digest(seed, annotator, task_id)).permutation(len(models))
    return [models[i] for i in permutation]


def serving_key(annotator: str, task_id: int, *, seed: int) -> int:
    """Tie-break between equally filled tasks: a fixed pseudo-random order per annotator."""
    return _digest("serve", seed, annotator, task_id)


@dataclass(frozen=True)
class ModelView:
    """What an annotator sees of one model on one task: its text, predicted valence and word weights."""

    model: str
    text: str
    predicted: str
    words: list[Word]      # spans of ``text``, so highlights keep the text as written
    weights: list[float]


def task_views(attributions: pd.DataFrame, explained: pd.DataFrame, utt_id: str, models: list[str], *,
               seed: int) -> dict[str, ModelView]:
    """Each model's view of one primary-test utterance, from the explain stage's tables.

    ArtNoise explains its noisy copy, so its text (and highlights) carry the inserted token.
    """
    words = attributions[(attributions.utt_id == utt_id) & (attributions.seed == seed)
                         & (attributions.role == "primary")]
    utterances = explained[(explained.utt_id == utt_id) & (explained.seed == seed) & (explained.role == "primary")]
    views = {}
    for model in models:
        w = words[words.method == model].sort_values("word_index")
        u = utterances[utterances.method == model]
        if w.empty or u.empty:
            raise ValueError(f"utterance {utt_id!r} has no explanation by {model} seed {seed}")
        spans = [Word(t, int(a), int(b)) for t, a, b in zip(w.word, w.start, w.end)]
        views[model] = ModelView(model, str(u.text.iloc[0]), str(u.predicted.iloc[0]), spans, w.weight.tolist())
    return views

"""Lexicon overlap's logic: every explanation set's words, their gender-lexicon categories and shares."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.data.lexicons import GenderLexicon


def explanation_set_words(words: pd.DataFrame, lexicon: GenderLexicon, *, k: int = 5) -> pd.DataFrame:
    """Every word of every E(M): method, seed, role, utt_id, form, weight and its lexicon categories here.

    The same sets as `core.pipeline.metrics.explanation_set` (top-k forms by positive weight, a repeated form
    takes its largest weight, ties to the earlier word), computed for the whole table at once.
    Utterances whose set holds no word still appear once with form None, so shares count every set.
    """
    key = ["method", "seed", "role", "utt_id"]
    table = words[[*key, "word_index", "word", "weight"]].assign(form=words.word.str.lower())
    sequences = table.sort_values([*key, "word_index"]).groupby(key, sort=False).form.agg(tuple)
    by_text = {forms: lexicon.member_forms(forms) for forms in set(sequences)}  # every model shares a text
    members = {utterance: by_text[forms] for utterance, forms in sequences.items()}
    best = table.sort_values([*key, "weight", "word_index"], ascending=[True] * 4 + [False, True])
    best = best.drop_duplicates([*key, "form"])
    chosen = best[best.weight > 0].groupby(key, sort=False).head(k)
    chosen = chosen.assign(categories=[tuple(sorted(members[tuple(r)].get(f, ())))
                                       for r, f in zip(chosen[key].itertuples(index=False), chosen.form)])
    empty = pd.DataFrame(list(set(members) - set(chosen[key].itertuples(index=False, name=None))), columns=key)
    empty = empty.assign(form=None, weight=np.nan, categories=[()] * len(empty))
    return pd.concat([chosen[[*key, "form", "weight", "categories"]], empty], ignore_index=True)


def lexicon_overlap(sets: pd.DataFrame) -> pd.DataFrame:
    """Per model and lexicon category ("any" included): the share of explanation sets holding such a word."""
    sets_of = lambda frame, by: frame[[*by, "seed", "role", "utt_id"]].drop_duplicates().groupby(by).size()
    totals = sets_of(sets, ["method"])
    hits = sets.explode("categories").dropna(subset=["categories"])  # may be empty: no set holds a lexicon word
    per_category, any_category = sets_of(hits, ["method", "categories"]), sets_of(hits, ["method"])
    rows = [{"model": method, "category": category, "sets": int(n), "share": n / totals[method]}
            for (method, category), n in per_category.items()]
    rows += [{"model": method, "category": "any", "sets": int(any_category.get(method, 0)),
              "share": any_category.get(method, 0) / total} for method, total in totals.items()]
    frame = pd.DataFrame(rows, columns=["model", "category", "sets", "share"])
    full = pd.MultiIndex.from_product([totals.index, frame.category.unique()], names=["model", "category"])
    frame = frame.set_index(["model", "category"]).reindex(full, fill_value=0).reset_index()
    return frame.sort_values(["category", "model"], ignore_index=True)


def words_behind(sets: pd.DataFrame, utterances: pd.DataFrame, *, method: str, category: str) -> pd.DataFrame:
    """The lexicon words behind one bar: how many sets hold each, its mean weight, one example utterance."""
    mine = sets[(sets.method == method) & sets.categories.map(
        lambda c: bool(c) if category == "any" else category in c)]
    if mine.empty:
        return pd.DataFrame(columns=["word", "sets", "mean_weight", "role", "utt_id", "example"])
    text = utterances[utterances.method == method].drop_duplicates(["role", "utt_id"]).set_index(["role", "utt_id"]).text
    grouped = mine.groupby("form").agg(sets=("utt_id", "size"), mean_weight=("weight", "mean"),
                                       role=("role", "first"), utt_id=("utt_id", "first"))
    grouped["example"] = [text.get((r, u), "") for r, u in zip(grouped.role, grouped.utt_id)]
    return grouped.rename_axis("word").reset_index().sort_values(["sets", "word"], ascending=[False, True],
                                                                   ignore_index=True)


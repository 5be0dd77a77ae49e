"""Explore's logic: which utterances match the filters and what each model's card shows (no Streamlit)."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from core.dashboard.experiment import spans
from core.dashboard.highlight import highlight_html
from core.data.lexicons import GenderLexicon
from core.data.words import FUNCTION_WORDS, Word, is_content_word, split_words
from core.methods import BASELINE
from core.methods import description as describe
from core.methods import is_attention_check
from core.pipeline import metrics as m
from core.schema import VALENCE_CLASSES

AGREEMENT = ("any", "every model right", "Gen wrong", "models disagree")


def utterance_choices(utterances: pd.DataFrame, *, seed: int, role: str, gender: str = "any",
                      valence: str = "any", agreement: str = "any") -> pd.DataFrame:
    """One row per explained utterance that passes the filters: utt_id, text (as Gen saw it), gold, gender.

    ``agreement``: "every model right" (every model predicts the gold class), "Gen wrong", "models
    disagree" (more than one predicted class), or "any".
    """
    if agreement not in AGREEMENT:
        raise ValueError(f"agreement must be one of {AGREEMENT}, got {agreement!r}")
    rows = utterances[(utterances.seed == seed) & (utterances.role == role)]
    by_utt = rows.assign(right=rows.predicted == rows.valence_class).groupby("utt_id")
    summary = by_utt.agg(all_right=("right", "all"), classes=("predicted", "nunique"))
    summary["gen_right"] = rows[rows.method == BASELINE].set_index("utt_id").eval("predicted == valence_class")
    plain = rows[~rows.method.map(is_attention_check).astype(bool)].drop_duplicates("utt_id").set_index("utt_id")
    table = plain[["text", "valence_class", "gender"]].join(summary)
    keep = pd.Series(True, index=table.index)
    if gender != "any":
        keep &= table.gender == gender
    if valence != "any":
        keep &= table.valence_class == valence
    if agreement == "every model right":
        keep &= table.all_right
    elif agreement == "Gen wrong":
        keep &= table.gen_right.eq(False)
    elif agreement == "models disagree":
        keep &= table.classes > 1
    return table[keep].reset_index()


@dataclass(frozen=True)
class Card:
    """What one model's card in Explore shows for one utterance."""

    method: str
    text: str
    words: list[Word]                  # spans of ``text``, so highlights keep its spacing
    weights: np.ndarray
    categories: list[frozenset[str]]   # gender-lexicon categories per word (empty: not in L)
    predicted: str
    probs: dict[str, float]
    top_words: dict[str, float]        # what the card lists: E(M)'s rule over content words and gender cues only
    attention_check: bool


def card(method: str, text: str, words: Sequence[Word], weights: Sequence[float], probs: dict[str, float],
         lexicon: GenderLexicon, *, k: int = 5) -> Card:
    """A model card from its explanation of ``text`` (cached or live); ``words`` are spans of ``text``."""
    forms = [w.text.lower() for w in words]
    weights = np.asarray(weights, dtype=float)
    categories = lexicon.categories_at(forms)
    predicted = max(probs, key=probs.get)
    return Card(method, text, list(words), weights, categories, predicted, dict(probs),
                top_words(forms, weights, categories, k=k), is_attention_check(method))


def top_words(forms: Sequence[str], weights: np.ndarray, categories: Sequence[frozenset[str]], *,
              k: int = 5) -> dict[str, float]:
    """The words a card lists as the model's reasons: E(M)'s rule over content words and gender cues.

    A reader asks which *words* a model relied on; "the" or "," at the top answers nothing. Function
    words stay when the gender lexicon holds them here ("I" as a first-person cue), since those are
    what the study is about. E(M) itself, the metric (`core.pipeline.metrics.explanation_set`), keeps every word.
    """
    keep = [is_content_word(f) or bool(c) for f, c in zip(forms, categories)]
    return m.explanation_set([f for f, kept in zip(forms, keep) if kept], weights[np.asarray(keep, dtype=bool)],
                             k=k)


def cached_cards(words: pd.DataFrame, preds: pd.DataFrame, *, seed: int, role: str, utt_id: str,
                 methods: Sequence[str], lexicon: GenderLexicon, k: int = 5) -> list[Card]:
    """One card per model of an explained utterance from the attribution cache and the predictions."""
    cards = []
    for method in methods:
        mine = words[(words.method == method) & (words.seed == seed) & (words.role == role) & (words.utt_id == utt_id)]
        mine = mine.sort_values("word_index")
        pred = preds[(preds.method == method) & (preds.seed == seed) & (preds.role == role) & (preds.utt_id == utt_id)]
        if mine.empty or pred.empty:
            continue
        row = pred.iloc[0]
        probs = {c: float(row[f"p_{c}"]) for c in VALENCE_CLASSES}
        cards.append(card(method, row["text"], spans(mine), mine.weight.to_numpy(), probs, lexicon, k=k))
    return cards


def typed_text_problem(text: str | None) -> str | None:
    """A hint when typed text cannot be explained (nothing but whitespace), else None."""
    if text is None or not text.strip():
        return "Type a sentence first, for example: *I think the weekend was lovely, you know?*"
    return None


def language_note(text: str) -> str | None:
    """A note when ``text`` looks like another language than English, else None.

    The models read English: a French or Arabic sentence gets a confident but meaningless answer. Two cheap
    signs, no language model: most letters outside ASCII (Arabic, Cyrillic, CJK…), or four or more words of two
    letters or more with not one English function word among the words ("je suis très content aujourd'hui").
    """
    letters = [ch for ch in text if ch.isalpha()]
    words = [w.text.lower() for w in split_words(text) if any(ch.isalpha() for ch in w.text)]
    foreign_letters = bool(letters) and sum(not ch.isascii() for ch in letters) / len(letters) > 0.3
    long_words = sum(len(w) > 1 for w in words)  # "<b>x</b> & y" is markup, not a sentence
    no_function_word = long_words >= 4 and not any(w in FUNCTION_WORDS for w in words)
    if foreign_letters or no_function_word:
        return "The models read English; this text looks like another language, so their answers mean little here."
    return None


def without_words(text: str, drop: Iterable[int]) -> str:
    """``text`` with the words at positions ``drop`` (of `split_words`) removed, spacing tidied: the editor's
    "remove a word", so a reader sees whether the prediction rested on it."""
    gone = set(drop)
    kept, position = [], 0
    for i, word in enumerate(split_words(text)):
        if i in gone:
            kept.append(text[position:word.start].rstrip(" ") if word.text[0].isalnum() else
                        text[position:word.start])
            position = word.end
    kept.append(text[position:])
    return re.sub(r" {2,}", " ", "".join(kept)).strip()


@dataclass(frozen=True)
class Truth:
    """What the corpus says about an utterance: its gold valence class and its speaker's gender, and which
    utterance that is (role, utt_id, its plain text). Typed text has none, so its cards carry no ✓/✗."""

    valence_class: str
    gender: str
    role: str = ""
    utt_id: str = ""
    text: str = ""


def unexplained_truth(utterances: pd.DataFrame, preds: pd.DataFrame, *, seed: int, role: str | None,
                      utt_id: str | None) -> Truth | None:
    """The gold label and text of a corpus utterance the build did not explain (Explore then explains its text
    live); None when it was explained (the cache serves it) or the build has no such utterance."""
    explained = (utterances.seed == seed) & (utterances.role == role) & (utterances.utt_id == utt_id)
    return None if not utt_id or explained.any() else truth_of(preds[preds.seed == seed], role=role, utt_id=utt_id)


def typed_truth(source: Truth | None, typed: str) -> tuple[Truth | None, str]:
    """What typed text keeps of the utterance it came from (a link, the editor), and the line that says so: its
    gold label and speaker while the text is the utterance's own, nothing once edited or typed afresh."""
    if source is not None and source.text == typed:
        return source, (f"Gold valence **{source.valence_class}** · speaker **{source.gender}** · utterance "
                        f"`{source.utt_id}`, which the build did not explain: every model explains it live.")
    if source is not None:
        return None, (f"Edited from utterance `{source.utt_id}` (gold {source.valence_class}, speaker "
                      f"{source.gender}): that gold label belongs to the original text, so the cards carry "
                      "no ✓ / ✗.")
    return None, "Typed text has no gold label and no known speaker, so the cards carry no ✓ / ✗."


def truth_of(preds: pd.DataFrame, *, role: str, utt_id: str) -> Truth | None:
    """The gold label and speaker of a corpus utterance (any seed's predictions), with its plain text (not
    the attention check's copy); None when the build has no such utterance."""
    rows = preds[(preds.role == role) & (preds.utt_id == utt_id)]
    plain = rows[~rows.method.map(is_attention_check).astype(bool)]
    if plain.empty:
        return None
    row = plain.iloc[0]
    return Truth(str(row.valence_class), str(row.gender), role, str(utt_id), str(row.text))


ATTACKERS = {"logreg": "Linear attacker", "mlp": "Nonlinear attacker"}  # the stored probes, weakest first


@dataclass(frozen=True)
class Reading:
    """What the model and the attackers make of one text: the card, and P(female) per stored probe
    (keys of ATTACKERS; empty when the metrics stage has not stored probes for this model)."""

    card: Card
    p_female: dict[str, float]


def card_html(reading: Reading, *, scale: float, swapped: Reading | None = None, truth: Truth | None = None) -> str:
    """One model's card: prediction and probabilities, highlights, its top words, the attackers' guesses, the
    swap; with ``truth`` (a corpus utterance) a ✓/✗ on the prediction and on each attacker's guess."""
    c = reading.card
    badge = (' <span style="background:#eee;border-radius:4px;padding:1px 6px;font-size:0.8rem">attention check: '
             'sees planted tokens</span>' if c.attention_check else "")
    description = html.escape(describe(c.method))
    parts = [f'<div style="font-weight:600;font-size:1.1rem">{html.escape(c.method)}{badge}</div>',
             f'<div style="color:#666;font-size:0.8rem;margin-bottom:4px">{description}</div>',
             _prediction_html(c, truth), highlight_html(c.words, c.weights, categories=c.categories, scale=scale,
                                                        text=c.text),
             _top_words_html(c), _attacker_html(reading.p_female, truth)]
    if swapped is not None:
        s = swapped.card
        parts += ['<hr style="margin:6px 0"><div style="font-size:0.85rem;font-weight:600">Gender-swapped</div>',
                  highlight_html(s.words, s.weights, categories=s.categories, scale=scale, text=s.text),
                  f'<div style="font-size:0.85rem">{_change_text(reading, swapped)}</div>']
    return ('<div style="border:1px solid #ddd;border-radius:8px;padding:10px 12px;height:100%" dir="auto">'
            + "".join(parts) + "</div>")


def mark(right: bool) -> str:
    """✓ or ✗, coloured and named for screen readers (the glyphs differ in shape, not only in colour)."""
    return (' <span style="color:#1a7f37;font-weight:700" role="img" aria-label="right">✓</span>' if right else
            ' <span style="color:#cf222e;font-weight:700" role="img" aria-label="wrong">✗</span>')


def _prediction_html(c: Card, truth: Truth | None) -> str:
    verdict = ("" if truth is None else
               f"{mark(c.predicted == truth.valence_class)} (gold {html.escape(truth.valence_class)})")
    bars = "".join(
        f'<span style="display:inline-block;margin-right:10px">{cls} '
        f'<span style="display:inline-block;width:{round(60 * p)}px;height:8px;background:'
        f'{"#333" if cls == c.predicted else "#bbb"}"></span> {p:.2f}</span>' for cls, p in c.probs.items())
    return (f'<div style="font-size:0.9rem">predicts <b>{html.escape(c.predicted)}</b> valence{verdict}</div>'
            f'<div style="font-size:0.8rem;color:#444">{bars}</div>')


def _top_words_html(c: Card) -> str:
    words = " · ".join(f"“{html.escape(w)}”" for w in c.top_words) or "none (no word pushes toward it)"
    return (f'<div style="font-size:0.85rem"><b>Top words</b> (its reasons): {words} '
            '<span style="color:#666">(punctuation and function words left out)</span></div>')


def _attacker_html(p_female: dict[str, float], truth: Truth | None) -> str:
    if not p_female:
        return '<div style="font-size:0.85rem;color:#666">Attacker: no stored gender probe for this model.</div>'
    lines = "".join(f'<div><b>{ATTACKERS[name]}</b>: {sureness(p)} sure the speaker is '
                    f'{"female" if p >= 0.5 else "male"} · P(female) = {p:.2f}'
                    f'{"" if truth is None else mark(("F" if p >= 0.5 else "M") == truth.gender)}</div>'
                    for name, p in p_female.items())
    return (f'<div style="font-size:0.85rem"><span style="color:#666">Gender probes on its representation '
            f'(what an attacker infers):</span>{lines}</div>')


def sureness(p_female: float) -> str:
    """How sure a guess is, honestly rounded: 0.996 is "> 99 %", never "100 %"."""
    sure = max(p_female, 1 - p_female)
    return "> 99 %" if sure > 0.99 else f"{sure:.0%}"


def _change_text(before: Reading, after: Reading) -> str:
    old, new = before.card.predicted, after.card.predicted
    change = f"prediction {old} → {new}" + (" (changed)" if old != new else " (same)")
    for name in [n for n in ATTACKERS if n in before.p_female and n in after.p_female]:
        change += f" · {ATTACKERS[name].lower()} P(female) {before.p_female[name]:.2f} → {after.p_female[name]:.2f}"
    return change


"""A stakeholder's vocabulary: the terms every page uses, explained once, and the words shown in place of the
raw names that artifacts store (``high_mad``, ``tag_question``, snake_case columns).

Pages read the glossary from the sidebar (pages/common.py) and pass raw names through `words` and
`readable_columns`, so a reader never has to decode an identifier.
"""
from __future__ import annotations

import pandas as pd

GLOSSARY: dict[str, str] = {
    "valence": "How positive or negative an utterance sounds: low, mid or high. The three classes every model "
               "recognises.",
    "UAR": "Unweighted average recall (balanced accuracy): the mean of the per-class hit rates, so a model that "
           "always answers one class scores chance (0.33 for valence's three classes, 0.5 for gender).",
    "z (the representation)": "The vector a model computes for an utterance just before its valence head: what "
                              "an attacker is given to read gender from.",
    "probe": "A small classifier trained afterwards on a model's z to guess the speaker's gender; it measures "
             "what the representation still reveals, whatever the model's own heads do.",
    "attacker (linear vs nonlinear)": "Someone holding a model's z and some labelled utterances. The linear "
                                      "attacker is a logistic-regression probe; the nonlinear one an MLP with one "
                                      "hidden layer, which can find gender no straight line separates.",
    "leakage / gender UAR": "The UAR a probe reaches guessing the speaker's gender from z. Table 1's gender leak "
                            "is the larger of the two probes' (linear and nonlinear): 0.5 is guessing, so closer "
                            "to 0.5 leaks less.",
    "MAD": "Model attribution difference: how much a model stopped relying on words people read as gender cues, "
           "compared with Gen: the weight of such words it dropped from its top words minus the weight of those it "
           "added (0 for Gen; higher is closer to what people perceive as private).",
    "Psc": "How much attribution weight a model puts on words whose sentiment contradicts the true answer "
           "(lower means fewer spurious cues).",
    "lexicon categories": "The kinds of gender-perception words MAD counts: IAT stereotype words, hedges, tag "
                          "questions, politeness, first-person words, profanity, referential words and gendered "
                          "terms.",
    "high-/low-MAD utterances": "The trust study's strata: utterances whose mean MAD over PrivAdv, PrivAug and "
                                "PrivBias is in the top or bottom third, beside randomly drawn ones.",
    "attention check": "ArtNoise, a model whose test text carries planted tokens that give the answer away: it "
                       "looks better than any real model, and a study annotator who trusts it was not reading.",
    "λ (adversarial weight)": "PrivAdv's gradient-reversal strength: how hard its encoder is pushed to fool its "
                              "own gender head. It rises during training to its configured maximum.",
    "LEACE / erasure": "PrivErase removes from z every direction a linear probe could use for gender (LEACE, "
                       "least-squares concept erasure); a nonlinear attacker may still read gender.",
    "bootstrap interval": "A 95% interval from resampling the utterances (or tasks) with replacement many times: "
                          "how much a number would move on another sample of the same size.",
    "Holm": "The Holm correction of p-values for testing several models against Gen at once, so that the chance "
            "of any false 'significant' stays at the chosen level.",
    "significant (*)": "Different from Gen by more than sampling noise explains, after the Holm correction.",
}

WORDS: dict[str, str] = {  # raw name in an artifact -> what a reader sees
    "iat": "IAT stereotype words", "hedge": "hedges", "tag_question": "tag questions", "politeness": "politeness",
    "first_person": "first-person words", "profanity": "profanity", "referential": "referential words",
    "gendered_term": "gendered terms", "any": "any category",
    "random": "random utterances", "high_mad": "high-MAD utterances", "low_mad": "low-MAD utterances",
    "within": "primary test split", "cross": "cross corpus",
    "logreg": "linear attacker", "mlp": "nonlinear attacker",
    "adv_lambda": "PrivAdv's adversarial weight λ",
}


def words(name: str) -> str:
    """The reader's words for a raw name: `WORDS`, else the name with underscores as spaces.

    >>> words("tag_question"), words("gender_uar_within_p")
    ('tag questions', 'gender uar within p')
    """
    return WORDS.get(name, str(name).replace("_", " "))


def readable_columns(frame: pd.DataFrame, headers: dict[str, str] | None = None) -> pd.DataFrame:
    """``frame`` for display: columns holding nothing (all NaN) dropped, the others renamed by ``headers`` where it
    names them, else by `words` (a copy; ``frame`` is untouched)."""
    kept = frame.loc[:, frame.notna().any()]
    headers = headers or {}
    return kept.rename(columns={c: headers.get(c, words(c)) for c in kept.columns})


def glossary_markdown() -> str:
    """The glossary as a Markdown list, for the sidebar and the audit report."""
    return "\n".join(f"- **{term}** — {text}" for term, text in GLOSSARY.items())

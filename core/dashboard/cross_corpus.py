"""Cross-corpus logic: UAR intervals within vs across corpora, and the right-vs-wrong error analysis."""
from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import pandas as pd

from core.dashboard.experiment import Experiment
from core.dashboard.highlight import highlight_html
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.data.words import Word, is_content_word
from core.pipeline.files import ArtifactError
from core.pipeline.statistics import bootstrap_uar
from core.schema import split_rows


def valence_lexicon(source: str) -> ValenceLexicon:
    """The valence lexicon Psc was computed with: the NRC-VAD file ``source`` (Experiment.valence_lexicon, as the
    build resolved it), else VADER."""
    return ValenceLexicon.nrc_vad(source) if source else ValenceLexicon.vader()


def valence_uar_intervals(preds: pd.DataFrame, *, resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Valence UAR within (primary test) and cross per model and seed, with bootstrap intervals."""
    rows = []
    for (method, s), p in preds.groupby(["method", "seed"], sort=False):
        for split, mask in split_rows(p).items():
            part = p[mask]
            uar, low, high = bootstrap_uar(part.valence_class, part.predicted, resamples=resamples, seed=seed)
            rows.append({"model": method, "seed": s, "split": split, "uar": uar, "low": low, "high": high})
    return pd.DataFrame(rows)


CORRELATION_COLUMNS = ("pearson_r", "pearson_p", "spearman_rho", "spearman_p", "n")  # what the page shows


def psc_correlation(experiment: Experiment) -> dict | None:
    """The Psc–cross-UAR correlation row, None when not computed or undefined (under three models with a Psc: the
    build writes a row without values). A row lacking some of its columns is from an older or damaged build:
    ArtifactError naming them, with the rebuild command."""
    path = experiment.paths.metrics_table("psc_correlation")
    if not path.exists():
        return None
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return None
    except (OSError, ValueError) as error:
        raise ArtifactError(f"`{path.name}` is unreadable ({type(error).__name__}).",
                            experiment.command("metrics")) from None
    missing = [c for c in CORRELATION_COLUMNS if c not in frame]
    if not len(frame) or len(missing) == len(CORRELATION_COLUMNS):
        return None
    if missing:
        raise ArtifactError(f"`{path.name}` was written by an older privlens (no column {', '.join(missing)}).",
                            experiment.command("metrics"))
    return frame.iloc[0].to_dict()


def error_cases(utterances: pd.DataFrame, *, method: str, seed: int, role: str = "cross", valence: str = "any",
                gender: str = "any") -> pd.DataFrame:
    """A model's explained utterances of one corpus with right = predicted the gold class, filtered."""
    rows = utterances[(utterances.method == method) & (utterances.seed == seed) & (utterances.role == role)]
    if valence != "any":
        rows = rows[rows.valence_class == valence]
    if gender != "any":
        rows = rows[rows.gender == gender]
    return rows.assign(right=rows.predicted == rows.valence_class).reset_index(drop=True)


def valence_hits(words: Sequence[str], lexicon: ValenceLexicon) -> list[tuple[str, str]]:
    """(word, valence bin) of the words the valence lexicon knows, in order."""
    return [(w, b) for w in words if (b := lexicon.bin(w.lower())) is not None]


def case_html(case: pd.Series, words: Sequence[Word], weights: Sequence[float], *, scale: float,
              valence: ValenceLexicon, gender: GenderLexicon, link: str | None = None) -> str:
    """One error-analysis row: gold vs predicted, the valence-lexicon words, and the highlighted utterance.

    ``words`` are spans of ``case.text``; ``link`` (a URL, `core.dashboard.links.explore_url`) opens the case in
    Explore, beside every other model's reading of it.
    """
    hits = ", ".join(f"{html.escape(w)} ({b})" for w, b in valence_hits([w.text for w in words], valence)) or "none"
    forms = [w.text.lower() for w in words]
    opener = (f' · <a href="{html.escape(link, quote=True)}" target="_blank" rel="noopener">open in Explore</a>'
              if link else "")
    return (f'<div style="font-size:0.85rem;color:#555">gold <b>{html.escape(str(case.valence_class))}</b> · '
            f'predicted <b>{html.escape(str(case.predicted))}</b> · speaker {html.escape(str(case.gender))} · '
            f'valence-lexicon words: {hits}{opener}</div>'
            + highlight_html(words, weights, categories=gender.categories_at(forms), scale=scale, text=case.text))


def weight_contrast(cases: pd.DataFrame, words: pd.DataFrame, valence: ValenceLexicon, gender: GenderLexicon,
                    *, method: str, seed: int, top: int = 10) -> dict[str, pd.DataFrame]:
    """Where the positive weight goes in the right vs the wrong group.

    Returns ``words`` (top word forms by share of the group's positive weight; punctuation and function words
    only when they are in the gender lexicon), ``valence`` (share
    by valence-lexicon bin, "none" for unknown words) and ``gender`` (share on gender-lexicon
    categories, "none" for words outside L), each with columns group, key, share.
    """
    mine = words[(words.method == method) & (words.seed == seed)]
    mine = mine.merge(cases[["role", "utt_id", "right"]], on=["role", "utt_id"]).sort_values(
        ["role", "utt_id", "word_index"])
    mine = mine.assign(form=mine.word.str.lower(), positive=mine.weight.clip(lower=0),
                       group=np.where(mine.right, "right", "wrong"))
    mine["valence_bin"] = mine.form.map(lambda f: valence.bin(f) or "none")
    categories = []
    for _, utterance in mine.groupby(["role", "utt_id"], sort=False):
        categories += [sorted(c) or ["none"] for c in gender.categories_at(utterance.form.tolist())]
    mine["gender_category"] = categories

    def shares(key: str) -> pd.DataFrame:  # a word in two gender categories counts in both
        total = mine.groupby("group").positive.transform("sum").replace(0, np.nan)
        table = mine.assign(share=mine.positive / total).explode(key).groupby(["group", key]).share.sum().reset_index()
        return table.rename(columns={key: "key"}).sort_values(["group", "share"], ascending=[True, False])

    gendered = set(mine.form[mine.gender_category.map(lambda c: c != ["none"])])
    forms = shares("form")  # punctuation and function words keep their share of the weight but are not listed
    forms = forms[forms.key.map(is_content_word) | forms.key.isin(gendered)]
    top_words = forms.groupby("group", sort=False).head(top).reset_index(drop=True)
    return {"words": top_words, "valence": shares("valence_bin").reset_index(drop=True),
            "gender": shares("gender_category").reset_index(drop=True)}


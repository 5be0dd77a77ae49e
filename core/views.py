"""What the dashboard pages show, as pure functions over a build's artifacts (no Streamlit, no torch).

Pages go load → select → render; everything between reading a file and drawing it lives here so
it can be tested: which utterances match the Explore filters, what each model's card shows, the
lexicon overlap of explanation sets, the right-vs-wrong contrast of the error analysis, Table 1 as
a stakeholder reads it, the plain-language summary and the bootstrap intervals behind the charts.
A missing, unreadable or older-schema artifact raises `ArtifactError` carrying the command that
rebuilds it.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from core import metrics as m
from core.artifacts import MANIFEST_VERSION, PROJECT_ROOT, ExperimentPaths, fingerprint, read_json
from core.config import resolve_against
from core.files import ArtifactError, rebuild_command
from core.highlight import highlight_html
from core.lexicons import GenderLexicon, ValenceLexicon
from core.schema import BASELINE, METHODS, TABLE1_COLUMNS, VALENCE_CLASSES
from core.words import Word

GENDER_CHANCE = 0.5
VALENCE_CHANCE = 1 / len(VALENCE_CLASSES)
AGREEMENT = ("any", "all six right", "Gen wrong", "models disagree")
ROLE_LABELS = {"primary": "primary corpus, test split", "cross": "cross corpus (never trained on)"}
TABLE1_OPTIONAL = ("psc_words",)  # added later: an older table1.csv lacks it and the page says so
TABLE1_REQUIRED = ("model", *(c for c in TABLE1_COLUMNS if c not in TABLE1_OPTIONAL))
TABLE1_LABELS = {"valence_uar_within": "valence, primary ↑", "valence_uar_cross": "valence, cross ↑",
                 "gender_uar_within": "gender leak, primary ↓", "gender_uar_cross": "gender leak, cross ↓",
                 "mad": "MAD ↑", "psc": "Psc ↓", "psc_words": "Psc words ↓"}


def _config_guess(name: str) -> str | None:
    """The experiment's TOML by naming convention, for a manifest too broken to say."""
    path = PROJECT_ROOT / "scripts" / "experiments" / f"{name}.toml"
    return str(path.relative_to(PROJECT_ROOT)) if path.is_file() else None


@dataclass(frozen=True)
class Experiment:
    """A built experiment as the pages see it: its paths and its manifest (config, commit, stages)."""

    name: str
    paths: ExperimentPaths
    manifest: dict

    @property
    def config(self) -> dict:
        """The resolved config the experiment was built with."""
        return self.manifest.get("config", {})

    @property
    def source(self) -> str | None:
        return self.config.get("source") or _config_guess(self.name)

    @property
    def valence_lexicon(self) -> str:
        """The NRC-VAD file Psc was computed with, resolved as the build resolved it ("" = VADER)."""
        value = self.config.get("metrics", {}).get("valence_lexicon", "")
        return str(resolve_against(self.config.get("source"), value)) if value else ""

    @property
    def methods(self) -> list[str]:
        return list(self.config.get("methods", {}).get("names", METHODS))

    @property
    def seeds(self) -> list[int]:
        return list(self.config.get("train", {}).get("seeds", [0]))

    @property
    def top_k(self) -> int:
        return int(self.config.get("explain", {}).get("top_k", 5))

    @property
    def synthetic(self) -> bool:
        """Built on the generated demo corpora (every corpus path empty) rather than real data."""
        data = self.config.get("data", {})
        return all(not (data.get(role) or {}).get("path") for role in ("primary", "auxiliary", "cross"))

    @property
    def stamp(self) -> float:
        """The pages' cache key: it moves when a stage finishes (each rewrites the manifest) and when a file is
        added or removed in the experiment's folder or its stage folders (their mtimes move), so a rebuilt or
        damaged artifact is shown without restarting the app."""
        root = self.paths.root
        folders = [root, *(p for p in root.iterdir() if p.is_dir())]
        return max(p.stat().st_mtime for p in [self.paths.manifest, *folders])

    def command(self, stage: str | None = None) -> str:
        return rebuild_command(self.source, *([stage] if stage else []))


def open_experiment(name: str, base: Path | None = None) -> Experiment:
    """Read an experiment's manifest; a missing, corrupt or older one raises `ArtifactError`."""
    paths = ExperimentPaths.for_experiment(name, base)
    command = rebuild_command(_config_guess(name))
    try:
        manifest = read_json(paths.manifest)
    except FileNotFoundError:
        raise ArtifactError(f"Experiment **{name}** has not been built.", command) from None
    except (OSError, ValueError):
        raise ArtifactError(f"The manifest of **{name}** is unreadable (a build was interrupted or the file "
                            "was damaged).", command) from None
    if not isinstance(manifest, dict) or manifest.get("version") != MANIFEST_VERSION:
        raise ArtifactError(f"**{name}** was built by an older privlens.", command)
    return Experiment(name, paths, manifest)


def read_frame(experiment: Experiment, path: Path, stage: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """A parquet/CSV artifact, checked for the ``columns`` a page needs."""
    if not path.exists():
        raise ArtifactError(f"`{path.name}` is missing: the **{stage}** stage has not run.", experiment.command(stage))
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as error:
        raise ArtifactError(f"`{path.name}` is unreadable ({type(error).__name__}).",
                            experiment.command(stage)) from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ArtifactError(f"`{path.name}` was written by an older privlens (no column "
                            f"{', '.join(missing)}).", experiment.command(stage))
    return frame


def metrics_frame(experiment: Experiment, name: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    return read_frame(experiment, experiment.paths.metrics_table(name), "metrics", columns)


def predictions(experiment: Experiment) -> pd.DataFrame:
    """Every model × seed's predictions with its three class probabilities."""
    columns = ("method", "seed", "role", "split", "utt_id", "gender", "valence_class", "predicted", "text",
               *(f"p_{c}" for c in VALENCE_CLASSES))
    return pd.concat([read_frame(experiment, experiment.paths.predictions(m_, s), "predict", columns)
                      for m_ in experiment.methods for s in experiment.seeds], ignore_index=True)


def explained(experiment: Experiment) -> pd.DataFrame:
    columns = ("method", "seed", "role", "utt_id", "gender", "valence_class", "text", "predicted", "target")
    return read_frame(experiment, experiment.paths.explained, "explain", columns)


def attributions(experiment: Experiment) -> pd.DataFrame:
    columns = ("method", "seed", "role", "utt_id", "word_index", "word", "start", "end", "weight")
    return read_frame(experiment, experiment.paths.attributions, "explain", columns)


# ------------------------------------------------------------------------------------------------
# Explore
# ------------------------------------------------------------------------------------------------

def utterance_choices(utterances: pd.DataFrame, *, seed: int, role: str, gender: str = "any",
                      valence: str = "any", agreement: str = "any") -> pd.DataFrame:
    """One row per explained utterance that passes the filters: utt_id, text (as Gen saw it), gold, gender.

    ``agreement``: "all six right" (every model predicts the gold class), "Gen wrong", "models
    disagree" (more than one predicted class), or "any".
    """
    if agreement not in AGREEMENT:
        raise ValueError(f"agreement must be one of {AGREEMENT}, got {agreement!r}")
    rows = utterances[(utterances.seed == seed) & (utterances.role == role)]
    by_utt = rows.assign(right=rows.predicted == rows.valence_class).groupby("utt_id")
    summary = by_utt.agg(all_right=("right", "all"), classes=("predicted", "nunique"))
    summary["gen_right"] = rows[rows.method == BASELINE].set_index("utt_id").eval("predicted == valence_class")
    plain = rows[rows.method != "ArtNoise"].drop_duplicates("utt_id").set_index("utt_id")
    table = plain[["text", "valence_class", "gender"]].join(summary)
    keep = pd.Series(True, index=table.index)
    if gender != "any":
        keep &= table.gender == gender
    if valence != "any":
        keep &= table.valence_class == valence
    if agreement == "all six right":
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
    explanation_set: dict[str, float]  # E(M): top-k words by positive weight
    attention_check: bool


def card(method: str, text: str, words: Sequence[Word], weights: Sequence[float], probs: dict[str, float],
         lexicon: GenderLexicon, *, k: int = 5) -> Card:
    """A model card from its explanation of ``text`` (cached or live); ``words`` are spans of ``text``."""
    forms = [w.text.lower() for w in words]
    weights = np.asarray(weights, dtype=float)
    predicted = max(probs, key=probs.get)
    return Card(method, text, list(words), weights, lexicon.categories_at(forms), predicted, dict(probs),
                m.explanation_set(forms, weights, k=k), METHODS[method].attention_check if method in METHODS else False)


def cached_cards(words: pd.DataFrame, preds: pd.DataFrame, *, seed: int, role: str, utt_id: str,
                 methods: Sequence[str], lexicon: GenderLexicon, k: int = 5) -> list[Card]:
    """The six cards of an explained utterance from the attribution cache and the predictions."""
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


def model_fingerprint(experiment: Experiment, method: str, seed: int) -> str:
    """Identifies a checkpoint's weights on disk: the key live explanations are cached under."""
    weights = experiment.paths.model_dir(method, seed) / "model.safetensors"
    if not weights.is_file():
        raise ArtifactError(f"The {method} checkpoint (seed {seed}) is missing: the **train** stage has not run.",
                            experiment.command("train"))
    stat = weights.stat()
    return fingerprint(str(weights), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class Reading:
    """What an attacker and the model make of one text: the card, P(female) (None: no probe)."""

    card: Card
    p_female: float | None


def card_html(reading: Reading, *, scale: float, swapped: Reading | None = None) -> str:
    """One model's card: prediction and probabilities, highlights, E(M), the attacker's guess, the swap."""
    c = reading.card
    badge = (' <span style="background:#eee;border-radius:4px;padding:1px 6px;font-size:0.8rem">attention check: '
             'sees planted tokens</span>' if c.attention_check else "")
    description = html.escape(METHODS[c.method].description) if c.method in METHODS else ""
    parts = [f'<div style="font-weight:600;font-size:1.1rem">{html.escape(c.method)}{badge}</div>',
             f'<div style="color:#666;font-size:0.8rem;margin-bottom:4px">{description}</div>',
             _prediction_html(c), highlight_html(c.words, c.weights, categories=c.categories, scale=scale, text=c.text),
             _top_words_html(c), _attacker_html(reading.p_female)]
    if swapped is not None:
        s = swapped.card
        parts += ['<hr style="margin:6px 0"><div style="font-size:0.85rem;font-weight:600">Gender-swapped</div>',
                  highlight_html(s.words, s.weights, categories=s.categories, scale=scale, text=s.text),
                  f'<div style="font-size:0.85rem">{_change_text(reading, swapped)}</div>']
    return ('<div style="border:1px solid #ddd;border-radius:8px;padding:10px 12px;height:100%" dir="auto">'
            + "".join(parts) + "</div>")


def _prediction_html(c: Card) -> str:
    bars = "".join(
        f'<span style="display:inline-block;margin-right:10px">{cls} '
        f'<span style="display:inline-block;width:{round(60 * p)}px;height:8px;background:'
        f'{"#333" if cls == c.predicted else "#bbb"}"></span> {p:.2f}</span>' for cls, p in c.probs.items())
    return (f'<div style="font-size:0.9rem">predicts <b>{c.predicted}</b> valence</div>'
            f'<div style="font-size:0.8rem;color:#444">{bars}</div>')


def _top_words_html(c: Card) -> str:
    words = " · ".join(f"“{html.escape(w)}”" for w in c.explanation_set) or "none (no word pushes toward it)"
    return f'<div style="font-size:0.85rem"><b>Top words</b> (its reasons): {words}</div>'


def _attacker_html(p: float | None) -> str:
    if p is None:
        return '<div style="font-size:0.85rem;color:#666">Attacker: no stored gender probe for this model.</div>'
    guess = "female" if p >= 0.5 else "male"
    return (f'<div style="font-size:0.85rem"><b>Attacker</b> (gender probe on its representation): '
            f'{max(p, 1 - p):.0%} sure the speaker is {guess} · P(female) = {p:.2f}</div>')


def _change_text(before: Reading, after: Reading) -> str:
    old, new = before.card.predicted, after.card.predicted
    change = f"prediction {old} → {new}" + (" (changed)" if old != new else " (same)")
    if before.p_female is not None and after.p_female is not None:
        change += f" · P(female) {before.p_female:.2f} → {after.p_female:.2f}"
    return change


def spans(words: pd.DataFrame) -> list[Word]:
    """The attribution table's words of one utterance (in order) as spans of its text."""
    return [Word(w, int(a), int(b)) for w, a, b in zip(words.word, words.start, words.end)]


def representation_index(experiment: Experiment, method: str, seed: int) -> tuple[np.ndarray, dict[tuple, int]]:
    """The z the predict stage stored for a model, and (role, utt_id) → its row."""
    path = experiment.paths.representations(method, seed)
    try:
        stored = np.load(path)
    except (OSError, ValueError) as error:
        raise ArtifactError(f"`{path.name}` is missing or unreadable ({type(error).__name__}).",
                            experiment.command("predict")) from None
    return stored["z"], {key: i for i, key in enumerate(zip(stored["role"].tolist(), stored["utt_id"].tolist()))}


def load_probe(paths: ExperimentPaths, method: str, seed: int) -> Any | None:
    """The headline gender probe the metrics stage fitted on this model's z (None before it ran)."""
    stored = _stored_probes(paths, method, seed)
    return None if stored is None else stored["probes"][stored["headline"]]


def p_female(probe: Any, z: np.ndarray) -> float:
    """The probe's P(speaker is female) for one representation."""
    classes = list(probe.classes_)
    return float(probe.predict_proba(np.asarray(z).reshape(1, -1))[0, classes.index("F")])


# ------------------------------------------------------------------------------------------------
# Lexicon overlap
# ------------------------------------------------------------------------------------------------

def explanation_set_words(words: pd.DataFrame, lexicon: GenderLexicon, *, k: int = 5) -> pd.DataFrame:
    """Every word of every E(M): method, seed, role, utt_id, form, weight and its lexicon categories here.

    The same sets as `core.metrics.explanation_set` (top-k forms by positive weight, a repeated form
    takes its largest weight, ties to the earlier word), computed for the whole table at once.
    Utterances whose set holds no word still appear once with form None, so shares count every set.
    """
    key = ["method", "seed", "role", "utt_id"]
    table = words[[*key, "word_index", "word", "weight"]].assign(form=words.word.str.lower())
    sequences = table.sort_values([*key, "word_index"]).groupby(key, sort=False).form.agg(tuple)
    by_text = {forms: lexicon.member_forms(forms) for forms in set(sequences)}  # six models share a text
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
    exploded = sets.explode("categories")
    totals = sets.groupby("method").apply(lambda g: len(g[["seed", "role", "utt_id"]].drop_duplicates()),
                                          include_groups=False)
    hits = exploded.dropna(subset=["categories"])
    per_category = hits.groupby(["method", "categories"]).apply(
        lambda g: len(g[["seed", "role", "utt_id"]].drop_duplicates()), include_groups=False)
    any_category = hits.groupby("method").apply(lambda g: len(g[["seed", "role", "utt_id"]].drop_duplicates()),
                                                include_groups=False)
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


# ------------------------------------------------------------------------------------------------
# Cross-corpus
# ------------------------------------------------------------------------------------------------

def bootstrap_uar(y_true: Sequence[str], y_pred: Sequence[str], *, resamples: int = 1000, seed: int = 0,
                  level: float = 0.95) -> tuple[float, float, float]:
    """UAR with a percentile bootstrap interval over utterances: (uar, low, high)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if not len(y_true):
        return (np.nan, np.nan, np.nan)
    index = np.random.default_rng(seed).integers(0, len(y_true), size=(resamples, len(y_true)))
    recalls = []
    for c in np.unique(y_true):
        gold, hit = (y_true == c)[index], ((y_true == c) & (y_pred == c))[index]
        with np.errstate(invalid="ignore", divide="ignore"):
            recalls.append(hit.sum(1) / gold.sum(1))
    samples = np.nanmean(np.vstack(recalls), axis=0)
    tail = (1 - level) / 2 * 100
    return m.uar(y_true, y_pred), float(np.percentile(samples, tail)), float(np.percentile(samples, 100 - tail))


def valence_uar_intervals(preds: pd.DataFrame, *, resamples: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Valence UAR within (primary test) and cross per model and seed, with bootstrap intervals."""
    rows = []
    for (method, s), p in preds.groupby(["method", "seed"], sort=False):
        for split, mask in split_rows(p).items():
            part = p[mask]
            uar, low, high = bootstrap_uar(part.valence_class, part.predicted, resamples=resamples, seed=seed)
            rows.append({"model": method, "seed": s, "split": split, "uar": uar, "low": low, "high": high})
    return pd.DataFrame(rows)


def mean_intervals(frame: pd.DataFrame, value: str, *, by: str = "method", resamples: int = 1000, seed: int = 0,
                   level: float = 0.95) -> pd.DataFrame:
    """Mean of a per-utterance value per group with a percentile bootstrap interval (MAD_i, P_i)."""
    rows, tail = [], (1 - level) / 2 * 100
    rng = np.random.default_rng(seed)
    for name, group in frame.groupby(by, sort=False):
        values = group[value].dropna().to_numpy(float)
        if not len(values):
            rows.append({"model": name, "mean": np.nan, "low": np.nan, "high": np.nan, "n": 0})
            continue
        means = values[rng.integers(0, len(values), size=(resamples, len(values)))].mean(1)
        rows.append({"model": name, "mean": float(values.mean()), "low": float(np.percentile(means, tail)),
                     "high": float(np.percentile(means, 100 - tail)), "n": len(values)})
    return pd.DataFrame(rows, columns=["model", "mean", "low", "high", "n"])


def psc_correlation(experiment: Experiment) -> dict | None:
    """The Psc–cross-UAR correlation row, None when missing or undefined (under three models with a Psc)."""
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
    return frame.iloc[0].to_dict() if len(frame) and "pearson_r" in frame else None


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
              valence: ValenceLexicon, gender: GenderLexicon) -> str:
    """One error-analysis row: gold vs predicted, the valence-lexicon words, and the highlighted utterance.

    ``words`` are spans of ``case.text``.
    """
    hits = ", ".join(f"{html.escape(w)} ({b})" for w, b in valence_hits([w.text for w in words], valence)) or "none"
    forms = [w.text.lower() for w in words]
    return (f'<div style="font-size:0.85rem;color:#555">gold <b>{html.escape(str(case.valence_class))}</b> · '
            f'predicted <b>{html.escape(str(case.predicted))}</b> · speaker {html.escape(str(case.gender))} · '
            f'valence-lexicon words: {hits}</div>'
            + highlight_html(words, weights, categories=gender.categories_at(forms), scale=scale, text=case.text))


def weight_contrast(cases: pd.DataFrame, words: pd.DataFrame, valence: ValenceLexicon, gender: GenderLexicon,
                    *, method: str, seed: int, top: int = 10) -> dict[str, pd.DataFrame]:
    """Where the positive weight goes in the right vs the wrong group.

    Returns ``words`` (top word forms by share of the group's positive weight), ``valence`` (share
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

    top_words = shares("form").groupby("group", sort=False).head(top).reset_index(drop=True)
    return {"words": top_words, "valence": shares("valence_bin").reset_index(drop=True),
            "gender": shares("gender_category").reset_index(drop=True)}


# ------------------------------------------------------------------------------------------------
# Privacy metrics
# ------------------------------------------------------------------------------------------------

def format_table1(table: pd.DataFrame, *, digits: int = 3) -> pd.DataFrame:
    """Table 1 as text under readable headers: value ± std (with several seeds), * where significant vs Gen."""
    columns = [*TABLE1_REQUIRED[1:], *(c for c in TABLE1_OPTIONAL if c in table.columns)]
    out = pd.DataFrame({"model": [_model_label(x) for x in table.model]})
    for column in columns:
        std = table.get(f"{column}_std", pd.Series(np.nan, index=table.index))
        sig = table.get(f"{column}_sig", pd.Series(False, index=table.index))
        out[TABLE1_LABELS[column]] = [_cell(v, s, g, digits) for v, s, g in zip(table[column], std, sig)]
    return out


def _cell(value: float, std: float, significant: Any, digits: int) -> str:
    if pd.isna(value):
        return "–"
    text = f"{value:.{digits}f}" + (f" ± {std:.{digits}f}" if pd.notna(std) else "")
    return text + (" *" if _is_true(significant) else "")


def _is_true(flag: Any) -> bool:
    """A significance flag as read back from CSV (bool, "True", or empty)."""
    return flag is True or str(flag).lower() == "true"


def _model_label(method: str) -> str:
    return f"{method} (attention check)" if method in METHODS and METHODS[method].attention_check else method


def plain_summary(table: pd.DataFrame) -> list[str]:
    """Plain-language sentences about Table 1: who leaks least, at what cost, and whether it is significant."""
    missing = [c for c in TABLE1_REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(f"Table 1 lacks columns {missing}")
    rows = table.set_index("model")
    if BASELINE not in rows.index:
        return ["Table 1 has no Gen row, so no model can be compared with the baseline."]
    gen = rows.loc[BASELINE]
    controls = {name for name in rows.index if name in METHODS and METHODS[name].attention_check}
    candidates = rows.drop(index=[BASELINE, "GenderExp", *controls], errors="ignore")
    sentences = []
    if candidates.empty:
        return [f"Gen lets a gender probe recover the speaker's gender with UAR {gen.gender_uar_within:.3f} "
                f"(0.5 = guessing)."]
    best = candidates.gender_uar_within.idxmin()
    row = candidates.loc[best]
    sentences.append(
        f"**{best} leaks least.** An attacker's probe guesses the speaker's gender from its internal representation "
        f"with a balanced accuracy (UAR) of {row.gender_uar_within:.3f}, against {gen.gender_uar_within:.3f} for the "
        f"baseline Gen (0.5 would be pure guessing).")
    cost = row.valence_uar_within - gen.valence_uar_within
    sentences.append(
        f"**The cost in accuracy:** {best} recognises valence with UAR {row.valence_uar_within:.3f} vs "
        f"{gen.valence_uar_within:.3f} for Gen ({cost:+.3f}); on the other corpus {row.valence_uar_cross:.3f} vs "
        f"{gen.valence_uar_cross:.3f}.")
    sentences.append(_significance_sentence(candidates, best))
    if "GenderExp" in rows.index:
        sentences.append(f"GenderExp, the control trained to *encode* gender, gives the probe "
                         f"{rows.loc['GenderExp', 'gender_uar_within']:.3f}.")
    for name in sorted(controls):
        sentences.append(f"{name} is the attention check, not a contender: its test text carries planted tokens "
                         "that give the answer away, so its numbers look better than any real model's.")
    return sentences


def _significance_sentence(candidates: pd.DataFrame, best: str) -> str:
    if "gender_uar_within_sig" not in candidates.columns:
        return "Significance was not computed for this build."
    p = candidates.loc[best].get("gender_uar_within_p", np.nan)
    p_text = f" (Holm-adjusted p = {p:.3f})" if pd.notna(p) else ""
    if _is_true(candidates.loc[best, "gender_uar_within_sig"]):
        return f"This difference in leakage from Gen is statistically significant{p_text}."
    return (f"This difference in leakage from Gen is **not** statistically significant{p_text}: on this build "
            "the privacy methods cannot be told apart from the baseline on leakage.")


def scatter_points(table: pd.DataFrame, intervals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Privacy–utility points per model and split (within, cross): gender UAR (x) and valence UAR (y).

    ``intervals`` (from `trade_off_intervals`) adds gender_low/high and valence_low/high.
    """
    rows = []
    for split in ("within", "cross"):
        for _, row in table.iterrows():
            rows.append({"model": row.model, "label": _model_label(row.model), "split": split,
                         "gender_uar": row[f"gender_uar_{split}"], "valence_uar": row[f"valence_uar_{split}"],
                         "attention_check": row.model in METHODS and METHODS[row.model].attention_check})
    points = pd.DataFrame(rows)
    return points if intervals is None else points.merge(intervals, on=["model", "split"], how="left")


def split_rows(p: pd.DataFrame) -> dict[str, pd.Series]:
    """Boolean masks of one model's predictions: within = primary test split, cross = the cross corpus."""
    return {"within": (p.role == "primary") & (p.split == "test"), "cross": p.role == "cross"}


def trade_off_intervals(experiment: Experiment, preds: pd.DataFrame, *, seed: int, resamples: int = 1000
                        ) -> pd.DataFrame:
    """95% bootstrap intervals of one seed's valence UAR and of the stored probes' gender UAR, per split.

    The gender guess per split comes from the stronger of the stored probes on that split, as in Table 1.
    Models without stored probes get no gender interval.
    """
    rows = []
    for method in experiment.methods:
        p = preds[(preds.method == method) & (preds.seed == seed)].reset_index(drop=True)
        stored = _stored_probes(experiment.paths, method, seed)
        z = np.load(experiment.paths.representations(method, seed))["z"] if stored else None
        for split, mask in split_rows(p).items():
            part = p[mask]
            row = dict(zip(("valence_low", "valence_high"),
                           bootstrap_uar(part.valence_class, part.predicted, resamples=resamples)[1:]))
            if stored:
                guesses = [probe.predict(z[mask.to_numpy()]) for probe in stored["probes"].values()]
                best = max(guesses, key=lambda g: m.uar(part.gender, g))
                row.update(zip(("gender_low", "gender_high"), bootstrap_uar(part.gender, best, resamples=resamples)[1:]))
            rows.append({"model": method, "split": split, **row})
    return pd.DataFrame(rows)


def _stored_probes(paths: ExperimentPaths, method: str, seed: int) -> dict | None:
    import joblib

    path = paths.probes(method, seed)
    return joblib.load(path) if path.exists() else None

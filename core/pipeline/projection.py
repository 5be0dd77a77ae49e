"""The embedding projector's table: where each shown utterance sits in a model's z, seen two ways.

A 2-D PCA shows the overall shape of z (clusters, and whether they follow valence or gender); the 1-D
LDA gender axis shows what the best *linear* gender attacker sees. Both are fitted per model × seed on
the primary train+val z, the rows the gender probes learn from (core.pipeline.evaluate.leakage), and
applied to the rows a user inspects: the primary test split ("within") and the whole cross corpus
("cross"). The fitting rows stay out of the table to keep it small. Torch-free: the metrics stage
computes it from the stored representations and writes metrics/projection.csv.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from core.pipeline.attackers import fitting_rows
from core.schema import split_rows

SHOWN_SPLITS = {"within": "primary", "cross": "cross"}  # split shown → the corpus role its rows come from
COLUMNS = ("method", "seed", "split", "utt_id", "gender", "valence_class", "text", "pc1", "pc2", "gender_axis")
TEXT_CHARS = 120  # hover text only: longer utterances are cut to keep the CSV small
DIGITS = 4        # coordinates are for plotting; four decimals keep the CSV small


def projection_points(predictions: pd.DataFrame, representations: Mapping[tuple[str, int], np.ndarray], *,
                      seed: int) -> pd.DataFrame:
    """Per model × seed, each shown utterance's PCA coordinates (pc1, pc2) and its gender_axis position.

    ``representations[(method, seed)]`` holds z row-aligned with that model's rows of ``predictions``
    (role, split, utt_id, gender, valence_class, text), as the predict stage stores them. ``seed`` fixes
    PCA's randomized solver, which scikit-learn picks for large z, so a rebuild gives the same picture.
    Returns the columns of :data:`COLUMNS`; pc1 and pc2 are in units of z, gender_axis in within-gender
    standard deviations of the fitting rows (see :func:`gender_axis`).

    For a LEACE-erased model (PrivErase) the gender axis carries nothing by construction: LEACE leaves F
    and M with equal mean z on the very rows the axis is fitted on, so no linear direction separates
    them there and the shown histograms overlap up to sampling noise. A nonlinear attacker (the MLP
    probe) may still read gender from such a z; the axis only speaks for linear ones.
    """
    parts = []
    for (method, model_seed), z in representations.items():
        p = predictions[(predictions.method == method) & (predictions.seed == model_seed)].reset_index(drop=True)
        if len(p) != len(z):
            raise ValueError(f"{method}/seed{model_seed}: {len(z)} rows of z but {len(p)} rows of predictions")
        fit = fitting_rows(p).to_numpy()  # the rows the gender probes learn from, and the splits they are scored on
        shown = split_rows(p)
        split = np.select([mask.to_numpy() for mask in shown.values()], list(shown), "")
        keep = split != ""
        pcs = PCA(n_components=2, random_state=seed).fit(z[fit]).transform(z[keep])
        parts.append(p.loc[keep, ["utt_id", "gender", "valence_class"]].assign(
            method=method, seed=model_seed, split=split[keep], text=p.text[keep].map(_short),
            pc1=pcs[:, 0], pc2=pcs[:, 1], gender_axis=gender_axis(z[fit], p.gender[fit].to_numpy(), z[keep])))
    return pd.concat(parts, ignore_index=True)[list(COLUMNS)].round(DIGITS)


def gender_axis(z_fit: np.ndarray, gender_fit: np.ndarray, z_shown: np.ndarray) -> np.ndarray:
    """``z_shown`` projected on the LDA gender direction of (``z_fit``, ``gender_fit``).

    Ledoit–Wolf shrinkage keeps the direction stable when z is wide (384 dimensions) and the fitting
    rows few. The result is centred on the fitting rows' mean and in their pooled within-gender standard
    deviations, with F on the positive side, so models compare on one scale: two histograms whose means
    are d apart overlap like two unit normals d apart.
    """
    if set(np.unique(gender_fit)) != {"F", "M"}:
        raise ValueError(f"the gender axis needs F and M fitting rows, got {sorted(set(gender_fit))}")
    lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto").fit(z_fit, gender_fit)
    fitted = lda.transform(z_fit)[:, 0]
    sign = 1.0 if separation(fitted, gender_fit) >= 0 else -1.0
    spread = _pooled_sd(fitted[gender_fit == "F"], fitted[gender_fit == "M"]) or 1.0  # 1.0: z constant
    return sign * (lda.transform(z_shown)[:, 0] - fitted.mean()) / spread


def separation(values: np.ndarray, gender: np.ndarray) -> float:
    """How far apart F and M lie on one axis: (mean F − mean M) / pooled within-gender sd (Cohen's d).

    >>> round(separation(np.array([1.0, 3.0, -1.0, -3.0]), np.array(["F", "F", "M", "M"])), 4)
    2.8284
    """
    values, gender = np.asarray(values, dtype=float), np.asarray(gender)
    f, m = values[gender == "F"], values[gender == "M"]
    if len(f) < 2 or len(m) < 2:
        raise ValueError(f"separation needs at least two F and two M values, got {len(f)} F and {len(m)} M")
    spread = _pooled_sd(f, m)
    return float((f.mean() - m.mean()) / spread) if spread else 0.0


def _pooled_sd(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1)) / (len(a) + len(b) - 2)))


def _short(text: str) -> str:
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"

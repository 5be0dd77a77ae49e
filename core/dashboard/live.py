"""Typed text through the built models: the only dashboard path that runs a model.

Explore imports this module lazily, when a typed or gender-swapped sentence needs explaining, so the
read-only pages never load torch. Explanations go through `core.pipeline.explain.explain` exactly as the
cache was made: at the n_steps the explain stage calibrated, with the explain settings it recorded in the
manifest (normalisation, steps grid, tolerance, precision), so a typed sentence's weights and the cached
ones share one scale.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import ExplainConfig
from core.data.words import Word, split_words
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.explain import Explainer, cached_settings, calibrated_steps, explain, load_explainer
from core.pipeline.models import infer
from core.schema import VALENCE_CLASSES


@dataclass(frozen=True)
class LiveResult:
    """One model's reading of a typed text: word weights up to the cut, probabilities, z, the cut."""

    words: list[Word]        # spans of text_shown
    weights: np.ndarray
    probs: dict[str, float]
    z: np.ndarray
    dropped_words: int       # words past the model's max_length (not seen, not explained)
    text_shown: str          # the part of the text the model saw
    max_length: int          # word pieces the model reads, [CLS] and [SEP] included
    n_steps: int             # integration steps the explanation took (the cache's for the same text)


@dataclass(frozen=True)
class LiveModel:
    """What explaining a typed text as the cache was takes: the model, where the cache's integration
    started for it, and the explain settings the cache was made with."""

    explainer: Explainer
    n_steps: int | None      # the explain stage's calibrated n (None: the settings' own start)
    settings: ExplainConfig


def load(paths: ExperimentPaths, method: str, seed: int) -> LiveModel:
    """A built model on the CPU with its calibrated n_steps and the experiment's cached explain settings."""
    return LiveModel(load_explainer(paths, method, seed, "cpu"), calibrated_steps(paths, method, seed),
                     cached_settings(paths))


def seen_words(explainer: Explainer, text: str) -> int:
    """How many words of ``text`` fit in the model's max_length (the rest are cut by the tokenizer)."""
    enc = explainer.tokenizer(text, truncation=True, max_length=explainer.model.args.max_length,
                              return_offsets_mapping=True)
    last = max((end for start, end in enc["offset_mapping"] if end > start), default=0)
    return sum(1 for w in split_words(text) if w.start < last)


def run(model: LiveModel, text: str) -> LiveResult:
    """Explain ``text`` with one model as the cache was, and take its representation z for the gender probe."""
    explainer = model.explainer
    attribution = explain([text], {"model": explainer}, n_steps={"model": model.n_steps},
                          settings=model.settings)["model"][0]
    _, z = infer(explainer.model, explainer.tokenizer, [text])
    kept = seen_words(explainer, text)
    words = list(attribution.words)
    shown = text[:words[kept - 1].end] if kept else ""
    return LiveResult(words[:kept], np.asarray(attribution.weights[:kept], dtype=float),
                      {c: float(p) for c, p in zip(VALENCE_CLASSES, attribution.probs)}, z[0],
                      len(words) - kept, shown, explainer.model.args.max_length, attribution.n_steps)

"""Typed text through the built models: the only dashboard path that runs a model.

Explore imports this module lazily, when a typed or gender-swapped sentence needs explaining, so the
read-only pages never load torch. Explanations go through `core.pipeline.explain.explain` at the n_steps the
explain stage calibrated, exactly as the cache was made.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.data.words import Word, split_words
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.explain import Explainer, calibrated_steps, explain, load_explainer
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


def load(paths: ExperimentPaths, method: str, seed: int) -> tuple[Explainer, int | None]:
    """A built model's explainer on the CPU and its calibrated n_steps (None: calibrate on the text)."""
    return load_explainer(paths, method, seed, "cpu"), calibrated_steps(paths, method, seed)


def seen_words(explainer: Explainer, text: str) -> int:
    """How many words of ``text`` fit in the model's max_length (the rest are cut by the tokenizer)."""
    enc = explainer.tokenizer(text, truncation=True, max_length=explainer.model.args.max_length,
                              return_offsets_mapping=True)
    last = max((end for start, end in enc["offset_mapping"] if end > start), default=0)
    return sum(1 for w in split_words(text) if w.start < last)


def run(explainer: Explainer, n_steps: int | None, text: str) -> LiveResult:
    """Explain ``text`` with one model and take its representation z for the gender probe."""
    attribution = explain([text], {"model": explainer}, n_steps={"model": n_steps})["model"][0]
    _, z = infer(explainer.model, explainer.tokenizer, [text])
    kept = seen_words(explainer, text)
    words = list(attribution.words)
    shown = text[:words[kept - 1].end] if kept else ""
    return LiveResult(words[:kept], np.asarray(attribution.weights[:kept], dtype=float),
                      {c: float(p) for c, p in zip(VALENCE_CLASSES, attribution.probs)}, z[0],
                      len(words) - kept, shown, explainer.model.args.max_length)

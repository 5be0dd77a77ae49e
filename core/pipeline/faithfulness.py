"""ERASER faithfulness inputs (SPEC §5.3): the explained model's probability of its target class on
the full text, without its top-k words and with only them. core.pipeline.metrics turns these into
comprehensiveness and sufficiency; this module needs the model, so the explain stage runs it."""
from __future__ import annotations

import numpy as np

from core.pipeline.explain import Explainer, WordAttribution, erase_words
from core.pipeline.metrics import topk_positions
from core.pipeline.models import VALENCE_CLASSES, infer


def faithfulness_columns(explainer: Explainer, attributions: list[WordAttribution], k: int,
                         batch_size: int) -> dict[str, list]:
    """Per utterance: target probability on the full text, without its top-k words, and with only them."""
    without, only = [], []
    for a in attributions:
        top = topk_positions(a.weights, k=k, forms=a.forms)
        without.append(erase_words(a.text, a.words, top, keep=False))
        only.append(erase_words(a.text, a.words, top, keep=True))
    targets = np.array([a.target for a in attributions])
    rows = np.arange(len(attributions))
    p_without, _ = infer(explainer.model, explainer.tokenizer, without, batch_size=batch_size)
    p_only, _ = infer(explainer.model, explainer.tokenizer, only, batch_size=batch_size)
    return {"target": [VALENCE_CLASSES[t] for t in targets],
            "predicted": [VALENCE_CLASSES[int(a.probs.argmax())] for a in attributions],
            "p_target": [float(a.probs[a.target]) for a in attributions],
            "p_without_topk": p_without[rows, targets].tolist(), "p_only_topk": p_only[rows, targets].tolist(),
            "delta": [a.delta for a in attributions], "gap": [a.gap for a in attributions],
            "n_steps": [a.n_steps for a in attributions], "converged": [a.converged for a in attributions]}

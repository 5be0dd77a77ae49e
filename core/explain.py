"""Integrated-gradients word attributions (SPEC §5), one code path for the cache and the app.

`Explainer(model, tokenizer).attribute(texts, n_steps=n, target=None)` runs Captum's
LayerIntegratedGradients over the word-embedding layer against a ``[CLS] [PAD]… [SEP]`` baseline
of the same length, explaining the softmax probability of the target class (default: the
predicted class) with Gauss-Legendre quadrature. WordPiece scores are summed into the words of the
original text (core.words), and normalised to signed weights with Σ|w| = 1. `Explainer.calibrate`
picks n_steps; `explain` (the app's path) calibrates when it is not given. Defaults come from
core.config.ExplainConfig.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
from captum.attr import LayerIntegratedGradients
from tqdm.auto import tqdm

from core.artifacts import ExperimentPaths, read_json
from core.config import ExplainConfig
from core.models import VALENCE_CLASSES, ValenceModel, batches, load_checkpoint
from core.words import Word, split_words

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

DEFAULTS = ExplainConfig()


@dataclass(frozen=True)
class WordAttribution:
    """One explained utterance: its words, their scores and normalised weights."""

    text: str
    words: tuple[Word, ...]
    scores: np.ndarray        # per word: sum of its WordPieces' attributions
    weights: np.ndarray       # scores / Σ|scores| (signed; all zero when every score is 0)
    target: int               # explained class index into VALENCE_CLASSES
    probs: np.ndarray         # valence probabilities of the input
    delta: float              # convergence delta: Σ attributions − (F(x) − F(baseline))
    gap: float                # F(x) − F(baseline), what the attributions should add up to
    n_steps: int

    @property
    def forms(self) -> list[str]:
        return [w.text.lower() for w in self.words]


@dataclass(frozen=True)
class Calibration:
    """The n_steps chosen for a model and the evidence: every tried n with its deltas."""

    n_steps: int
    converged: bool
    tried: dict[int, dict] = field(default_factory=dict)


def word_scores(text: str, offsets: Sequence[tuple[int, int]], token_scores: Sequence[float]) -> tuple[
        tuple[Word, ...], np.ndarray]:
    """Sum WordPiece scores into the words of ``text`` by character offsets.

    Special tokens (offset (0, 0)) are ignored; a word whose pieces were truncated away scores 0.
    """
    words = tuple(split_words(text))
    scores = np.zeros(len(words))
    starts = np.array([w.start for w in words])
    for (start, end), score in zip(offsets, token_scores):
        if end <= start or not len(words):
            continue
        index = int(np.searchsorted(starts, start, side="right")) - 1
        if index >= 0 and start < words[index].end:
            scores[index] += score
    return words, scores


def normalise(scores: np.ndarray) -> np.ndarray:
    """Signed weights with Σ|w| = 1 (zeros stay zeros)."""
    total = np.abs(scores).sum()
    return scores / total if total > 0 else np.zeros_like(scores)


class Explainer:
    """Integrated gradients for one ValenceModel: the constructor takes what, attribute() takes how."""

    def __init__(self, model: ValenceModel, tokenizer: PreTrainedTokenizerBase):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self._ig = LayerIntegratedGradients(self._probabilities, model.encoder.get_input_embeddings())

    def _probabilities(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(input_ids, attention_mask), dim=-1)

    def attribute(self, texts: Sequence[str], *, n_steps: int, target: int | Sequence[int] | None = None,
                  batch_size: int = DEFAULTS.batch_size, internal_batch_size: int = 256,
                  progress: bool = False) -> list[WordAttribution]:
        """Word attributions for ``texts`` with ``n_steps`` integration steps (`calibrate` picks them).

        ``target`` None explains each text's predicted class.
        """
        texts = list(texts)
        targets = [target] * len(texts) if isinstance(target, int) or target is None else list(target)
        if len(targets) != len(texts):
            raise ValueError(f"got {len(targets)} targets for {len(texts)} texts")
        # Batch texts of similar length together: padding costs n_steps forward/backward rows each.
        order = sorted(range(len(texts)), key=lambda i: len(self.tokenizer.tokenize(texts[i])))
        out: dict[int, WordAttribution] = {}
        for s in tqdm(list(batches(len(order), batch_size)), desc="attribute", leave=False, disable=not progress):
            chunk = order[s]
            explained = self._attribute_batch([texts[i] for i in chunk], [targets[i] for i in chunk], n_steps,
                                              internal_batch_size)
            out.update(zip(chunk, explained))
        return [out[i] for i in range(len(texts))]

    def _attribute_batch(self, texts: list[str], targets: list[int | None], n_steps: int,
                         internal_batch_size: int) -> list[WordAttribution]:
        enc = self.tokenizer(texts, truncation=True, max_length=self.model.args.max_length, padding=True,
                             return_offsets_mapping=True, return_tensors="pt")
        input_ids, mask = enc["input_ids"].to(self.device), enc["attention_mask"].to(self.device)
        baseline = self._baseline(input_ids)
        with torch.no_grad():
            probs = self._probabilities(input_ids, mask)
            base_probs = self._probabilities(baseline, mask)
        target = torch.tensor([int(probs[i].argmax()) if t is None else t for i, t in enumerate(targets)],
                              device=self.device)
        attributions, delta = self._ig.attribute(
            input_ids, baselines=baseline, target=target, additional_forward_args=(mask,), n_steps=n_steps,
            method="gausslegendre", internal_batch_size=internal_batch_size, return_convergence_delta=True)
        token_scores = attributions.sum(-1).detach().cpu().numpy()
        rows = torch.arange(len(texts), device=self.device)
        gaps = (probs[rows, target] - base_probs[rows, target]).cpu().numpy()
        results = []
        for i, text in enumerate(texts):
            words, scores = word_scores(text, enc["offset_mapping"][i].tolist(), token_scores[i])
            results.append(WordAttribution(text, words, scores, normalise(scores), int(target[i]),
                                           probs[i].cpu().numpy(), float(delta[i]), float(gaps[i]), n_steps))
        return results

    def _baseline(self, input_ids: torch.Tensor) -> torch.Tensor:
        """[CLS] [PAD]… [SEP] of the same length: every other token ([UNK] included) becomes [PAD]."""
        t = self.tokenizer
        special = torch.tensor([t.cls_token_id, t.sep_token_id, t.pad_token_id], device=input_ids.device)
        return torch.where(torch.isin(input_ids, special), input_ids,
                           torch.full_like(input_ids, self.tokenizer.pad_token_id))

    def calibrate(self, texts: Sequence[str], *, grid: Sequence[int] = DEFAULTS.steps_grid,
                  tolerance: float = DEFAULTS.delta_tolerance, batch_size: int = DEFAULTS.batch_size) -> Calibration:
        """The smallest n_steps in ``grid`` with mean |delta| ≤ tolerance · mean |F(x) − F(baseline)|.

        When no n in the grid converges, the largest is used and ``converged`` is False.
        """
        tried = {}
        for n in sorted(grid):
            explained = self.attribute(texts, n_steps=n, batch_size=batch_size)
            deltas = [abs(e.delta) for e in explained]
            ratio = float(np.mean(deltas) / max(np.mean([abs(e.gap) for e in explained]), 1e-12))
            tried[n] = {"ratio": ratio, "deltas": [e.delta for e in explained]}
            if ratio <= tolerance:
                return Calibration(n, True, tried)
        return Calibration(max(grid), False, tried)


def attribution_rows(attributions: Sequence[WordAttribution], **columns) -> list[dict]:
    """Word-level rows (one per word of each utterance) with ``columns`` broadcast per utterance.

    ``columns`` values are sequences aligned with ``attributions`` (e.g. utt_id=[…]).
    """
    rows = []
    for i, a in enumerate(attributions):
        fixed = {key: values[i] for key, values in columns.items()}
        for j, (word, score, weight) in enumerate(zip(a.words, a.scores, a.weights)):
            rows.append({**fixed, "word_index": j, "word": word.text, "start": word.start, "end": word.end,
                         "score": float(score), "weight": float(weight), "target": VALENCE_CLASSES[a.target],
                         "delta": a.delta, "n_steps": a.n_steps})
    return rows


def erase_words(text: str, words: Sequence[Word], positions: Sequence[int], *, keep: bool) -> str:
    """``text`` with the words at ``positions`` removed (keep=False) or with only them kept (keep=True)."""
    chosen = set(positions)
    return " ".join(w.text for i, w in enumerate(words) if (i in chosen) == keep)


def load_explainer(paths: ExperimentPaths, method: str, seed: int, device: str = "cpu") -> Explainer:
    """An Explainer for a built model × seed (its checkpoint folder under ``paths``)."""
    model, tokenizer, _ = load_checkpoint(paths.model_dir(method, seed), device)
    return Explainer(model, tokenizer)


def calibrated_steps(paths: ExperimentPaths, method: str, seed: int) -> int | None:
    """The n_steps the explain stage calibrated for this model, None before it ran."""
    path = paths.calibration(method, seed)
    return read_json(path)["n_steps"] if path.exists() else None


def explain(texts: Sequence[str], explainers: dict[str, Explainer], *, n_steps: dict[str, int | None] | None = None,
            target: int | Sequence[int] | None = None, settings: ExplainConfig = DEFAULTS,
            **options) -> dict[str, list[WordAttribution]]:
    """Explain ``texts`` with several models through `Explainer.attribute`: the app's live path.

    ``n_steps[method]`` is typically `calibrated_steps` of the build; None (or missing) calibrates on
    ``texts`` themselves over ``settings.steps_grid`` to ``settings.delta_tolerance``. ``options``
    go to `Explainer.attribute` (internal_batch_size, progress).
    """
    out = {}
    for method, explainer in explainers.items():
        steps = (n_steps or {}).get(method) or explainer.calibrate(
            texts, grid=settings.steps_grid, tolerance=settings.delta_tolerance, batch_size=settings.batch_size).n_steps
        out[method] = explainer.attribute(texts, n_steps=steps, target=target, batch_size=settings.batch_size,
                                          **options)
    return out

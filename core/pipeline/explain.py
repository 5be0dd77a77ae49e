"""Integrated-gradients word attributions (SPEC §5), one code path for the cache and the app.

`Explainer(model, tokenizer).attribute(texts, n_steps=16)` computes Captum's
LayerIntegratedGradients over the word-embedding layer against a ``[CLS] [PAD]… [SEP]`` baseline
of the same length, explaining the softmax probability of the target class (default: the
predicted class) with Captum's Gauss-Legendre quadrature. WordPiece scores are summed into the
words of the original text (core.data.words), and normalised to signed weights (`normalise`: L2 by default).
`Explainer.calibrate` picks the starting n_steps; `explain` is the app's path. How to explain — grid,
tolerance, precision, normalisation, batch sizes — is one object, the experiment's frozen
core.config.ExplainConfig, passed whole from the TOML to the explain stage and, rebuilt from the
manifest (`cached_settings`), to the app: a typed sentence is explained exactly as the cache was.

Speed (docs/PERFORMANCE.md): the integral is computed directly (`layer_integrated_gradients`,
held equal to Captum's by the tests) so the endpoints cost two embedding lookups instead of two
forward passes; each text is tokenised once and F(x), F(baseline) computed once in fp32; batches
are length-sorted and small (`explain.batch_size`), and in fp32 on the CPU each is integrated on one
thread, as many at once as there are threads (`Explainer._on_workers`); the first pass runs in bf16
where the hardware computes it natively. An utterance whose own convergence delta misses the
tolerance is integrated again at the next larger n of ``steps_grid``, so the cheap n serves most
utterances without loosening the δ bound.
"""
from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Callable, Sequence, TypeVar

import numpy as np
import torch
from captum.attr._utils.approximation_methods import approximation_parameters
from tqdm.auto import tqdm

from core.config import ConfigError, ExplainConfig, load_section
from core.data.words import Word, split_words
from core.pipeline.artifacts import ExperimentPaths, Manifest, read_json
from core.pipeline.files import ArtifactError, rebuild_command
from core.pipeline.models import (VALENCE_CLASSES, ValenceModel, attention_kernels, batches, by_length, device_plan,
                                  intra_op_threads, load_checkpoint, pad)
from core.pipeline.profile import timed

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

DEFAULTS = ExplainConfig()  # the one home of explanation defaults
TOKENS_PER_PASS = {"cpu": 16_384, "cuda": 65_536}  # rows × width of one forward/backward pass, by device type
NORMALISATIONS = ("l2", "l1", "none")  # how word scores become weights (see `normalise`)
T = TypeVar("T")


@dataclass(frozen=True)
class WordAttribution:
    """One explained utterance: its words, their scores and normalised weights."""

    text: str
    words: tuple[Word, ...]
    scores: np.ndarray        # per word: sum of its WordPieces' attributions
    weights: np.ndarray       # normalised scores (`normalise`), signed
    target: int               # explained class index into VALENCE_CLASSES
    probs: np.ndarray         # valence probabilities of the input
    delta: float              # convergence delta: Σ attributions − (F(x) − F(baseline))
    gap: float                # F(x) − F(baseline), what the attributions should add up to
    n_steps: int
    converged: bool = True    # |delta| <= delta_tolerance · |gap| (False: the largest n still missed it)

    @property
    def forms(self) -> list[str]:
        return [w.text.lower() for w in self.words]


@dataclass(frozen=True)
class Calibration:
    """The n_steps chosen for a model and the evidence: every tried n with its deltas."""

    n_steps: int
    converged: bool
    tried: dict[int, dict] = field(default_factory=dict)


@dataclass(frozen=True)
class _Encoded:
    """Texts tokenised once, with what every integration pass reuses: F(x), F(baseline), target."""

    ids: list[list[int]]
    offsets: list[list[tuple[int, int]]]
    probs: np.ndarray         # n × classes, fp32 probabilities of the inputs
    targets: np.ndarray       # n, explained class
    gaps: np.ndarray          # n, F(x) − F(baseline) for the target


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


def normalise(scores: np.ndarray, norm: str = "l2") -> np.ndarray:
    """Signed word weights from word scores, by ``norm``.

    "l2": scores / ‖scores‖₂ (Captum's BERT-tutorial convention); "l1": scores / Σ|scores|;
    "none": the raw scores, which sum to F(x) − F(baseline) up to the convergence delta.
    All-zero scores stay zero. Example: [3, -4] gives [0.6, -0.8] (l2), [3/7, -4/7] (l1).
    """
    if norm not in NORMALISATIONS:
        raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {norm!r}")
    if norm == "none":
        return np.asarray(scores, dtype=float).copy()
    total = np.linalg.norm(scores, ord=2 if norm == "l2" else 1)
    return scores / total if total > 0 else np.zeros_like(scores)


def within_tolerance(delta: np.ndarray, gap: np.ndarray, tolerance: float) -> np.ndarray:
    """Per utterance: |delta| <= tolerance · |F(x) − F(baseline)| (SPEC §5's bound, one utterance at a time)."""
    return np.abs(delta) <= tolerance * np.abs(gap)


def refinement_steps(n_steps: int, steps_grid: Sequence[int]) -> list[int]:
    """The n tried in order: ``n_steps`` first, then every larger n of ``steps_grid``."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be >= 1, got {n_steps}")
    return [n_steps, *sorted({n for n in steps_grid if n > n_steps})]


class Explainer:
    """Integrated gradients for one ValenceModel: the constructor takes what, attribute() takes how."""

    def __init__(self, model: ValenceModel, tokenizer: PreTrainedTokenizerBase):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self._path = threading.local()  # per thread: the points on the integration path its next forward uses
        model.encoder.get_input_embeddings().register_forward_hook(self._path_points)

    def _path_points(self, module: torch.nn.Module, inputs: tuple, output: torch.Tensor) -> torch.Tensor:
        """The word-embedding layer's output, replaced by this thread's path points while it integrates: a hook
        per thread, so workers can integrate different batches through one model at the same time."""
        points = getattr(self._path, "points", None)
        return output if points is None else points

    def _probabilities(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *,
                       dtype: torch.dtype | None = None) -> torch.Tensor:
        with timed("forward"), attention_kernels(self.device, dtype), \
                torch.autocast(self.device.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            logits = self.model(input_ids, attention_mask)
        return torch.softmax(logits.float(), dim=-1)

    def attribute(self, texts: Sequence[str], *, n_steps: int, target: int | Sequence[int] | None = None,
                  settings: ExplainConfig = DEFAULTS, internal_batch_size: int | None = None,
                  progress: bool = False) -> list[WordAttribution]:
        """Word attributions for ``texts``, integrated with ``n_steps`` Gauss-Legendre points.

        ``target`` None explains each text's predicted class. ``settings`` is the experiment's explain
        config; of it, attribute reads: ``steps_grid`` and ``delta_tolerance`` (an utterance whose
        |delta| > delta_tolerance · |F(x) − F(baseline)| is integrated again at the next larger n of the
        grid; an empty grid: ``n_steps`` only; one that misses at the largest n comes back with
        ``converged=False``), ``normalisation`` ("l2" | "l1" | "none", see `normalise`), and through
        core.pipeline.models.device_plan the batch size and the first pass's precision on this device;
        refinements, F(x) and F(baseline), hence delta, are always fp32. At most ``internal_batch_size``
        rows go through one forward pass (None: as many as `TOKENS_PER_PASS` allows for the batch's width).
        """
        if settings.normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation must be one of {NORMALISATIONS}, got {settings.normalisation!r}")
        texts = list(texts)
        targets = [target] * len(texts) if isinstance(target, int) or target is None else list(target)
        if len(targets) != len(texts):
            raise ValueError(f"got {len(targets)} targets for {len(texts)} texts")
        plan = device_plan(settings, self.device)
        if plan.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {plan.batch_size}")
        with timed("tokenising"):
            enc = self.tokenizer(texts, truncation=True, max_length=self.model.args.max_length,
                                 return_offsets_mapping=True)
        results: dict[int, WordAttribution] = {}
        encoded = self._encode(enc, targets, plan.batch_size)
        pending = list(range(len(texts)))
        for n in refinement_steps(n_steps, settings.steps_grid):
            # Refinements run in fp32: a tiny |F(x) − F(b)| can sit below bf16's rounding noise.
            results.update(self._integrate(texts, encoded, pending, n, settings, plan.batch_size,
                                           internal_batch_size, plan.dtype if n == n_steps else None, progress))
            pending = [i for i in pending if not results[i].converged]
            if not pending:
                break
        return [results[i] for i in range(len(texts))]

    def _encode(self, enc, targets: list[int | None], batch_size: int) -> _Encoded:
        """F(x) and F(baseline) of the tokenised texts in fp32, both in one forward pass per batch."""
        ids, order = enc["input_ids"], by_length(enc["input_ids"])

        def endpoints(rows: np.ndarray) -> torch.Tensor:
            input_ids, mask = pad([ids[i] for i in rows], self.tokenizer.pad_token_id, self.device)
            with torch.inference_mode():
                p = self._probabilities(torch.cat([input_ids, self.baseline_ids(input_ids)]), torch.cat([mask, mask]))
            return torch.stack([p[:len(rows)], p[len(rows):]], 1)  # rows × (input, baseline) × classes

        parts = self._on_workers(endpoints, [order[s] for s in batches(len(ids), batch_size * 4)])
        both = torch.cat(parts).cpu().numpy()[np.argsort(order)] if ids else np.zeros((0, 2, len(VALENCE_CLASSES)))
        probs_np, base_np = both[:, 0], both[:, 1]
        chosen = np.array([int(p.argmax()) if t is None else int(t) for p, t in zip(probs_np, targets)], dtype=int)
        if len(chosen) and (chosen.min() < 0 or chosen.max() >= len(VALENCE_CLASSES)):
            raise ValueError(f"targets must index {VALENCE_CLASSES}, got {sorted(set(chosen.tolist()))}")
        rows = np.arange(len(ids))
        gaps = probs_np[rows, chosen] - base_np[rows, chosen]
        return _Encoded(ids, [[tuple(o) for o in offs] for offs in enc["offset_mapping"]], probs_np, chosen, gaps)

    def _integrate(self, texts: list[str], encoded: _Encoded, indices: list[int], n_steps: int,
                   settings: ExplainConfig, batch_size: int, internal_batch_size: int | None,
                   dtype: torch.dtype | None, progress: bool) -> dict[int, WordAttribution]:
        """One integration pass at ``n_steps`` over ``indices``, in batches of similar length."""
        order = sorted(indices, key=lambda i: len(encoded.ids[i]))

        def token_scores(chunk: list[int]) -> torch.Tensor:
            input_ids, mask = pad([encoded.ids[i] for i in chunk], self.tokenizer.pad_token_id, self.device)
            target = torch.as_tensor(encoded.targets[chunk], device=self.device)
            rows = internal_batch_size or TOKENS_PER_PASS.get(self.device.type, TOKENS_PER_PASS["cpu"]) // \
                input_ids.shape[1]
            return self.layer_integrated_gradients(input_ids, mask, target, n_steps=n_steps, dtype=dtype,
                                                   rows=max(rows, len(chunk))).sum(-1)  # stays on the device

        chunks = [order[s] for s in batches(len(order), batch_size)]
        sums = self._on_workers(token_scores, chunks, fp32=dtype is None,
                                progress=f"attribute n={n_steps}" if progress else None)
        out = {}
        for chunk, chunk_scores in zip(chunks, sums):
            chunk_scores = chunk_scores.cpu().numpy()
            deltas = chunk_scores.sum(1) - encoded.gaps[chunk]
            ok = within_tolerance(deltas, encoded.gaps[chunk], settings.delta_tolerance)
            for row, i in enumerate(chunk):
                words, scores = word_scores(texts[i], encoded.offsets[i], chunk_scores[row, :len(encoded.ids[i])])
                out[i] = WordAttribution(texts[i], words, scores, normalise(scores, settings.normalisation),
                                         int(encoded.targets[i]), encoded.probs[i], float(deltas[row]),
                                         float(encoded.gaps[i]), n_steps, bool(ok[row]))
        return out

    def _on_workers(self, work: Callable[[T], torch.Tensor], chunks: Sequence[T], *, fp32: bool = True,
                    progress: str | None = None) -> list[torch.Tensor]:
        """``work`` on every chunk, in order. On the CPU in fp32 each chunk runs on one intra-op thread and as many
        chunks run at once as torch has threads: independent batches keep both cores busy where one batch split
        across two threads waits for the slower half, and a chunk's arithmetic, hence every explanation, is the
        same whatever the machine's thread count (docs/PERFORMANCE.md). A bf16 pass (``fp32`` False) and a GPU run
        the chunks one after another: bf16 matrix products on worker threads were not bit-reproducible."""
        parallel, threads = self.device.type == "cpu" and fp32, torch.get_num_threads()
        workers = min(threads if parallel else 1, len(chunks))
        bar = partial(tqdm, total=len(chunks), desc=progress, leave=False, disable=progress is None)
        if workers <= 1:  # a typed sentence, one core, bf16 or a GPU: no thread to start
            with intra_op_threads(1 if parallel else None):
                return [work(chunk) for chunk in bar(chunks)]
        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="explain", initializer=torch.set_num_threads,
                                    initargs=(1,)) as pool:
                return list(bar(pool.map(work, chunks)))
        finally:  # a worker's count is also the one threads started later begin with: this thread's again
            torch.set_num_threads(threads)

    def layer_integrated_gradients(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, target: torch.Tensor,
                                   *, n_steps: int, dtype: torch.dtype | None = None,
                                   rows: int | None = None) -> torch.Tensor:
        """Captum's LayerIntegratedGradients over the word embeddings, computed directly (batch × width × hidden).

        The same quantity as ``LayerIntegratedGradients(F, word_embeddings).attribute(input_ids,
        baselines, target, n_steps, method="gausslegendre")`` with Captum's own quadrature nodes and
        weights — (e(x) − e(b)) ⊙ Σ_k w_k ∇F(e(b) + α_k (e(x) − e(b))) — without Captum's two extra
        forward passes for the layer's endpoints: those are embedding lookups. ``rows`` caps the rows
        of one forward pass (whole steps of the batch at a time); tests hold it equal to Captum's.
        """
        embeddings = self.model.encoder.get_input_embeddings()
        with torch.no_grad():
            start, end = embeddings(self.baseline_ids(input_ids)), embeddings(input_ids)
        path = end - start
        step_sizes, alphas = approximation_parameters("gausslegendre")
        weights = torch.tensor(step_sizes(n_steps), dtype=path.dtype, device=path.device)
        points = torch.tensor(alphas(n_steps), dtype=path.dtype, device=path.device)
        per_pass = max(1, (rows or len(input_ids) * n_steps) // len(input_ids))
        total = torch.zeros_like(path)
        for s in batches(n_steps, per_pass):
            k = len(points[s])
            scaled = (start + points[s].view(-1, 1, 1, 1) * path).flatten(0, 1).requires_grad_()
            self._path.points = scaled
            try:
                probs = self._probabilities(input_ids.repeat(k, 1), attention_mask.repeat(k, 1), dtype=dtype)
            finally:
                self._path.points = None
            with timed("backward"):
                (grads,) = torch.autograd.grad(probs.gather(1, target.repeat(k)[:, None]).sum(), scaled)
            total += (grads.view(k, *path.shape) * weights[s].view(-1, 1, 1, 1)).sum(0)
        return total * path

    def baseline_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        """[CLS] [PAD]… [SEP] of the same length: every other token ([UNK] included) becomes [PAD]."""
        t = self.tokenizer
        special = torch.tensor([t.cls_token_id, t.sep_token_id, t.pad_token_id], device=input_ids.device)
        return torch.where(torch.isin(input_ids, special), input_ids,
                           torch.full_like(input_ids, self.tokenizer.pad_token_id))

    def calibrate(self, texts: Sequence[str], *, settings: ExplainConfig = DEFAULTS) -> Calibration:
        """The smallest n_steps of ``settings.steps_grid`` with mean |delta| ≤ delta_tolerance · mean
        |F(x) − F(baseline)|; a fixed ``settings.fixed_steps`` is the only n tried (still checked).

        When no n converges, the largest is used and ``converged`` is False. Only calibrates:
        `attribute` starts from the returned n and refines per utterance.
        """
        grid = (settings.fixed_steps,) if settings.fixed_steps else settings.steps_grid
        single_pass = dataclasses.replace(settings, steps_grid=())
        tried = {}
        for n in sorted(grid):
            explained = self.attribute(texts, n_steps=n, settings=single_pass)
            deltas = [abs(e.delta) for e in explained]
            ratio = float(np.mean(deltas) / max(np.mean([abs(e.gap) for e in explained]), 1e-12))
            tried[n] = {"ratio": ratio, "deltas": [e.delta for e in explained]}
            if ratio <= settings.delta_tolerance:
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


def cached_settings(paths: ExperimentPaths) -> ExplainConfig:
    """The explain settings the cached explanations were made with: the explain stage's record in the
    manifest, rebuilt and checked by core.config as the TOML's were. ArtifactError (with the rebuild
    command) before the stage ran, or when the record no longer loads."""
    record = Manifest(paths).stage("explain").get("config", {})
    rebuild = rebuild_command(record.get("source"), "explain")
    if "explain" not in record:
        raise ArtifactError(f"{paths.root.name} has no explain stage yet: no explanations to match.", rebuild)
    try:
        return load_section(ExplainConfig, record["explain"], where=f"{paths.manifest} (explain stage)")
    except ConfigError as error:
        raise ArtifactError(f"The explain settings the manifest recorded no longer load: {error}", rebuild) from None


def explain(texts: Sequence[str], explainers: dict[str, Explainer], *, n_steps: dict[str, int | None] | None = None,
            target: int | Sequence[int] | None = None, settings: ExplainConfig = DEFAULTS,
            **options) -> dict[str, list[WordAttribution]]:
    """Explain ``texts`` with several models through `Explainer.attribute`: the app's live path.

    ``n_steps[method]`` is typically `calibrated_steps` of the build; None (or missing) starts where
    the build starts without a calibration: ``settings.fixed_steps``, else the smallest n of
    ``settings.steps_grid``. Either way each utterance is refined up that grid until its own delta is
    within ``settings.delta_tolerance``. ``options`` go to `Explainer.attribute` (internal_batch_size,
    progress).
    """
    out = {}
    for method, explainer in explainers.items():
        start = (n_steps or {}).get(method) or settings.fixed_steps or min(settings.steps_grid)
        out[method] = explainer.attribute(texts, n_steps=start, target=target, settings=settings, **options)
    return out

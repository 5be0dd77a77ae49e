"""Typed text through the built models: the only dashboard path that runs a model.

Explore imports this module lazily, when a typed or gender-swapped sentence needs explaining, so the
read-only pages never load torch; the app's frame has it load every model in the background once a server's
first page has run (core.dashboard.warmup), so a typed sentence waits at most for what is left of that load.
Explanations go through `core.pipeline.explain.explain` exactly as the cache was made: at the n_steps the
explain stage calibrated, with the explain settings it recorded in the manifest (normalisation, steps grid,
tolerance, precision), so a typed sentence's weights and the cached ones share one scale.

Speed (docs/PERFORMANCE.md): models are loaded once per process (`model`), and `run_all` explains with
``WORKERS`` models at a time, each on one intra-op thread — independent work, so no thread ever waits for a
descheduled partner, and each model's arithmetic is the one-thread arithmetic the explain path uses for a
typed sentence anyway.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np
import torch

from core.config import ExplainConfig
from core.dashboard.experiment import Experiment, model_fingerprint
from core.data.words import Word, split_words
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.explain import Explainer, cached_settings, calibrated_steps, explain, load_explainer
from core.pipeline.models import ValenceModel, infer
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
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)  # one text at a time


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
    with model.lock, _first_z(explainer.model) as seen:  # the integral hooks the embeddings: one text at a time
        attribution = explain([text], {"model": explainer}, n_steps={"model": model.n_steps},
                              settings=model.settings)["model"][0]
    z = seen[0] if seen else infer(explainer.model, explainer.tokenizer, [text])[1]
    kept = seen_words(explainer, text)
    words = list(attribution.words)
    shown = text[:words[kept - 1].end] if kept else ""
    return LiveResult(words[:kept], np.asarray(attribution.weights[:kept], dtype=float),
                      {c: float(p) for c, p in zip(VALENCE_CLASSES, attribution.probs)}, np.asarray(z[0]),
                      len(words) - kept, shown, explainer.model.args.max_length, attribution.n_steps)


@contextmanager
def _first_z(model: ValenceModel) -> Iterator[list[np.ndarray]]:
    """z of the text being explained, read off the explanation's own first forward pass (F(x) and F(baseline),
    fp32, the input's row first) as it enters the valence head, instead of a second pass (`infer`) for it."""
    seen: list[np.ndarray] = []

    def take(module, inputs) -> None:
        if not seen:
            seen.append(inputs[0][:1].detach().float().cpu().numpy())

    handle = model.valence_head.register_forward_pre_hook(take)
    try:
        yield seen
    finally:
        handle.remove()


WORKERS = 2  # models explained at once by `run_all` (each on one intra-op thread)
WARM_UP_TEXT = "Fine, thanks."  # short: the first pass through each model pays its one-off costs, cheaply
_log = logging.getLogger(__name__)
_loads: dict[tuple[str, str, int], tuple[str, Future]] = {}  # (root, method, seed) → (fingerprint, the load)
_loads_lock = threading.Lock()
_loader = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="privlens-load")
_explainers = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="privlens-explain")
_threads_lock = threading.Lock()
_threads_state = {"users": 0, "before": 0}


def model(experiment: Experiment, method: str, seed: int) -> LiveModel:
    """The experiment's model, loaded once per process and checkpoint: callers share one load, the background
    warm-up's when it is under way (they wait for what is left of it). A retrained checkpoint or a rerun explain
    stage (a new `model_fingerprint`) is loaded afresh, and so is one whose last load failed; ArtifactError when
    the checkpoint is missing or damaged."""
    return _loading(experiment, method, seed).result()


def _loading(experiment: Experiment, method: str, seed: int) -> Future:
    """The load of one model, started unless one for the same checkpoint is under way or done."""
    fingerprint = model_fingerprint(experiment, method, seed)
    key = (str(experiment.paths.root), method, seed)
    with _loads_lock:
        known, future = _loads.get(key, ("", None))
        failed = future is not None and future.done() and future.exception() is not None  # tried again
        if future is None or known != fingerprint or failed:
            future = _loader.submit(load, experiment.paths, method, seed)
            _loads[key] = (fingerprint, future)
    return future


@contextmanager
def one_thread() -> Iterator[None]:
    """One intra-op thread for the block (the process's count restored when the last overlapping block ends),
    so that concurrent sessions and the warm-up never leave the count at another block's setting."""
    with _threads_lock:
        if _threads_state["users"] == 0:
            _threads_state["before"] = torch.get_num_threads()
            torch.set_num_threads(1)
        _threads_state["users"] += 1
    try:
        yield
    finally:
        with _threads_lock:
            _threads_state["users"] -= 1
            if _threads_state["users"] == 0:
                torch.set_num_threads(_threads_state["before"])


def run_all(models: dict[str, LiveModel], texts: dict[str, str]) -> dict[str, LiveResult]:
    """`run` for every model on its text (``texts[method]``), ``WORKERS`` models at a time, the most integration
    steps first; results in the order of ``models``. Each model's weights are the ones `run` alone gives (the
    same one-thread arithmetic)."""
    longest_first = sorted(models, key=lambda method: -(models[method].n_steps or 0))  # so the two finish together
    with one_thread():
        futures = {method: _explainers.submit(run, models[method], texts[method]) for method in longest_first}
        return {method: futures[method].result() for method in models}


def warm_up(experiment: Experiment) -> None:
    """Load every model of ``experiment``'s first seed — the one Explore opens with; another seed loads when it is
    chosen — all loads started at once, and explain one short text with each (the first pass through a model pays
    one-off costs), so that the first typed sentence after a server start finds them ready. Meant for a
    background thread: it calls no Streamlit and logs instead of raising (a page that needs a model that failed
    to load raises the error itself)."""
    try:
        seed = experiment.seeds[0]
        loading = {method: _loading(experiment, method, seed) for method in experiment.methods}
        models = {method: load.result() for method, load in loading.items()}
        run_all(models, dict.fromkeys(models, WARM_UP_TEXT))
    except Exception as error:  # noqa: BLE001 — a background thread has no page to show it on
        _log.warning("Warming up the models of %s failed: %s", experiment.name, error)

"""How fast explanations are: plain Captum against the project's path, same model, same texts, same run.

`ig_benchmark(paths, config)` returns the figures `python -m scripts.benchmark ig` prints; the
method is in docs/PERFORMANCE.md. Throughputs interleave the two paths over several repeats, so
both see the same machine load, and report medians; the speedup is the median of the per-repeat
time ratios. Quality is the relative convergence delta |δ| / |F(x) − F(baseline)| per utterance.
"""
from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
import torch
from captum.attr import LayerIntegratedGradients

from core.config import ExperimentConfig, ExplainConfig
from core.pipeline.artifacts import ExperimentPaths, Manifest, read_json
from core.pipeline.explain import Explainer, cached_settings, calibrated_steps, load_explainer
from core.pipeline.files import rebuild_command
from core.pipeline.models import device_plan

NAIVE_STEPS = 50  # plain Captum's n_steps (its default), Gauss-Legendre, one utterance per call
TYPED = ("I love this so much!", "honestly, the worst day of my life", "it was fine I guess",
         "my sister called and we talked for hours", "why would anyone do that?",
         "thank you, that means a lot to me", "I'm so tired of waiting around", "we could get pizza later")


@dataclass(frozen=True)
class Plan:
    """How much to measure: texts explained by both paths, interleaved repeats, typed sentences."""

    texts: int = 32
    repeats: int = 3
    typed_repeats: int = 3


QUICK = Plan(texts=16, repeats=2, typed_repeats=2)
FULL_ENCODER = Plan(texts=16, repeats=2, typed_repeats=2)  # conversational-length text at full depth is slow


def plain_captum(explainer: Explainer, text: str, n_steps: int = NAIVE_STEPS) -> tuple[float, float]:
    """(delta, F(x) − F(baseline)) of Captum's LayerIntegratedGradients called as its tutorial does.

    One utterance per call, fp32, the predicted class as target, Captum's own convergence delta.
    """
    model, tokenizer = explainer.model, explainer.tokenizer
    enc = tokenizer([text], truncation=True, max_length=model.args.max_length, return_tensors="pt")
    ids, mask = enc["input_ids"].to(explainer.device), enc["attention_mask"].to(explainer.device)
    baseline = explainer.baseline_ids(ids)

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(model(input_ids, attention_mask), dim=-1)

    with torch.no_grad():
        target = int(forward(ids, mask).argmax())
    lig = LayerIntegratedGradients(forward, model.encoder.get_input_embeddings())
    attributions, delta = lig.attribute(ids, baselines=baseline, target=target, additional_forward_args=(mask,),
                                        n_steps=n_steps, method="gausslegendre", return_convergence_delta=True)
    delta_value = float(delta[0])
    return delta_value, float(attributions.sum()) - delta_value


def relative_deltas(deltas: Sequence[float], gaps: Sequence[float]) -> np.ndarray:
    """|δ| / |F(x) − F(baseline)| per utterance (inf where the gap is exactly 0)."""
    gaps = np.abs(np.asarray(gaps, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gaps > 0, np.abs(np.asarray(deltas, dtype=float)) / gaps, np.inf)


def compare_paths(explainer: Explainer, texts: Sequence[str], *, n_steps: int, settings: ExplainConfig,
                  repeats: int) -> dict[str, float]:
    """Plain Captum and the project's path (with the experiment's explain ``settings``) over ``texts``,
    interleaved ``repeats`` times."""
    naive_s, fast_s = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        naive = [plain_captum(explainer, t) for t in texts]
        naive_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        fast = explainer.attribute(texts, n_steps=n_steps, settings=settings)
        fast_s.append(time.perf_counter() - start)
    n = len(texts)
    return {"ig_naive_utts_per_s": n / statistics.median(naive_s),
            "ig_fast_utts_per_s": n / statistics.median(fast_s),
            "ig_speedup": statistics.median(a / b for a, b in zip(naive_s, fast_s)),
            "mean_rel_delta_naive": float(relative_deltas(*zip(*naive)).mean()),
            "mean_rel_delta_fast": float(relative_deltas([a.delta for a in fast], [a.gap for a in fast]).mean())}


def fp32_figures(explainer: Explainer, texts: Sequence[str], *, n_steps: int, settings: ExplainConfig,
                 repeats: int, default: dict[str, float]) -> dict[str, float | str]:
    """The speed-up and quality with the integral forced to fp32 (``ig_speedup_fp32``), so a machine with native
    bf16 also reports what one without it gets. Where the default path already runs in fp32 it is the same
    measurement, reused rather than repeated (``first_pass`` says which the default ran)."""
    forced = dataclasses.replace(settings, precision="fp32")
    bf16 = device_plan(settings, explainer.device).dtype is not None
    figures = compare_paths(explainer, texts, n_steps=n_steps, settings=forced, repeats=repeats) if bf16 else default
    return {"first_pass": "bf16" if bf16 else "fp32", "ig_speedup_fp32": figures["ig_speedup"],
            "ig_fast_utts_per_s_fp32": figures["ig_fast_utts_per_s"],
            "mean_rel_delta_fast_fp32": figures["mean_rel_delta_fast"]}


def typed_latencies(explainers: dict[str, Explainer], n_steps: dict[str, int | None], settings: ExplainConfig,
                    repeats: int, sentences: Sequence[str] = TYPED) -> dict[str, float]:
    """Seconds from a typed sentence to its reading by every model (warm): the app's live path,
    `core.dashboard.live.run_all` (explanation, z, the cut; ``live.WORKERS`` models at a time), p50 and p95."""
    from core.dashboard import live

    models = {m: live.LiveModel(e, n_steps.get(m), settings) for m, e in explainers.items()}
    live.run_all(models, dict.fromkeys(models, sentences[0]))  # warm-up
    seconds = []
    for _ in range(repeats):
        for sentence in sentences:
            start = time.perf_counter()
            live.run_all(models, dict.fromkeys(models, sentence))
            seconds.append(time.perf_counter() - start)
    return {"typed_six_models_p50_s": float(np.percentile(seconds, 50)),
            "typed_six_models_p95_s": float(np.percentile(seconds, 95)), "typed_models_at_once": live.WORKERS}


def sample_texts(paths: ExperimentPaths, n: int, seed: int = 0) -> list[str]:
    """Half primary-test and half cross-corpus utterances, seeded: what the explain stage explains."""
    primary = pd.read_parquet(paths.corpus_table("primary"))
    cross = pd.read_parquet(paths.corpus_table("cross"))
    test = primary[primary["split"] == "test"]
    return (test.sample(n=min(n - n // 2, len(test)), random_state=seed)["text"].tolist()
            + cross.sample(n=min(n // 2, len(cross)), random_state=seed)["text"].tolist())


def passages(texts: Sequence[str], tokenizer, n: int, *, seed: int = 0, shortest: int = 24,
             longest: int = 96) -> list[str]:
    """``n`` conversational-length passages: consecutive ``texts`` joined until each reaches a seeded
    WordPiece length between ``shortest`` and ``longest`` (short demo turns stand in for real ones)."""
    rng = np.random.default_rng(seed)
    out, current, goal = [], [], int(rng.integers(shortest, longest + 1))
    for text in texts:
        current.append(text)
        if len(tokenizer.tokenize(" ".join(current))) >= goal:
            out.append(" ".join(current))
            current, goal = [], int(rng.integers(shortest, longest + 1))
            if len(out) == n:
                break
    return out


def ig_benchmark(paths: ExperimentPaths, config: ExperimentConfig, *, plan: Plan = Plan(),
                 device: str = "cpu") -> dict:
    """The ig figures on a finished build: its first seed's models, its explain settings."""
    seed = config.train.seeds[0]
    missing = [m for m in config.methods.names if calibrated_steps(paths, m, seed) is None]
    if missing:
        raise FileNotFoundError(f"{paths.root} has no explain stage for {missing}: build it first "
                                f"({rebuild_command(config.source)})")
    explainers = {m: load_explainer(paths, m, seed, device) for m in config.methods.names}
    steps = {m: calibrated_steps(paths, m, seed) for m in explainers}
    settings = cached_settings(paths)  # as the build explained, and as the app explains a typed sentence
    reference = config.methods.names[0]
    texts = sample_texts(paths, plan.texts)
    figures = compare_paths(explainers[reference], texts, n_steps=steps[reference], settings=settings,
                            repeats=plan.repeats)
    figures.update(fp32_figures(explainers[reference], texts, n_steps=steps[reference], settings=settings,
                                repeats=plan.repeats, default=figures))
    figures.update(typed_latencies(explainers, steps, settings, plan.typed_repeats))
    figures["encoder_layers"] = explainers[reference].model.encoder.config.num_hidden_layers
    figures["build_stage_seconds"] = manifest_seconds(paths)
    return figures


def full_encoder_benchmark(paths: ExperimentPaths, config: ExperimentConfig, *, plan: Plan = FULL_ENCODER,
                           device: str = "cpu", max_length: int = 96) -> dict:
    """The same figures for the encoder at full depth on conversational-length passages.

    Trains one model of the build's first method for one epoch on the build's corpora (a scratch
    folder; timing does not depend on how well it learned, δ a little), then explains with one copy of
    it per method of the build, so the typed figure costs what that many full-depth models cost.
    """
    from core.pipeline.build import BuildContext, train_one
    from core.pipeline.models import load_checkpoint, resolve_device, save_checkpoint

    full = dataclasses.replace(config, model=dataclasses.replace(config.model, layers=0, max_length=max_length),
                               train=dataclasses.replace(config.train, epochs=1))
    method, seed = full.methods.names[0], full.train.seeds[0]
    with tempfile.TemporaryDirectory() as scratch:
        ctx = BuildContext(full, ExperimentPaths(Path(scratch)), Manifest(ExperimentPaths(Path(scratch))))
        ctx.paths.corpus_table("primary").parent.mkdir(parents=True, exist_ok=True)
        for role in ("primary", "auxiliary", "cross"):
            pd.read_parquet(paths.corpus_table(role)).to_parquet(ctx.paths.corpus_table(role), index=False)
        record = train_one(ctx, method, seed, resolve_device(device))
        folder = ctx.paths.model_dir(method, seed)
        save_checkpoint(record["model"], record["tokenizer"], folder, {"method": method, "seed": seed})
        copies = range(len(full.methods.names))
        explainers = {f"{method}#{i}": Explainer(*load_checkpoint(folder, device)[:2]) for i in copies}
    explainer = next(iter(explainers.values()))
    texts = passages(sample_texts(paths, 8 * plan.texts), explainer.tokenizer, plan.texts)
    start = explainer.calibrate(texts[:16], settings=full.explain).n_steps
    figures = compare_paths(explainer, texts, n_steps=start, settings=full.explain, repeats=plan.repeats)
    figures.update(typed_latencies(explainers, {m: start for m in explainers}, full.explain, plan.typed_repeats))
    lengths = [min(len(explainer.tokenizer.tokenize(t)) + 2, max_length) for t in texts]  # as the model reads them
    figures.update(encoder_layers=explainer.model.encoder.config.num_hidden_layers, max_length=max_length,
                   passage_tokens_median=int(np.median(lengths)), passage_tokens_max=int(max(lengths)))
    return figures


def manifest_seconds(paths: ExperimentPaths) -> dict[str, float]:
    """Stage wall times of the last build of ``paths``."""
    manifest = read_json(paths.manifest) if paths.manifest.exists() else {}
    return {name: record["seconds"] for name, record in manifest.get("stages", {}).items()}

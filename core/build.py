"""The offline build: corpora → train → predict (→ explain → metrics), resumable and fingerprinted.

Each stage is a function over a BuildContext registered in STAGES. Work is done per method × seed
and skipped when its fingerprint (config slice, data, code version) matches what is on disk, so
a killed build resumes at the next unfinished model and an unchanged one reruns in seconds.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from core import corpora as loaders
from core.artifacts import ExperimentPaths, Manifest, code_version, fingerprint, read_json, table_fingerprint
from core.config import CorpusConfig, ExperimentConfig, resolve_path, to_dict
from core.models import (VALENCE_CLASSES, ModelArgs, build_model, default_encoder, infer, load_checkpoint,
                         load_tokenizer, resolve_device, save_checkpoint)
from core.recipes import Corpora, recipe
from core.trainer import fit, seed_everything

ROLES = ("primary", "auxiliary", "cross")
DEMO_FOLDERS = {"primary": ("iemocap", "iemocap"), "auxiliary": ("msp_improv", "msp_improv"),
                "cross": ("muse", "muse")}


@dataclass
class BuildContext:
    """What every stage needs: the config, where artifacts go, the manifest, and loaded corpora."""

    config: ExperimentConfig
    paths: ExperimentPaths
    manifest: Manifest
    force: bool = False
    _corpora: Corpora | None = field(default=None, repr=False)

    @property
    def corpora(self) -> Corpora:
        """The corpus tables the corpora stage wrote (loaded once)."""
        if self._corpora is None:
            missing = [r for r in ROLES if not self.paths.corpus_table(r).exists()]
            if missing:
                raise FileNotFoundError(f"corpus tables {missing} are missing: run the corpora stage first")
            self._corpora = Corpora(*(pd.read_parquet(self.paths.corpus_table(r)) for r in ROLES))
        return self._corpora

    def encoder(self) -> str:
        return str(resolve_path(self.config, self.config.model.encoder)) if self.config.model.encoder \
            else default_encoder()

    def jobs(self) -> list[tuple[str, int]]:
        return [(m, s) for m in self.config.methods.names for s in self.config.train.seeds]

    def model_fingerprint(self, method: str, seed: int) -> str:
        c = self.config
        data = self.manifest.data.get("data_fingerprints", {})
        return fingerprint(method, seed, to_dict(c.model), self.encoder(), to_dict(c.train) | {"seeds": None},
                           to_dict(c.methods) | {"names": None}, data,
                           code_version("models", "trainer", "recipes", "lexicons", "words"))


def stage_corpora(ctx: BuildContext) -> dict:
    """Generate the demo corpora if configured, load all three, store their tables and fingerprints."""
    tables, skipped = {}, {}
    for role in ROLES:
        kind, path, options = _corpus_source(ctx, role, getattr(ctx.config.data, role))
        loaded = loaders.load_corpus(kind, path, **options)
        table = loaded.table if role != "cross" else loaded.table.assign(split="all")
        ctx.paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        table.to_parquet(ctx.paths.corpus_table(role), index=False)
        tables[role], skipped[role] = table_fingerprint(table), dict(loaded.skipped)
    ctx._corpora = None
    ctx.manifest.record_run(to_dict(ctx.config), tables)
    return {"skipped": skipped, "utterances": {r: len(getattr(ctx.corpora, r)) for r in ROLES}}


def _corpus_source(ctx: BuildContext, role: str, source: CorpusConfig) -> tuple[str, Path, dict]:
    if source.path or ctx.config.data.demo_seed < 0:
        if not source.path or not source.kind:
            raise ValueError(f"[data.{role}] needs kind and path (or set data.demo_seed for the demo corpora)")
        return source.kind, resolve_path(ctx.config, source.path), dict(source.options)
    _ensure_demo_corpora(ctx)
    kind, folder = DEMO_FOLDERS[role]
    return source.kind or kind, ctx.paths.demo_corpora / folder, dict(source.options)


def _ensure_demo_corpora(ctx: BuildContext) -> None:
    from core.demo_corpora import generate_demo_corpora

    stamp = ctx.paths.demo_corpora / "generated.json"
    wanted = fingerprint(ctx.config.data.demo_seed, ctx.config.data.demo_scale, code_version("demo_corpora"))
    if stamp.exists() and read_json(stamp).get("fingerprint") == wanted:
        return
    generate_demo_corpora(ctx.paths.demo_corpora, seed=ctx.config.data.demo_seed, scale=ctx.config.data.demo_scale)
    stamp.write_text(f'{{"fingerprint": "{wanted}"}}')


def stage_train(ctx: BuildContext) -> dict:
    """Train every method × seed whose checkpoint is missing or stale."""
    trained, skipped = [], []
    device = resolve_device(ctx.config.train.device)
    for method, seed in tqdm(ctx.jobs(), desc="train", unit="model"):
        directory, wanted = ctx.paths.model_dir(method, seed), ctx.model_fingerprint(method, seed)
        if not ctx.force and _checkpoint_fingerprint(directory) == wanted:
            skipped.append(f"{method}/seed{seed}")
            continue
        record = train_one(ctx, method, seed, device)
        save_checkpoint(record.pop("model"), directory, {"fingerprint": wanted, **record})
        trained.append(f"{method}/seed{seed}")
    return {"trained": trained, "skipped": skipped, "device": str(device)}


def train_one(ctx: BuildContext, method: str, seed: int, device) -> dict:
    """Build a fresh model for ``method`` and run its recipe's stages through the trainer."""
    c = ctx.config
    r = recipe(method, c.methods)
    seed_everything(seed)
    args = ModelArgs(encoder=ctx.encoder(), pooling=c.model.pooling, dropout=c.model.dropout,
                     gender_head=r.gender_head, gender_hidden=c.model.gender_hidden, max_length=c.model.max_length)
    model = build_model(args).to(device)
    tokenizer = load_tokenizer(args.encoder)
    fits = [fit(model, tokenizer, stage, c.train, seed=seed, on_step=r.on_step,
                gender_loss_weight=c.methods.gender_loss_weight).__dict__
            for stage in r.stages(ctx.corpora)]
    return {"model": model, "method": method, "seed": seed, "fits": fits, "config": to_dict(c)}


def _checkpoint_fingerprint(directory: Path) -> str | None:
    meta = directory / "model.json"
    return read_json(meta).get("fingerprint") if meta.exists() else None


def stage_predict(ctx: BuildContext) -> dict:
    """Valence probabilities and representations z of every model on the primary and cross corpora."""
    done = dict(ctx.manifest.stage("predict").get("items", {}))
    device = resolve_device(ctx.config.train.device)
    for method, seed in tqdm(ctx.jobs(), desc="predict", unit="model"):
        key, wanted = f"{method}/seed{seed}", _checkpoint_fingerprint(ctx.paths.model_dir(method, seed))
        if wanted is None:
            raise FileNotFoundError(f"no checkpoint for {key}: run the train stage first")
        if not ctx.force and done.get(key) == wanted and ctx.paths.predictions(method, seed).exists():
            continue
        predict_one(ctx, method, seed, str(device))
        done[key] = wanted
    return {"items": done}


def predict_one(ctx: BuildContext, method: str, seed: int, device: str) -> None:
    model, meta = load_checkpoint(ctx.paths.model_dir(method, seed), device)
    tokenizer = load_tokenizer(meta["args"]["encoder"])
    view = recipe(method, ctx.config.methods).view
    table = pd.concat([view(ctx.corpora.primary).assign(role="primary"),
                       view(ctx.corpora.cross).assign(role="cross")], ignore_index=True)
    probs, z = infer(model, tokenizer, table["text"].tolist(), batch_size=ctx.config.train.eval_batch_size)
    keep = ["role", "corpus", "utt_id", "split", "speaker", "gender", "valence_class", "text"]
    predictions = table[keep].assign(method=method, seed=seed,
                                     predicted=np.array(VALENCE_CLASSES)[probs.argmax(1)],
                                     **{f"p_{c}": probs[:, i] for i, c in enumerate(VALENCE_CLASSES)})
    for path in (ctx.paths.predictions(method, seed), ctx.paths.representations(method, seed)):
        path.parent.mkdir(parents=True, exist_ok=True)
    predictions.to_parquet(ctx.paths.predictions(method, seed), index=False)
    np.savez_compressed(ctx.paths.representations(method, seed), z=z.astype(np.float32),
                        utt_id=table["utt_id"].to_numpy(str), role=table["role"].to_numpy(str))


STAGES: dict[str, Callable[[BuildContext], dict]] = {
    "corpora": stage_corpora,
    "train": stage_train,
    "predict": stage_predict,
}


def build(config: ExperimentConfig, *, stages: list[str] | None = None, force: bool = False,
          paths: ExperimentPaths | None = None) -> Manifest:
    """Run ``stages`` (default: all, in order) for ``config``; record each stage's time and result."""
    names = list(STAGES) if not stages else stages
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; available: {list(STAGES)}")
    paths = paths or ExperimentPaths.for_experiment(config.name)
    ctx = BuildContext(config, paths, Manifest(paths), force)
    for name in [s for s in STAGES if s in names]:
        start = time.perf_counter()
        result = STAGES[name](ctx)
        ctx.manifest.record_stage(name, fingerprint=fingerprint(to_dict(config), name),
                                  seconds=time.perf_counter() - start, **result)
    return ctx.manifest

"""The offline build: corpora → train → predict → explain → metrics → report, resumable and fingerprinted.

Each stage is a function over a BuildContext registered in STAGES. Work is done per method × seed
and skipped when its fingerprint (config slice, data, code version) matches what is on disk, so
a killed build resumes at the next unfinished model and an unchanged one reruns in seconds.

The build trusts files, not markers: a done marker records the size and SHA-256 of every file its
work wrote, and the work reruns when one is missing or changed. Before a stage starts, the files it
reads from earlier stages are checked the same way; one that no stage of this run remakes stops the
build with the file named and the command that rebuilds it. The manifest keeps, per stage, the
records of its outputs and of the inputs it read, from which Home tells changed and stale stages.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from core.config import ExperimentConfig, to_dict
from core.methods import recipe
from core.pipeline import evaluate as ev
from core.pipeline import profile, references
from core.pipeline import table1 as t1
from core.pipeline.artifacts import (STAGE_INPUTS, ExperimentPaths, Manifest, code_fingerprint, fingerprint, read_json,
                                     set_aside_manifest, write_json)
from core.pipeline.config_slices import explanation_slice, model_slice, report_stage
from core.pipeline.corpora_stage import stage_corpora
from core.pipeline.explain import Explainer, attribution_rows, load_explainer
from core.pipeline.faithfulness import faithfulness_columns
from core.pipeline.files import ArtifactError, rebuild_command, record_files
from core.pipeline.lock import build_lock
from core.pipeline.models import (VALENCE_CLASSES, ModelArgs, build_model, device_plan, hardware, infer,
                                  load_checkpoint, load_tokenizer, resolve_device, save_checkpoint)
from core.pipeline.preflight import check_runnable, resolve_encoder
from core.pipeline.probes import save_probes
from core.pipeline.recipes import Corpora, Gen
from core.pipeline.records import verified_problem, verified_problems
from core.pipeline.trainer import fit, seed_everything
from core.pipeline.writing import written
from core.report.document import write_report
from core.report.study import study_version
from core.schema import ROLES
from core.study.setup import ensure_tasks, from_config

log = logging.getLogger(__name__)


@dataclass
class BuildContext:
    """What every stage needs: the config, where artifacts go, the manifest, and loaded corpora."""

    config: ExperimentConfig
    paths: ExperimentPaths
    manifest: Manifest
    force: bool = False
    warnings: list[str] = field(default_factory=list)  # the running stage's; the manifest keeps them per stage
    _corpora: Corpora | None = field(default=None, repr=False)

    def warn(self, message: str) -> None:
        """Log a result-weakening condition now and keep it for the stage's manifest record (and Home)."""
        log.warning(message)
        self.warnings.append(message)

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
        return resolve_encoder(self.config)

    def recipe(self, method: str) -> Gen:
        """``method``'s recipe with this experiment's method settings (its spec in core.methods names it)."""
        return recipe(method, self.config.methods)

    def jobs(self) -> list[tuple[str, int]]:
        return [(m, s) for m in self.config.methods.names for s in self.config.train.seeds]

    def data_fingerprints(self, *roles: str) -> dict[str, str]:
        recorded = self.manifest.data.get("data_fingerprints", {})
        return {role: recorded.get(role) for role in roles}

    def model_fingerprint(self, method: str, seed: int) -> str:
        """What a trained model depends on: its config slice (the one Home compares), the encoder it starts
        from, its recipe's corpora, and the code training runs (the recipe, the trainer and what they import)."""
        r = self.recipe(method)
        return fingerprint(method, seed, model_slice(to_dict(self.config), method), self.encoder(),
                           self.data_fingerprints(*r.corpora), code_fingerprint(type(r), fit, build_model))

    def is_done(self, stage: str, method: str, seed: int, wanted: str) -> bool:
        """Whether ``stage``'s work for one model × seed finished with fingerprint ``wanted``: its done
        marker says so and every file it declares (ExperimentPaths.job_outputs) is the one it recorded."""
        marker = self.paths.done_marker(stage, method, seed)
        if self.force or not marker.exists():
            return False
        record = read_json(marker)
        outputs = record.get("outputs", {})
        return (record.get("fingerprint") == wanted and set(outputs) == set(self.job_records(stage, method, seed))
                and not verified_problems(self.paths.root, outputs))

    def mark_done(self, stage: str, method: str, seed: int, wanted: str) -> None:
        """Written last, after every output of the job: the fingerprint and the files' sizes and hashes
        that :meth:`is_done` checks."""
        outputs = record_files(self.paths.root, self.paths.job_outputs(stage, method, seed))
        write_json(self.paths.done_marker(stage, method, seed), {"fingerprint": wanted, "outputs": outputs})

    def job_records(self, stage: str, method: str, seed: int) -> dict[str, dict | None]:
        """The files of one job with what its done marker recorded of each (None: no record)."""
        marker = self.paths.done_marker(stage, method, seed)
        recorded = read_json(marker).get("outputs", {}) if marker.exists() else {}
        names = [str(p.relative_to(self.paths.root)) for p in self.paths.job_outputs(stage, method, seed)]
        return {name: recorded.get(name) for name in names}

    def stage_records(self, stage: str, *, own: dict[str, dict] | None = None) -> dict[str, dict | None]:
        """The files ``stage`` leaves for this config's jobs: jobs' records from their done markers, the
        stage's own files from ``own`` (default: what the manifest recorded when it last ran)."""
        own = self.manifest.stage(stage).get("outputs", {}) if own is None else own
        records = {name: record for m, s in self.jobs() for name, record in self.job_records(stage, m, s).items()}
        names = [str(p.relative_to(self.paths.root)) for p in self.paths.own_outputs(stage, self.jobs())]
        return {**records, **{name: own.get(name) for name in names}}

    def check_inputs(self, stage: str) -> dict[str, str]:
        """The SHA-256 of every file ``stage`` reads from earlier stages, each checked against its record
        (one without a record, from an older build, only has to exist); a missing or changed one raises an
        ArtifactError naming it and the command that rebuilds it."""
        problems, makers, consumed = [], [], {}
        for upstream in STAGE_INPUTS[stage]:
            for name, record in self.stage_records(upstream).items():
                path = self.paths.root / name
                problem = verified_problem(path, record) if record else None if path.exists() else "missing"
                if problem:
                    problems.append(f"  {path}: {problem}")
                    makers += [upstream] if upstream not in makers else []
                elif record:
                    consumed[name] = record["sha256"]
        if problems:
            command = rebuild_command(self.config.source, *makers, stage)
            raise ArtifactError(f"the {stage} stage cannot start: {len(problems)} of its input files are missing or "
                                "changed since they were written:\n" + "\n".join(problems) + f"\nrebuild: {command}")
        return consumed


def stage_train(ctx: BuildContext) -> dict:
    """Train every method × seed whose checkpoint is missing or stale."""
    trained, skipped = [], []
    device = resolve_device(ctx.config.train.device)
    for method, seed in tqdm(ctx.jobs(), desc="train", unit="model"):
        directory, wanted = ctx.paths.model_dir(method, seed), ctx.model_fingerprint(method, seed)
        if ctx.is_done("train", method, seed, wanted):
            skipped.append(f"{method}/seed{seed}")
            continue
        record = train_one(ctx, method, seed, device)
        with written(directory, removing=[directory / "model.safetensors", directory / "model.json.tmp"]):
            save_checkpoint(record.pop("model"), record.pop("tokenizer"), directory, {"fingerprint": wanted, **record})
        ctx.mark_done("train", method, seed, wanted)
        trained.append(f"{method}/seed{seed}")
    return {"trained": trained, "skipped": skipped, "device": str(device)}


def train_one(ctx: BuildContext, method: str, seed: int, device) -> dict:
    """A fresh model for ``method`` through its recipe's stages (or `shared_training`'s weights), then its finish."""
    c = ctx.config
    r = ctx.recipe(method)
    seed_everything(seed)
    args = ModelArgs.from_config(c.model, encoder=ctx.encoder(), gender_head=r.gender_head, transform=r.transform)
    model = build_model(args).to(device)
    tokenizer = load_tokenizer(args.encoder)
    if shared := shared_training(ctx, r, seed):
        trained, _, meta = load_checkpoint(shared, str(device))
        keys = model.load_state_dict(trained.state_dict(), strict=False)  # only its own transform may be new
        if keys.unexpected_keys or {key.split(".")[0] for key in keys.missing_keys} - {"transform"}:
            raise ArtifactError(f"{shared} does not fit {method}: {keys}", rebuild_command(c.source, "train"))
        fits = meta["fits"]
    else:
        fits = [fit(model, tokenizer, stage, c.train, seed=seed, recipe=r).__dict__ for stage in r.stages(ctx.corpora)]
    seed_everything(seed)  # finish draws its own random numbers (a refit's dropout) whether training ran or not
    finished = r.finish(model, tokenizer, ctx.corpora)
    return {"model": model, "tokenizer": tokenizer, "method": method, "seed": seed, "fits": fits,
            **({"trained_as": f"{r.trains_as}/seed{seed}"} if shared else {}),
            **({"finish": finished} if finished else {}), "config": to_dict(c)}


def shared_training(ctx: BuildContext, r: Gen, seed: int) -> Path | None:
    """The current checkpoint of the method ``r`` trains as (``r.trains_as``, same seed) in this build: its training
    is ``r``'s step for step (a test holds the weights equal), so it is not repeated. None: ``r`` trains itself."""
    if r.trains_as in ctx.config.methods.names and ctx.is_done(
            "train", r.trains_as, seed, ctx.model_fingerprint(r.trains_as, seed)):
        return ctx.paths.model_dir(r.trains_as, seed)
    return None


def _checkpoint_fingerprint(directory: Path) -> str:
    """What a trained model is: its fingerprint and its weights' hash, so work on a retrained model whose
    weights came out different reruns."""
    meta = read_json(directory / "model.json")
    return fingerprint(meta.get("fingerprint"), meta.get("weights", {}).get("sha256"))


def stage_predict(ctx: BuildContext) -> dict:
    """Valence probabilities and representations z of every model on the primary and cross corpora."""
    device, predicted = resolve_device(ctx.config.train.device), []
    for method, seed in tqdm(ctx.jobs(), desc="predict", unit="model"):
        checkpoint = _checkpoint_fingerprint(ctx.paths.model_dir(method, seed))
        wanted = fingerprint(checkpoint, ctx.data_fingerprints("primary", "cross"),
                             code_fingerprint(infer, type(ctx.recipe(method))))
        if not ctx.is_done("predict", method, seed, wanted):
            predict_one(ctx, method, seed, str(device))
            ctx.mark_done("predict", method, seed, wanted)
            predicted.append(f"{method}/seed{seed}")
    return {"predicted": predicted}


def predict_one(ctx: BuildContext, method: str, seed: int, device: str) -> None:
    model, tokenizer, _ = load_checkpoint(ctx.paths.model_dir(method, seed), device)
    view = ctx.recipe(method).view
    table = pd.concat([view(ctx.corpora.primary).assign(role="primary"),
                       view(ctx.corpora.cross).assign(role="cross")], ignore_index=True)
    plan = device_plan(ctx.config.train, resolve_device(device))
    probs, z = infer(model, tokenizer, table["text"].tolist(), batch_size=plan.batch_size, dtype=plan.dtype)
    keep = ["role", "corpus", "utt_id", "split", "speaker", "gender", "valence_class", "text"]
    predictions = table[keep].assign(method=method, seed=seed,
                                     predicted=np.array(VALENCE_CLASSES)[probs.argmax(1)],
                                     **{f"p_{c}": probs[:, i] for i, c in enumerate(VALENCE_CLASSES)})
    with written(ctx.paths.predictions(method, seed)) as path:
        predictions.to_parquet(path, index=False)
    with written(ctx.paths.representations(method, seed)) as path:
        np.savez_compressed(path, z=z.astype(np.float32), utt_id=table["utt_id"].to_numpy(str),
                            role=table["role"].to_numpy(str))


def explained_utterances(ctx: BuildContext) -> pd.DataFrame:
    """The utterances every model explains: a seeded sample of primary test and of the cross corpus."""
    e = ctx.config.explain
    parts = []
    for role, split, n in (("primary", "test", e.n_primary), ("cross", "all", e.n_cross)):
        table = getattr(ctx.corpora, role)
        table = table[table["split"] == split].sort_values("utt_id")
        if 0 < n < len(table):
            table = table.sample(n=n, random_state=e.sample_seed).sort_values("utt_id")
        elif n > len(table):
            ctx.warn(f"explain.n_{role} = {n}, but the {role} {split} split has {len(table)} utterances: "
                     f"explaining those {len(table)}")
        parts.append(table.assign(role=role))
    return pd.concat(parts, ignore_index=True)


def stage_explain(ctx: BuildContext) -> dict:
    """Integrated gradients for every model on the sampled utterances, cached as parquet."""
    sample, calibrations, explained = explained_utterances(ctx), {}, []
    device = str(resolve_device(ctx.config.train.device))
    for method, seed in tqdm(ctx.jobs(), desc="explain", unit="model"):
        wanted = fingerprint(_checkpoint_fingerprint(ctx.paths.model_dir(method, seed)),
                             ctx.data_fingerprints("primary", "cross"), explanation_slice(to_dict(ctx.config)),
                             code_fingerprint(Explainer, faithfulness_columns, type(ctx.recipe(method))))
        if not ctx.is_done("explain", method, seed, wanted):
            explain_one(ctx, method, seed, sample, device)
            ctx.mark_done("explain", method, seed, wanted)
            explained.append(f"{method}/seed{seed}")
        calibrations[f"{method}/seed{seed}"] = read_json(ctx.paths.calibration(method, seed))
    parts = [pd.read_parquet(ctx.paths.attributions_part(m, s)) for m, s in ctx.jobs()]
    with written(ctx.paths.attributions) as path:
        pd.concat(parts, ignore_index=True).to_parquet(path, index=False)
    utterances = [pd.read_parquet(ctx.paths.explained_part(m, s)) for m, s in ctx.jobs()]
    with written(ctx.paths.explained) as path:
        pd.concat(utterances, ignore_index=True).to_parquet(path, index=False)
    first_pass = device_plan(ctx.config.explain, resolve_device(device)).dtype  # the integral's first pass
    return {"explained": explained, "first_pass": "bf16" if first_pass == torch.bfloat16 else "fp32",
            "calibration": {k: {"n_steps": v["n_steps"], "converged": v["converged"]} for k, v in calibrations.items()}}


def explain_one(ctx: BuildContext, method: str, seed: int, sample: pd.DataFrame, device: str) -> None:
    """Calibrate n_steps, explain the sample through the method's view, measure faithfulness.

    The explain config goes to the explainer whole: the app explains a typed sentence with the same object,
    rebuilt from the manifest (core.pipeline.explain.cached_settings)."""
    e = ctx.config.explain
    explainer = load_explainer(ctx.paths, method, seed, device)
    seen = ctx.recipe(method).view(sample)
    texts = seen["text"].tolist()
    batch = seen.sample(n=min(e.calibration_size, len(seen)), random_state=e.sample_seed)["text"].tolist()
    calibration = explainer.calibrate(batch, settings=e)
    attributions = explainer.attribute(texts, n_steps=calibration.n_steps, settings=e, progress=True)
    ids = {"method": [method] * len(seen), "seed": [seed] * len(seen), **{c: seen[c].tolist() for c in
           ("role", "corpus", "split", "utt_id", "gender", "valence_class")}}
    words = pd.DataFrame(attribution_rows(attributions, **ids))
    # Faithfulness probabilities stay fp32, like F(x) they are compared with; only the batch size follows the device.
    utterances = pd.DataFrame(ids).assign(text=texts, **faithfulness_columns(
        explainer, attributions, e.top_k, device_plan(ctx.config.train, explainer.device).batch_size))
    for path, frame in ((ctx.paths.attributions_part(method, seed), words),
                        (ctx.paths.explained_part(method, seed), utterances)):
        with written(path):
            frame.to_parquet(path, index=False)
    write_json(ctx.paths.calibration(method, seed), calibration.__dict__)
    if unconverged := sum(not a.converged for a in attributions):
        ctx.warn(f"{method}/seed{seed}: {unconverged} of {len(attributions)} explanations still miss the "
                 f"{e.delta_tolerance:.0%} convergence bound at {max(e.steps_grid)} steps: widen explain.steps_grid "
                 "(metrics/faithfulness.csv counts them per corpus)")


def stage_metrics(ctx: BuildContext) -> dict:
    """Table 1 and its companions (core.pipeline.evaluate) from the predictions, representations and attributions,
    and the leakage references (core.pipeline.references) from the corpora and the untrained encoder."""
    paths, jobs = ctx.paths, ctx.jobs()
    inputs = ev.MetricsInputs(
        predictions=pd.concat([pd.read_parquet(paths.predictions(m, s)) for m, s in jobs], ignore_index=True),
        representations={(m, s): np.load(paths.representations(m, s))["z"] for m, s in jobs},
        utterances=pd.read_parquet(paths.explained), attributions=pd.read_parquet(paths.attributions))
    fitted_probes: dict = {}
    tables = ev.metrics_tables(inputs, ctx.config, fitted_probes=fitted_probes)
    probed = {role: getattr(ctx.corpora, role) for role in references.PROBED}
    tables["leakage_reference"] = references.leakage_references(  # not fingerprinted: this stage always reruns
        ctx.config, ctx.encoder(), probed, references.demo_ground_truth(ctx.config, paths.demo_ground_truth))
    for (method, seed), probes in fitted_probes.items():  # the Explore page's attacker, as arrays (no pickle)
        save_probes(probes, paths.probes(method, seed), paths.probes(method, seed, ".json"))
    for name, frame in tables.items():  # the names of core.pipeline.artifacts.METRICS_TABLES (a test checks)
        with written(paths.metrics_table(name)) as path:
            frame.to_csv(path, index=False)
    with written(paths.metrics_table("table1", ".md")) as path:
        path.write_text(ev.table1_markdown(
            tables["table1"], normalisation=ctx.config.explain.normalisation, alpha=ctx.config.metrics.alpha))
    write_json(paths.metrics_table("config", ".json"), to_dict(ctx.config))
    return {"table1": tables["table1"][["model", *t1.columns()]].round(4).to_dict("records"),
            "psc_cross_uar_correlation": tables["psc_correlation"].to_dict("records")[0], "study": study_tasks(ctx)}


def study_tasks(ctx: BuildContext) -> str:
    """Select the trust study's tasks as ``scripts.study select`` does when the study has none yet, so a fresh
    build opens a study with tasks; a study database that cannot be used is a warning, never a failed build."""
    try:
        return ensure_tasks(from_config(ctx.config, ctx.paths))
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: StudyDatabaseError, one sentence
        ctx.warn(f"trust study: no tasks selected: {error}")
        return "no tasks selected"


def stage_report(ctx: BuildContext) -> dict:
    """The audit report (core.report), rewritten only when a file it reads, its code, its config slice or the
    study's responses changed since it was written: a metrics stage that reran to the same numbers leaves it."""
    study = from_config(ctx.config, ctx.paths)
    wanted = fingerprint(ctx.check_inputs("report"), report_stage(to_dict(ctx.config)), study_version(study),
                         code_fingerprint(write_report))
    current = not verified_problems(ctx.paths.root, ctx.stage_records("report"))
    if not ctx.force and current and ctx.manifest.stage("report").get("fingerprint") == wanted:
        return {"fingerprint": wanted, "written": False}
    write_report(ctx.paths, study)
    return {"fingerprint": wanted, "written": True}


STAGES: dict[str, Callable[[BuildContext], dict]] = {  # in the order of core.pipeline.artifacts.STAGES (a test checks)
    "corpora": stage_corpora,
    "train": stage_train,
    "predict": stage_predict,
    "explain": stage_explain,
    "metrics": stage_metrics,
    "report": stage_report,
}


def build(config: ExperimentConfig, *, stages: list[str] | None = None, force: bool = False,
          paths: ExperimentPaths | None = None, wait: float | None = 0.0) -> Manifest:
    """Run ``stages`` (default: all, in order) for ``config``; record each stage's time and result.

    The run holds the experiment's build lock (core.pipeline.lock): while another build holds it, this one waits
    up to ``wait`` seconds (None: until it is free), then raises BuildLockedError naming the holder.
    """
    names = list(STAGES) if not stages else stages
    unknown = [s for s in names if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; available: {list(STAGES)}")
    check_runnable(config)  # the device and the encoder, before any stage writes anything
    paths = paths or ExperimentPaths.for_experiment(config.name)
    with build_lock(paths.build_lock, wait=wait):
        repaired = set_aside_manifest(paths)  # a corrupt one: the stages' records rebuild it
        ctx = BuildContext(config, paths, Manifest(paths), force)  # the manifest as the last build left it
        machine = hardware(resolve_device(config.train.device))
        for name in [s for s in STAGES if s in names]:
            start, ctx.warnings = time.perf_counter(), []
            profile.reset()
            if repaired:  # said once, and kept with the first stage's record for Home
                ctx.warn(repaired)
                repaired = None
            inputs = ctx.check_inputs(name)
            result = STAGES[name](ctx)
            outputs = ctx.stage_records(name, own=record_files(paths.root, paths.own_outputs(name, ctx.jobs())))
            ctx.manifest.record_stage(name, config=to_dict(config), seconds=time.perf_counter() - start,
                                      warnings=ctx.warnings, inputs=inputs, outputs=outputs, hardware=machine,
                                      profile=profile.seconds(), **result)
    return ctx.manifest

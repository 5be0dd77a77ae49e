"""Whether each build stage's artifacts are there and current (Home's status table): every output checked by size
and SHA-256 against what its stage recorded, and the config compared with the slices the build fingerprints."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.pipeline.artifacts import (MANIFEST_VERSION, STAGE_INPUTS, STAGES, ExperimentPaths, ManifestError,
                                     config_jobs, read_manifest)
from core.pipeline.config_slices import STAGE_SLICES
from core.pipeline.files import rebuild_command
from core.pipeline.records import verified_problems


def recorded_stages(paths: ExperimentPaths) -> dict[str, dict[str, Any]]:
    """The manifest's stage records; none for a missing, older, corrupt or wrong-shaped manifest (the pages say
    which when they open it, and the next build sets it aside)."""
    try:
        manifest = read_manifest(paths.manifest)
    except ManifestError:
        return {}
    return manifest.get("stages", {}) if manifest.get("version") == MANIFEST_VERSION else {}
@dataclass(frozen=True)
class StageStatus:
    """Whether one build stage's artifacts are there and current, and how to rebuild them."""

    stage: str
    state: str            # "done" | "missing" | "changed" | "stale"
    seconds: float | None
    finished_at: str | None
    detail: str


def build_warnings(paths: ExperimentPaths) -> list[str]:
    """The warnings the last run of each stage recorded (small splits, requests cut short by the data)."""
    return [warning for record in recorded_stages(paths).values() for warning in record.get("warnings", [])]


def _stage_part(config: dict, stage: str) -> dict:
    """What ``stage``'s results depend on in ``config``: the slices (core.pipeline.config_slices, the ones the
    build fingerprints) of the stage and of every stage upstream of it; a new metrics.alpha leaves the
    trained models current, a new train.device leaves everything current."""
    upstream, todo = set(), [stage]
    while todo:
        upstream.add(s := todo.pop())
        todo += STAGE_INPUTS[s]
    return {s: STAGE_SLICES[s](config) for s in sorted(upstream)}


def experiment_status(paths: ExperimentPaths, current_config: dict | None = None,
                      config_file: str | None = None) -> list[StageStatus]:
    """Per stage: done; missing (never ran, or an output is gone); changed (an output's size or hash is
    not what the stage recorded); stale (the config differs from ``current_config``, or a stage it reads
    from is not done or was rebuilt since). Each detail ends in the command that rebuilds it."""
    recorded = recorded_stages(paths)
    out: list[StageStatus] = []
    broken: dict[str, str] = {}  # file -> the stage that writes it, for every missing or changed output so far
    for stage in STAGES:
        record = recorded.get(stage)
        problems = _output_problems(paths, stage, record) if record else {}
        broken |= dict.fromkeys(problems, stage)
        gone = sorted(name for name, problem in problems.items() if problem == "missing")
        read = record.get("inputs", {}) if record else {}
        makers = sorted({broken[name] for name in read if name in broken}, key=STAGES.index)
        rebuilt = _rebuilt_inputs(read, recorded)
        run = f" — run: {rebuild_command(config_file, stage)}"
        if record is None or gone:
            state, detail = "missing", f"{', '.join(Path(g).name for g in gone) or 'never built'}{run}"
        elif problems:
            names = ", ".join(f"{Path(name).name} {problem}" for name, problem in sorted(problems.items()))
            state, detail = "changed", f"{names}{run}"
        elif current_config is not None and _stage_part(record["config"], stage) != _stage_part(current_config, stage):
            state, detail = "stale", f"the config changed since this stage ran{run}"
        elif makers or rebuilt:
            why = f"files it read are missing or changed ({', '.join(makers)})" if makers else \
                f"{', '.join(rebuilt)} rebuilt since it ran"
            state, detail = "stale", f"{why} — run: {rebuild_command(config_file, *makers, stage)}"
        else:
            state, detail = "done", ""
        out.append(StageStatus(stage, state, record and record.get("seconds"), record and record.get("finished_at"),
                               detail))
    return out


def _output_problems(paths: ExperimentPaths, stage: str, record: dict[str, Any]) -> dict[str, str]:
    """Problems of the files ``stage`` leaves: by size and hash where its record has them (a build from
    before records: whether they exist)."""
    expected = [str(f.relative_to(paths.root)) for f in paths.stage_outputs(stage, config_jobs(record["config"]))]
    if "outputs" not in record:
        return {name: "missing" for name in expected if not (paths.root / name).exists()}
    return verified_problems(paths.root, {name: record["outputs"].get(name) for name in expected})


def _rebuilt_inputs(read: dict[str, str], recorded: dict[str, dict]) -> list[str]:
    """Files a stage read (name -> SHA-256) that the stage writing them has since rewritten differently."""
    current = {name: r["sha256"] for s in recorded.values() for name, r in s.get("outputs", {}).items() if r}
    return sorted(Path(name).name for name, sha in read.items() if name in current and current[name] != sha)

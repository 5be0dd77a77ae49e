"""The one module that owns artifact paths, fingerprints and the build manifest.

Layout of ``artifacts/<experiment>/``::

    manifest.json                 config, package versions, git commit, data fingerprints, stage records
                                  (config, time, warnings, output records, hashes of the inputs read)
    build.lock                    held by the running build: its pid, host and start (core.pipeline.lock)
    corpora/                      generated demo corpora (demo experiments only) and loaded tables
    models/<method>/seed<k>/      model.safetensors, model.json (args + resolved config + fingerprint +
                                  the weights' size and SHA-256, checked on every load)
    predictions/<method>_seed<k>.parquet
    representations/<method>_seed<k>.npz
    probes/<method>_seed<k>.npz   the metrics stage's fitted gender probes as plain arrays, and .json: their
                                  settings and which one is the headline (core.pipeline.probes; no pickles)
    attributions.parquet          word attributions (explain stage); explained.parquet: per utterance
    explain/                      per-model parts of both, and each model's n_steps calibration
    done/<stage>/<model>.json     fingerprint of finished train/predict/explain work and the size and
                                  SHA-256 of each file it wrote (written last)
    metrics/                      table1.csv/.md and the other metric tables (table2.* from the trust study)
    report/report.html            the audit report: one self-contained offline HTML file (core.report)
    study/                        study.sqlite (the default study database), tasks.csv, responses.csv

A fingerprint is a short SHA-256 of JSON-able inputs. Each stage stores the fingerprint of what it
consumed; a rerun skips work whose fingerprint matches, and a mismatch means "stale, rebuild".
The code part of a fingerprint follows the imports of what a stage runs (:func:`code_fingerprint`),
and each stage's files are declared once (:meth:`ExperimentPaths.job_outputs`, ``stage_outputs``).
A file's record (:func:`file_record`) is what tells the file on disk is the one its stage wrote.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import inspect
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from core.pipeline.writing import written
from core.schema import GROUND_TRUTH_FILE, ROLES

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_ROOT = PROJECT_ROOT / "artifacts"
CORE_DIR = PROJECT_ROOT / "core"
MANIFEST_VERSION = 2  # bump when the manifest's shape changes: older ones read as never built
STAGES = ("corpora", "train", "predict", "explain", "metrics", "report")  # the build's stages, in order (core.pipeline.build)
# The stages whose files each stage reads: it checks them before it starts, and is stale when they change.
STAGE_INPUTS = {"corpora": (), "train": ("corpora",), "predict": ("corpora", "train"), "explain": ("corpora", "train"),
                "metrics": ("corpora", "predict", "explain"), "report": ("corpora", "train", "predict", "explain", "metrics")}
# The tables the metrics stage writes as metrics/<name>.csv (core.pipeline.evaluate.metrics_tables computes them;
# leakage_reference core.pipeline.references, from the corpora and the untrained encoder).
METRICS_TABLES = ("table1", "per_seed", "probes", "mad_categories", "mad_utterances", "faithfulness", "psc_utterances",
                  "psc_correlation", "projection", "attacker_curve", "leakage_reference")
PACKAGES = ("torch", "transformers", "captum", "scikit-learn", "pandas", "numpy", "scipy", "statsmodels")


def fingerprint(*parts: Any) -> str:
    """A short, stable hash of JSON-able values (dict keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def table_fingerprint(table: pd.DataFrame) -> str:
    """Hash of a loaded corpus table's content (row order included)."""
    hashed = pd.util.hash_pandas_object(table.astype(str), index=False)
    return hashlib.sha256(hashed.values.tobytes()).hexdigest()[:16]


def core_imports(*objects: Any) -> set[Path]:
    """Source files of the core modules defining ``objects`` (functions, classes or modules) and of
    every core module they import, transitively; imports under ``if TYPE_CHECKING:`` do not run and
    do not count."""
    todo = [Path(inspect.getfile(o if inspect.ismodule(o) else inspect.getmodule(o))) for o in objects]
    seen: set[Path] = set()
    while todo:
        path = todo.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        todo += [f for name in imported_modules(path) if (f := _core_file(name)) is not None]
    return seen


def imported_modules(path: Path) -> list[str]:
    """Dotted module names a source file imports, with their parent packages (which run first);
    ``from core import x`` yields ``core`` and ``core.x``."""
    names: list[str] = []
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
    return [".".join(parts[:i]) for parts in (n.split(".") for n in names) for i in range(1, len(parts) + 1)]


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in (child, *_runtime_nodes(child)))
            continue
        yield node
        yield from _runtime_nodes(node)


def _core_file(name: str) -> Path | None:
    """The file of core module ``name`` (a package's __init__.py); None outside core or for a non-module."""
    if name != "core" and not name.startswith("core."):
        return None
    base = PROJECT_ROOT / name.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def code_fingerprint(*objects: Any) -> str:
    """Hash of the code ``objects`` run — their core modules and every core module those import
    (:func:`core_imports`) — and of core/data/ (the lexicons and swap list they read): a stage reruns
    when the code or data it runs on changes, with no module list to keep by hand."""
    files = sorted(core_imports(*objects))
    sources = [(str(f.relative_to(PROJECT_ROOT)), f.read_text()) for f in files]
    data = [p.read_text() for p in sorted((CORE_DIR / "data").glob("*.csv"))]
    return fingerprint(sources, data)


def git_commit() -> str:
    """The checkout's commit, or "unknown" outside git."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def package_versions() -> dict[str, str]:
    return {p: importlib.metadata.version(p) for p in PACKAGES}


@dataclass(frozen=True)
class ExperimentPaths:
    """Paths of one experiment's artifacts; nothing else in privlens builds them."""

    root: Path

    @classmethod
    def for_experiment(cls, name: str, base: Path | None = None) -> "ExperimentPaths":
        return cls(Path(base or os.environ.get("PRIVLENS_ARTIFACTS", ARTIFACTS_ROOT)) / name)

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def build_lock(self) -> Path:
        """Held by the running build (core.pipeline.lock)."""
        return self.root / "build.lock"

    @property
    def demo_corpora(self) -> Path:
        return self.root / "corpora" / "demo"

    def demo_corpus(self, kind: str) -> Path:
        """One generated demo corpus (iemocap, msp_improv, muse) in its real on-disk layout."""
        return self.demo_corpora / kind

    @property
    def demo_ground_truth(self) -> Path:
        """Per generated utterance its latent class and planted markers (core.data.demo_corpora writes it)."""
        return self.demo_corpora / GROUND_TRUTH_FILE

    @property
    def demo_stamp(self) -> Path:
        """Fingerprint of the seed, scale and generator code the demo corpora were written with."""
        return self.demo_corpora / "generated.json"

    def corpus_table(self, role: str) -> Path:
        return self.root / "corpora" / f"{role}.parquet"

    def model_dir(self, method: str, seed: int) -> Path:
        return self.root / "models" / method / f"seed{seed}"

    def predictions(self, method: str, seed: int) -> Path:
        return self.root / "predictions" / f"{method}_seed{seed}.parquet"

    def representations(self, method: str, seed: int) -> Path:
        return self.root / "representations" / f"{method}_seed{seed}.npz"

    def probes(self, method: str, seed: int, suffix: str = ".npz") -> Path:
        """A model's gender probes (the Explore page's attacker): arrays .npz, settings .json (core.pipeline.probes)."""
        return self.root / "probes" / f"{method}_seed{seed}{suffix}"

    @property
    def attributions(self) -> Path:
        return self.root / "attributions.parquet"

    @property
    def explained(self) -> Path:
        """One row per explained utterance: target, probabilities, delta, faithfulness inputs."""
        return self.root / "explained.parquet"

    def attributions_part(self, method: str, seed: int) -> Path:
        return self.root / "explain" / f"{method}_seed{seed}_words.parquet"

    def explained_part(self, method: str, seed: int) -> Path:
        return self.root / "explain" / f"{method}_seed{seed}_utterances.parquet"

    def done_marker(self, stage: str, method: str, seed: int) -> Path:
        """Written last by a stage for one model × seed: its fingerprint marks the work finished."""
        return self.root / "done" / stage / f"{method}_seed{seed}.json"

    def calibration(self, method: str, seed: int) -> Path:
        return self.root / "explain" / f"{method}_seed{seed}_calibration.json"

    @property
    def metrics_dir(self) -> Path:
        return self.root / "metrics"

    def metrics_table(self, name: str, suffix: str = ".csv") -> Path:
        return self.metrics_dir / f"{name}{suffix}"

    def job_outputs(self, stage: str, method: str, seed: int) -> list[Path]:
        """The files one model × seed's work in ``stage`` writes: what its done marker stands for."""
        outputs = {
            "train": [self.model_dir(method, seed) / "model.safetensors", self.model_dir(method, seed) / "model.json"],
            "predict": [self.predictions(method, seed), self.representations(method, seed)],
            "explain": [self.attributions_part(method, seed), self.explained_part(method, seed),
                        self.calibration(method, seed)],
        }
        return outputs.get(stage, [])

    def stage_outputs(self, stage: str, jobs: Sequence[tuple[str, int]]) -> list[Path]:
        """Every file ``stage`` leaves for ``jobs`` (method, seed pairs): its jobs' files, then its own."""
        return [*(f for method, seed in jobs for f in self.job_outputs(stage, method, seed)),
                *self.own_outputs(stage, jobs)]

    def own_outputs(self, stage: str, jobs: Sequence[tuple[str, int]]) -> list[Path]:
        """The files ``stage`` writes itself, outside its jobs' done markers: the stage's manifest record keeps
        their sizes and hashes (the metrics stage's per-model probe files among them)."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; stages: {STAGES}")
        probes = [self.probes(m, s, suffix) for m, s in jobs for suffix in (".npz", ".json")]
        own = {"corpora": [self.corpus_table(role) for role in ROLES], "explain": [self.attributions, self.explained],
               "metrics": [*(self.metrics_table(name) for name in METRICS_TABLES), self.metrics_table("table1", ".md"),
                           self.metrics_table("config", ".json"), *probes], "report": [self.report]}
        return own.get(stage, [])

    @property
    def report(self) -> Path:
        """The audit report (core.report): one self-contained HTML file a stakeholder reads without the app."""
        return self.root / "report" / "report.html"

    @property
    def study_dir(self) -> Path:
        return self.root / "study"

    @property
    def study_db(self) -> Path:
        """The default SQLite study database (WAL: -wal and -shm files appear beside it)."""
        return self.study_dir / "study.sqlite"

    def study_export(self, name: str) -> Path:
        """A CSV export of the study (tasks, responses)."""
        return self.study_dir / f"{name}.csv"


def write_text(path: Path, text: str) -> None:
    """Write ``text`` atomically (temp file + rename), so a killed build or a full disk never leaves half a file:
    the previous version stays whole, and a full disk is a DiskFullError naming ``path``."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with written(path, removing=[tmp]):
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)


def write_json(path: Path, value: Any) -> None:
    write_text(path, json.dumps(value, indent=2, sort_keys=True, default=str))


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


class ManifestError(ValueError):
    """A manifest.json that is not JSON or not of the shape its readers rely on; the message names the file."""


# What the manifest's readers rely on, where a key is present: its type (a dict: the types inside it).
_CONFIG_SHAPE = {"name": str, "source": str, **dict.fromkeys(
    ("data", "explain", "methods", "metrics", "model", "study", "train"), dict)}
_STAGE_SHAPE = {"config": _CONFIG_SHAPE, "seconds": (int, float), "finished_at": str, "warnings": list,
                "inputs": dict, "outputs": dict, "hardware": dict}
_MANIFEST_SHAPE = {"config": _CONFIG_SHAPE, "packages": dict, "data_fingerprints": dict, "git_commit": str}


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest at ``path`` ({} when there is none). A file that is not JSON, or whose keys do not have the
    shape every page and stage relies on, raises ManifestError naming it. An older privlens's manifest reads as
    it is: its readers take it as never built."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ManifestError(f"{path} is not readable JSON ({error})") from None
    if isinstance(data, dict) and data.get("version") != MANIFEST_VERSION:
        return data
    wrong = _shape_errors(data, {**_MANIFEST_SHAPE, "stages": dict}, "")
    if not wrong:
        for stage, record in data.get("stages", {}).items():
            wrong += _shape_errors(record, _STAGE_SHAPE, f"stages.{stage}")
        wrong += _list_errors(data.get("config", {}))
    if wrong:
        raise ManifestError(f"{path} does not have the shape privlens writes ({', '.join(wrong[:5])} wrong)")
    return data


def _shape_errors(value: Any, shape: dict, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [where or "the top level"]
    wrong = []
    for key, kind in shape.items():
        if key in value:
            inner = f"{where}.{key}".lstrip(".")
            wrong += _shape_errors(value[key], kind, inner) if isinstance(kind, dict) else \
                [] if isinstance(value[key], kind) and not isinstance(value[key], bool) else [inner]
    return wrong


def _list_errors(config: dict) -> list[str]:
    """The two lists every page reads from the config: the methods' names and the seeds."""
    names = config.get("methods", {}).get("names", [])
    seeds = config.get("train", {}).get("seeds", [])
    return ["config.methods.names"] * (not isinstance(names, list) or not all(isinstance(n, str) for n in names)) + \
        ["config.train.seeds"] * (not isinstance(seeds, list) or not all(type(s) is int for s in seeds))


def set_aside_manifest(paths: ExperimentPaths) -> str | None:
    """Move a corrupt or wrong-shaped manifest aside as ``manifest.json.corrupt-<time>`` (kept for a look) so the
    build can write a new one; the stages rebuild it from their own records (done markers and file hashes), so
    only work those do not vouch for is redone. Returns what was wrong and where the file went; None if nothing."""
    try:
        read_manifest(paths.manifest)
        return None
    except ManifestError as error:
        kept = paths.manifest.with_name(f"manifest.json.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        paths.manifest.replace(kept)
        return f"{error}: set aside as {kept.name}, and the build rebuilds the manifest from the stages' records"


class Manifest:
    """The build record of one experiment: what ran, on what inputs, how long it took."""

    def __init__(self, paths: ExperimentPaths):
        self.paths = paths
        self.data: dict[str, Any] = read_manifest(paths.manifest)
        if self.data.get("version") != MANIFEST_VERSION:
            self.data = {"version": MANIFEST_VERSION, "stages": {}}

    def record_run(self, config: dict, data_fingerprints: dict[str, str]) -> None:
        """Store what this build runs with: config, versions, commit, corpora fingerprints."""
        self.data.update(config=config, packages=package_versions(), git_commit=git_commit(),
                         data_fingerprints=data_fingerprints)
        self.save()

    def stage(self, name: str) -> dict[str, Any]:
        return self.data["stages"].get(name, {})

    def record_stage(self, name: str, *, config: dict, seconds: float, **extra: Any) -> None:
        """Store a finished stage: the config it ran with, its wall time, and what it did."""
        self.data["stages"][name] = {"config": config, "seconds": round(seconds, 2),
                                     "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
        self.save()

    def save(self) -> None:
        write_json(self.paths.manifest, self.data)


def config_jobs(config: dict) -> list[tuple[str, int]]:
    return [(m, s) for m in config["methods"]["names"] for s in config["train"]["seeds"]]


def display_path(path: Path, base: Path | None = None) -> str:
    """``path`` relative to ``base`` (the working directory) when it lies inside it, else absolute:
    what a user can paste into a shell started where the app runs, without this machine's layout."""
    base = (base or Path.cwd()).resolve()
    resolved = Path(path).resolve()
    return str(resolved.relative_to(base)) if resolved.is_relative_to(base) else str(resolved)


def list_experiments(base: Path | None = None) -> list[str]:
    """Experiments with a manifest under the artifacts folder, sorted by name."""
    root = Path(base or os.environ.get("PRIVLENS_ARTIFACTS", ARTIFACTS_ROOT))
    return sorted(p.parent.name for p in root.glob("*/manifest.json"))

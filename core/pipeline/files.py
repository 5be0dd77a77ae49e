"""Files a stage wrote, and how to tell it is still that file: size, SHA-256 and modification time.

Kept free of other core imports on purpose: checkpoints (core.pipeline.models) use these checks, and a model's
code fingerprint follows imports, so status and path code in core.pipeline.artifacts can change without
retraining every model.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Sequence


class ArtifactError(ValueError):
    """An artifact that is missing, unreadable, from an older privlens or not the file its stage wrote.

    The message names the file; ``command``, where known, is the shell command that rebuilds it (the
    dashboard shows it under the message).
    """

    def __init__(self, message: str, command: str | None = None):
        super().__init__(message)
        self.command = command


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def file_record(path: Path) -> dict[str, Any]:
    """What a marker keeps of an output it stands for: size and SHA-256, plus the modification time
    that lets a status check skip re-hashing a file nobody touched."""
    stat = path.stat()
    return {"size": stat.st_size, "sha256": sha256_file(path), "mtime_ns": stat.st_mtime_ns}


def file_problem(path: Path, record: dict[str, Any] | None, *, rehash: bool = False) -> str | None:
    """None when ``path`` is the file ``record`` describes, else what is wrong. The hash is compared
    when ``rehash`` or when the modification time moved (a copy, an edit); size always."""
    if not path.is_file():
        return "missing"
    if not record:
        return "has no size and hash on record (written by an older build)"
    stat = path.stat()
    if stat.st_size != record["size"]:
        return f"changed since it was written ({stat.st_size:,} bytes, {record['size']:,} when written)"
    if (rehash or stat.st_mtime_ns != record.get("mtime_ns")) and sha256_file(path) != record["sha256"]:
        return "changed since it was written (its SHA-256 differs)"
    return None


def record_files(root: Path, files: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """``file_record`` of each file, keyed by its path relative to the experiment folder."""
    return {str(f.relative_to(root)): file_record(f) for f in files}


def file_problems(root: Path, records: dict[str, dict[str, Any]], *, rehash: bool = False) -> dict[str, str]:
    """Relative path -> problem for every recorded file that is missing or changed."""
    return {name: problem for name, record in records.items()
            if (problem := file_problem(root / name, record, rehash=rehash))}


def rebuild_command(config_source: str | None, *stages: str) -> str:
    """The one spelling of the shell command that (re)builds an experiment, or some of its stages."""
    command = f".venv/bin/python -m scripts.build {config_source or 'scripts/experiments/<name>.toml'}"
    return command + (f" --stages {' '.join(stages)}" if stages else "")

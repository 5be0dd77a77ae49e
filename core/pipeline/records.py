"""Is a file still the one its stage wrote? Its SHA-256 is compared with the record on every check, and computed
once per version of the file: cached by path, inode, size, modification and change time. The change time moves
on every write and every ``touch`` and cannot be set back by a user, so a same-size edit that restores the old
modification time is hashed again; a page or a status check rereads nothing that did not change.

Kept apart from core.pipeline.files on purpose: files is in every model's code fingerprint (checkpoints use
it), this module is not, so the checks can grow without retraining anything.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from core.pipeline.files import file_problem, sha256_file

_SHA256: dict[tuple, str] = {}


def current_sha256(path: Path) -> str:
    """``path``'s SHA-256, hashed again only when the file changed since it was last hashed in this process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    if key not in _SHA256:
        _SHA256[key] = sha256_file(path)
    return _SHA256[key]


def verified_problem(path: Path, record: dict[str, Any] | None) -> str | None:
    """None when ``path`` is the file ``record`` describes by size and SHA-256, else what is wrong."""
    if not path.is_file() or not record or path.stat().st_size != record["size"]:
        return file_problem(path, record)  # its words for a missing, unrecorded or resized file
    if current_sha256(path) != record["sha256"]:
        return "changed since it was written (its SHA-256 differs)"
    return None


def verified_problems(root: Path, records: dict[str, dict[str, Any] | None]) -> dict[str, str]:
    """Relative path -> problem for every recorded file that is missing or changed, by size and hash."""
    return {name: problem for name, record in records.items() if (problem := verified_problem(root / name, record))}

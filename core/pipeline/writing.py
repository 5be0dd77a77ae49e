"""Writing an artifact so that a full disk is a message naming the file, never a half-written file.

Apart from core.pipeline.files on purpose: that module is part of every model's code fingerprint (checkpoints
use it), so write handling can change here without retraining anything.
"""
from __future__ import annotations

import errno
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from core.pipeline.profile import timed


class DiskFullError(OSError):
    """The disk filled while an artifact was written; the message names the file, which has been removed."""

    def __init__(self, path: Path):
        super().__init__(f"no space left on device while writing {path}; free some space and run the build "
                         "again: it resumes with the work that did not finish")
        self.errno, self.path = errno.ENOSPC, path  # no filename: OSError would print "[Errno 28] None: …"


def disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a full disk: an OSError with ENOSPC, or a library's own error carrying the OS
    message (safetensors reports it as a SafetensorError)."""
    return getattr(error, "errno", None) == errno.ENOSPC or "No space left on device" in str(error)


@contextmanager
def written(path: Path, *, removing: Sequence[Path] | None = None) -> Iterator[Path]:
    """Write ``path`` (a file, or a folder of them) in the block, its parent folder made first. A full disk
    becomes a DiskFullError naming it, with the half-written files removed: ``removing``, by default ``path``
    itself (a temporary file instead where the write replaces a complete one). No check later mistakes a half
    file for a finished artifact, and the next run writes it again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with timed("writing"):
            yield path
    except Exception as error:
        if not disk_full(error):
            raise
        for leftover in [path] if removing is None else removing:
            if leftover.is_file():
                leftover.unlink()
        raise DiskFullError(path) from error

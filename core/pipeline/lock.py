"""One build at a time per experiment folder.

Two builds writing one experiment would interleave checkpoints, done markers and the manifest, each trusting
files the other is rewriting. A build therefore holds ``<experiment>/build.lock`` for its whole run: an
advisory ``fcntl.flock`` on that file, which the operating system releases when the process ends however it
ends, so a killed build never leaves a stale lock behind. The file holds the holder's pid, host and start time,
so a second build can say who is building, or wait for it. (flock is POSIX: Linux and macOS; on a network file
system it is only as reliable as that file system's locking.)
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)


class BuildLockedError(OSError):
    """Another build holds the experiment's lock; the message names its pid, host and start time."""


@contextmanager
def build_lock(path: Path, *, wait: float | None = 0.0, poll: float = 0.5) -> Iterator[None]:
    """Hold the build lock file ``path`` (ExperimentPaths.build_lock) for the block. When another build holds it,
    wait up to ``wait`` seconds (None: until it is free), then raise BuildLockedError saying who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:  # "a+": opening never erases the holder's record
        _acquire(handle, path, wait, poll)
        try:
            _write_holder(handle)
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _acquire(handle: IO[str], path: Path, wait: float | None, poll: float) -> None:
    deadline = None if wait is None else time.monotonic() + wait
    announced = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = _holder(handle)
        if deadline is not None and time.monotonic() >= deadline:
            raise BuildLockedError(f"another build of this experiment is running ({holder}; lock {path}): wait "
                                   "for it to finish, or start this one with --wait to queue behind it") from None
        if not announced:
            log.warning("waiting for the build that holds %s (%s)", path, holder)
            announced = True
        time.sleep(poll)


def _write_holder(handle: IO[str]) -> None:
    handle.truncate(0)
    handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.strftime("%Y-%m-%dT%H:%M:%S")}))
    handle.flush()


def _holder(handle: IO[str]) -> str:
    """Who holds the lock, as its record says: "pid 123 on host x since …"."""
    handle.seek(0)
    try:
        record = json.loads(handle.read())
        return f"pid {record['pid']} on host {record['host']}, since {record['since']}"
    except (ValueError, KeyError, TypeError):
        return "holder not yet recorded"

"""Concurrent submitters against a study database: nothing lost, nothing counted twice.

``run_stress`` creates a throw-away study (its own name, so the real study's rows are never
touched) with enough synthetic tasks, then starts ``workers`` processes; each runs its share of the
annotators as threads, every thread with its own connection. An annotator asks for its next task,
submits a valid answer twice at once on two connections (a double click: exactly one must come back
"duplicate"), and appends the acknowledgement to its process's log, flushed and fsynced before the next submission —
so after a crash, the log lists exactly what the database promised to keep.

Cleaning up never depends on the parent surviving: each worker holds a pipe from the parent (its stdin)
and, when done, waits for one line on it ("the parent has audited and cleaned up"). End of file instead
— the parent was killed, crashed or interrupted — makes every worker stop submitting and delete the
throw-away study's rows and its log, so a killed ``stress`` leaves neither processes nor rows behind.
Workers run in their own session, so a Ctrl-C reaches only the parent, which then closes the pipes.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, TextIO

import numpy as np
import pandas as pd

from core.methods import METHODS
from core.pipeline.artifacts import PROJECT_ROOT
from core.study.faults import StudyDatabaseError
from core.study.store import StudyStore, make_engine, open_store
from core.study.tasks import ATTENTION_CHECK, QUESTIONS, model_order

WORKER_URL = "PRIVLENS_STRESS_URL"  # how a worker process gets the database URL
MODELS = list(METHODS)


def stress_tasks(n: int) -> pd.DataFrame:
    """``n`` synthetic tasks (no utterance behind them)."""
    return pd.DataFrame({"task_id": range(n), "utt_id": [f"stress-{i}" for i in range(n)], "stratum": "random",
                         "gender": "F", "valence_class": "mid", "mad_score": 0.0,
                         "model_mad": [dict.fromkeys(MODELS, 0.0)] * n, "planted": True, "attention_rule": "planted"})


def tasks_needed(annotators: int, submissions: int, responses_per_task: int) -> int:
    """Enough tasks that no annotator runs out: retired tasks stay below what all but one answer fill."""
    return math.ceil(annotators * submissions / responses_per_task) + submissions


def submit_worker(url: str, study: str, annotators: list[str], submissions: int, ack_path: str,
                  responses_per_task: int = 3, stop: Callable[[], bool] = lambda: False) -> None:
    """One process: each annotator in its own thread with its own connection, logging acknowledgements;
    an annotator stops early once ``stop()`` is true."""
    engine = make_engine(url, connections=len(annotators))
    store = StudyStore(engine, study=study, responses_per_task=responses_per_task)
    lock = threading.Lock()
    with open(ack_path, "a", encoding="utf-8") as log:
        def annotate(annotator: str) -> None:
            rng = np.random.default_rng(zlib.crc32(annotator.encode()))
            candidates = [m for m in MODELS if m != ATTENTION_CHECK]
            for _ in range(submissions):
                if stop():
                    return
                task = store.next_task(annotator)
                if task is None:
                    raise RuntimeError(f"{annotator}: no open task left")
                shown = model_order(MODELS, annotator, task.task_id, seed=0)
                choices = {q: str(rng.choice(candidates)) for q in QUESTIONS}
                with ThreadPoolExecutor(2) as twice:  # a double click: the same answer on two connections at once
                    first, again = twice.map(lambda _: store.submit(annotator, task.task_id, shown, choices), "ab")
                with lock:
                    log.write(f"{annotator}\t{task.task_id}\t{first}\t{again}\n")
                    log.flush()
                    os.fsync(log.fileno())

        with ThreadPoolExecutor(len(annotators)) as pool:
            for done in [pool.submit(annotate, a) for a in annotators]:
                done.result()  # an annotator's error fails the process
    engine.dispose()


def start_worker(url: str, study: str, annotators: list[str], submissions: int, ack_path: Path,
                 responses_per_task: int = 3) -> subprocess.Popen:
    """``submit_worker`` in a fresh interpreter (not multiprocessing: its spawn re-runs the parent's
    ``__main__``, which inside Streamlit or pytest is not a module that can be run again), in its own session,
    with pipes to and from the parent (see the module docstring)."""
    command = [sys.executable, "-m", "core.study.stress", study, str(submissions), str(responses_per_task),
               str(ack_path), *annotators]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env={**os.environ, WORKER_URL: url},  # no password in ps
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)


class ParentLink:
    """The worker's end of the pipe from the parent: one line means the parent has taken care of the study;
    end of file before it means the parent is gone."""

    def __init__(self, stream: TextIO):
        self.said, self.line = threading.Event(), ""
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: TextIO) -> None:
        self.line = stream.readline()
        self.said.set()

    @property
    def gone(self) -> bool:
        return self.said.is_set() and not self.line


def remove_study(url: str, study: str, logs: list[Path], *, attempts: int = 20) -> None:
    """Delete a throw-away study's rows and logs. Another worker may still insert for a moment (then the
    delete fails on the foreign key), so it retries; once its tasks are gone, no response can be added."""
    engine = make_engine(url)
    try:
        for attempt in range(attempts):
            try:
                StudyStore(engine, study=study).delete_study()
                break
            except StudyDatabaseError:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()
    for log in logs:
        log.unlink(missing_ok=True)


def worker_main(argv: list[str]) -> None:
    """A worker of run_stress: STUDY SUBMISSIONS CAP ACK_LOG ANNOTATOR…, the URL in the environment."""
    study, submissions, cap, log, *annotators = argv
    url, parent = os.environ[WORKER_URL], ParentLink(sys.stdin)
    try:
        submit_worker(url, study, annotators, int(submissions), log, int(cap), stop=lambda: parent.gone)
    finally:
        try:
            print("finished", flush=True)
        except OSError:  # the parent is gone and took the pipe with it
            pass
        parent.said.wait()
        if parent.gone:
            remove_study(url, study, [Path(log)])


def read_acks(paths: list[Path]) -> pd.DataFrame:
    """The acknowledgement logs; a line cut short by a kill is not an acknowledgement."""
    rows = [line.split("\t") for p in paths if p.exists() for line in p.read_text().splitlines(keepends=True)
            if line.endswith("\n")]
    frame = pd.DataFrame([r[:3] + [r[3].strip()] for r in rows], columns=["annotator", "task_id", "first", "again"])
    return frame.astype({"task_id": int})


def audit(store: StudyStore, acks: pd.DataFrame) -> dict[str, int]:
    """Compare the database with the acknowledgements."""
    stored = store.responses()
    pairs = set(zip(stored.annotator, stored.task_id))
    valid = stored[stored.status == "valid"].groupby("task_id").size()
    counters = store.tasks().set_index("task_id").valid_count
    return {"stored": len(stored), "duplicates": len(stored) - len(pairs),
            "acknowledged": len(acks), "lost": sum((a, t) not in pairs for a, t in zip(acks.annotator, acks.task_id)),
            "resubmissions_stored": int(((acks["first"] != "duplicate") & (acks.again != "duplicate")).sum()),
            "over_served": int((valid > store.cap).sum()),
            "counter_mismatches": int((counters != valid.reindex(counters.index, fill_value=0)).sum()),
            "surplus": int((stored.status == "surplus").sum())}


def run_stress(url: str, *, annotators: int, submissions: int, workers: int = 4, responses_per_task: int = 3,
               log_dir: Path, keep: bool = False) -> dict:
    """Run the stress test and return the figures (see module docstring); cleans up unless ``keep``, and the
    workers clean up if this process dies first."""
    if annotators < 1 or submissions < 1 or workers < 1:
        raise ValueError(f"annotators, submissions and workers must be >= 1, got {annotators}, {submissions}, {workers}")
    study = f"stress-{uuid.uuid4().hex[:8]}"
    store = open_store(url, study=study, responses_per_task=responses_per_task)
    store.add_tasks(stress_tasks(tasks_needed(annotators, submissions, responses_per_task)))
    names = [f"{study}-a{i:03d}" for i in range(annotators)]
    shares = [names[w::workers] for w in range(min(workers, annotators))]
    log_dir.mkdir(parents=True, exist_ok=True)
    logs = [log_dir / f"{study}-worker{w}.log" for w in range(len(shares))]
    start = time.perf_counter()
    processes = [start_worker(url, study, share, submissions, log, responses_per_task)
                 for share, log in zip(shares, logs)]
    handled = False
    try:
        for p in processes:  # until "finished" (or end of file: the worker died)
            while (line := p.stdout.readline()) and line.strip() != "finished":
                pass
        seconds = time.perf_counter() - start
        figures = audit(store, read_acks(logs))
        if not keep:
            remove_study(url, study, logs)
        handled = True
    finally:
        for p in processes:  # a line: cleaned up (or kept); no line (an error here): the workers clean up
            _close(p, "done\n" if handled else "")
    store.engine.dispose()
    return {"backend": store.engine.dialect.name, "study": study, "annotators": annotators,
            "submissions": submissions, "workers": len(processes),
            "failed_workers": sum(p.returncode != 0 for p in processes), "expected": annotators * submissions,
            **figures, "seconds": round(seconds, 2), "submissions_per_second": round(figures["stored"] / seconds, 1)}


def _close(process: subprocess.Popen, line: str) -> None:
    """Tell a worker ``line`` (may be empty), close its pipes and wait for it to end."""
    try:
        process.stdin.write(line)
        process.stdin.close()
    except OSError:  # it has already ended
        pass
    process.wait()
    process.stdout.close()


if __name__ == "__main__":
    worker_main(sys.argv[1:])

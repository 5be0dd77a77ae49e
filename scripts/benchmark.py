"""Time the whole build of an experiment from scratch and print stage times and peak memory.

python -m scripts.benchmark [CONFIG] [--budget-minutes 15]   (default CONFIG: the demo)

Builds into a temporary artifacts folder so an existing build is neither reused nor touched, and
exits non-zero when the total exceeds the budget.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from core.artifacts import ExperimentPaths
from core.build import build
from core.config import load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", nargs="?", default="scripts/experiments/demo.toml")
    parser.add_argument("--budget-minutes", type=float, default=15.0)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:  # a missing or invalid config: usage, file, key, exit 2
        parser.error(str(error))
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        manifest = build(config, paths=ExperimentPaths.for_experiment(config.name, Path(scratch)))
        total = time.perf_counter() - start
    for name, record in manifest.data["stages"].items():
        print(f"{name:>8}: {record['seconds']:8.1f} s")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   total: {total:8.1f} s (budget {args.budget_minutes * 60:.0f} s) · peak RSS {peak_mib:.0f} MiB")
    return 0 if total <= args.budget_minutes * 60 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Write a build's audit report: python -m scripts.report CONFIG [--force] [--out FILE].

Runs the build's report stage, which writes ``artifacts/<experiment>/report/report.html`` — one self-contained
HTML file, readable offline — and records it in the manifest (skipped when nothing it reads has changed). With
``--out`` the report is written to FILE instead and the build's record is left as it is (a copy to send).
Exit codes: 0 written; 1 the build's artifacts cannot be read; 2 misuse (a missing or invalid config).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core.config import load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.report", description=__doc__.split("\n")[0])
    parser.add_argument("config", help="experiment TOML, e.g. scripts/experiments/demo.toml")
    parser.add_argument("--force", action="store_true", help="rewrite the report even when nothing changed")
    parser.add_argument("--out", type=Path, help="write the report here instead, leaving the build's record alone")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    from core.pipeline.artifacts import ExperimentPaths
    from core.pipeline.build import build
    from core.report.document import write_report
    from core.study.setup import from_config

    paths = ExperimentPaths.for_experiment(config.name)
    try:
        if args.out:
            written = write_report(paths, from_config(config, paths), args.out)
        else:
            written = build(config, stages=["report"], force=args.force).paths.report
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"report: {written} ({written.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

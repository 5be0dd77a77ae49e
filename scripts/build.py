"""Build an experiment's artifacts: python -m scripts.build CONFIG [--stages …] [--force] [--wait].

Exit codes: 0 built; 1 the build stopped on bad input (the message names the file, and the line or
the command that rebuilds it), on a full disk (naming the file it was writing), or because another build
of the experiment is running (naming its pid and host; --wait queues behind it instead); 2 misuse (an
unknown stage, a missing or invalid config: usage and the file, each key and what it allows).
"""
from __future__ import annotations

import argparse
import logging
import sys

from core.config import load_config
from core.pipeline.artifacts import STAGES
from core.pipeline.preflight import runtime_problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.build", description=__doc__.split("\n")[0])
    parser.add_argument("config", help="experiment TOML, e.g. scripts/experiments/demo.toml")
    parser.add_argument("--stages", nargs="+", choices=list(STAGES), help="stages to run (default: all, in order)")
    parser.add_argument("--force", action="store_true", help="redo work even when its fingerprint matches")
    parser.add_argument("--wait", action="store_true",
                        help="when another build of this experiment is running, wait for it instead of stopping")
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(levelname)s: %(message)s")  # the build's warnings (small splits, …) on stderr
    try:
        config = load_config(args.config, checks=[runtime_problems])  # the device and encoder too, listed at once
    except (OSError, ValueError) as error:
        parser.error(str(error))
    from core.pipeline.build import build  # the pipeline loads only once the config is known to be good

    try:
        manifest = build(config, stages=args.stages, force=args.force, wait=None if args.wait else 0.0)
    except (OSError, ValueError) as error:  # bad input found while building: no traceback, just what and where
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, record in manifest.data["stages"].items():
        print(f"{name:>8}: {record['seconds']:8.1f} s")
    print(f"artifacts: {manifest.paths.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Build an experiment's artifacts: python -m scripts.build CONFIG [--stages …] [--force]."""
from __future__ import annotations

import argparse
import sys

from core.build import STAGES, build
from core.config import load_config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("config", help="experiment TOML, e.g. scripts/experiments/demo.toml")
    parser.add_argument("--stages", nargs="+", choices=list(STAGES), help="stages to run (default: all, in order)")
    parser.add_argument("--force", action="store_true", help="redo work even when its fingerprint matches")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    manifest = build(config, stages=args.stages, force=args.force)
    for name, record in manifest.data["stages"].items():
        print(f"{name:>8}: {record['seconds']:8.1f} s")
    print(f"artifacts: {manifest.paths.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

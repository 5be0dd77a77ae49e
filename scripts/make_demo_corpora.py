"""Generate the demo corpora in the real IEMOCAP / MSP-IMPROV / MuSE layouts (SPEC §2.4).

    python -m scripts.make_demo_corpora --out data/demo [--seed 0] [--scale 1.0]
    python -m scripts.make_demo_corpora --tables      # print the planted-effects tables of docs/DEMO_DATA.md

Writes OUT/iemocap, OUT/msp_improv, OUT/muse and OUT/demo_ground_truth.csv. The same seed and scale
give byte-identical files. Bad arguments or a folder it will not replace: message on stderr, exit 2.
"""
from __future__ import annotations

import argparse
import sys
import time

from core.data.demo_corpora import generate_demo_corpora, planted_effects_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.make_demo_corpora", description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="folder to write the three corpora into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier (default 1.0: ≈ 2,500/800/800)")
    parser.add_argument("--tables", action="store_true", help="print the planted-effects tables (Markdown) and exit")
    args = parser.parse_args(argv)
    if args.tables:
        print(planted_effects_markdown(), end="")
        return 0
    if not args.out:
        parser.print_usage(sys.stderr)
        print("error: --out is required (or --tables)", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        paths = generate_demo_corpora(args.out, seed=args.seed, scale=args.scale)
    except (ValueError, FileExistsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for corpus, path in paths.items():
        print(f"{corpus:>9}: {path}")
    print(f"generated in {time.perf_counter() - start:.1f} s (seed {args.seed}, scale {args.scale})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

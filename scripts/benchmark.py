"""The one benchmark harness: build time against a budget, and explanation speed.

python -m scripts.benchmark [build] [CONFIG] [--budget-minutes 15]
    Builds CONFIG (default: the demo) from scratch in a temporary folder, so an existing build is
    neither reused nor touched; prints stage times, where each stage's seconds went (tokenising,
    forward, backward, optimiser, validation, probes, bootstrap, writing, other; parallel workers add
    up, so a stage's clocks can exceed its wall time) and peak memory; for the demo corpora, whether
    Table 1 kept the planted effects. Exits non-zero over budget or when an effect is lost.
python -m scripts.benchmark ig [--quick] [--config CONFIG] [--device cpu] [--threads N]
    On the finished build of CONFIG, prints one JSON object: plain Captum against the project's
    explain path (same model, same texts, same run), typed-sentence latency over all models, the
    encoder depth and the build's stage times. Without --quick it also measures the encoder at full
    depth on conversational-length text, under "full_encoder". Method: docs/PERFORMANCE.md.
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from core.config import load_config
from core.pipeline.artifacts import ExperimentPaths

DEMO = "scripts/experiments/demo.toml"
PLANTED = ("Gen", "GenderExp", "PrivAdv")  # the models whose Table 1 rows carry the demo's planted effects


def build_budget(argv: list[str]) -> int:
    from core.pipeline.build import build
    from core.pipeline.references import generated_corpora

    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark build")
    parser.add_argument("config", nargs="?", default=DEMO)
    parser.add_argument("--budget-minutes", type=float, default=15.0)
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
    except (OSError, ValueError) as error:  # a missing or invalid config: usage, file, key, exit 2
        parser.error(str(error))
    with tempfile.TemporaryDirectory() as scratch:
        paths = ExperimentPaths.for_experiment(config.name, Path(scratch))
        start = time.perf_counter()
        manifest = build(config, paths=paths)
        total = time.perf_counter() - start
        table1 = pd.read_csv(paths.metrics_table("table1")).set_index("model")
    for name, record in manifest.data["stages"].items():
        print(f"{name:>8}: {record['seconds']:8.1f} s   {profile_line(record)}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"   total: {total:8.1f} s (budget {args.budget_minutes * 60:.0f} s) · peak RSS {peak_mib:.0f} MiB")
    demo = generated_corpora(config) and set(PLANTED) <= set(table1.index)
    effects = planted_effects(table1) if demo else {}
    for effect, held in effects.items():
        print(f"{'kept' if held else 'LOST'}: {effect}")
    return 0 if total <= args.budget_minutes * 60 and all(effects.values()) else 1


def planted_effects(table1: pd.DataFrame) -> dict[str, bool]:
    """The demo's planted effects (docs/DEMO_DATA.md) in a Table 1 indexed by model: whether each one held."""
    gen, exp, adv = (table1.loc[m] for m in PLANTED)
    drop = gen.valence_uar_within - gen.valence_uar_cross
    return {f"Gen's cross-corpus valence drop {drop:.3f} >= 0.08": drop >= 0.08,
            f"MAD(GenderExp) {exp.mad:+.4f} < 0, significant": exp.mad < 0 and bool(exp.mad_sig),
            f"MAD(PrivAdv) {adv.mad:+.4f} > 0, significant": adv.mad > 0 and bool(adv.mad_sig)}


def profile_line(record: dict) -> str:
    """Where a stage's seconds went (core.pipeline.profile), largest first, and what no clock covered."""
    clocks = record.get("profile", {})
    parts = [f"{name} {seconds:.1f}" for name, seconds in sorted(clocks.items(), key=lambda kv: -kv[1])]
    untimed = record["seconds"] - sum(clocks.values())
    return " · ".join(parts + ([f"other {untimed:.1f}"] if untimed > 0.05 else []))


def ig(argv: list[str]) -> int:
    from scripts.ig_benchmark import QUICK, Plan, full_encoder_benchmark, ig_benchmark

    parser = argparse.ArgumentParser(prog="python -m scripts.benchmark ig")
    parser.add_argument("--quick", action="store_true", help="fewer texts and repeats, demo encoder only (< 1 min)")
    parser.add_argument("--config", default=DEMO)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="intra-op CPU threads, both paths (0: torch's default)")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    config = load_config(args.config)
    paths = ExperimentPaths.for_experiment(config.name)
    plan = QUICK if args.quick else Plan()
    figures = ig_benchmark(paths, config, plan=plan, device=args.device)
    if not args.quick:
        figures["full_encoder"] = full_encoder_benchmark(paths, config, device=args.device)
    print(json.dumps(figures, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["ig"]:
        return ig(argv[1:])
    return build_budget(argv[1:] if argv[:1] == ["build"] else argv)


if __name__ == "__main__":
    sys.exit(main())

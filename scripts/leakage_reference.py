"""The leakage to read Table 1's gender UARs against: chance, the untrained encoder and (demo) the planted markers.

    python -m scripts.leakage_reference scripts/experiments/demo.toml [--csv reference.csv]

The metrics stage writes the same table to metrics/leakage_reference.csv; this computes it on its own
(core.pipeline.references) from the corpus tables, so it needs only the corpora stage
(``python -m scripts.build CONFIG --stages corpora``).
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from core.config import load_config
from core.pipeline import references
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import resolve_encoder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="experiment TOML")
    parser.add_argument("--csv", help="also write the table (as metrics/leakage_reference.csv) to this file")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    paths = ExperimentPaths.for_experiment(config.name)
    missing = [r for r in references.PROBED if not paths.corpus_table(r).exists()]
    if missing:
        print(f"corpus tables {missing} are missing: run python -m scripts.build {args.config} --stages corpora",
              file=sys.stderr)
        return 2
    tables = {role: pd.read_parquet(paths.corpus_table(role)) for role in references.PROBED}
    table = references.leakage_references(config, resolve_encoder(config), tables,
                                          references.demo_ground_truth(config, paths.demo_ground_truth))
    print("gender UAR (primary test = within, cross corpus = cross); Table 1's headline is the stronger probe")
    print(table.pivot_table(index=["reference", "probe"], columns="split", values="gender_uar", sort=False)
          [list(references.SPLITS)].round(3).to_string())
    if args.csv:
        table.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

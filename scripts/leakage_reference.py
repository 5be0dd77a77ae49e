"""The leakage to read Table 1's gender UARs against: the same two probes, fitted and scored the same way,
on representations no privacy method shaped.

    python -m scripts.leakage_reference scripts/experiments/demo.toml [--csv reference.csv]

- **untrained encoder**: z of the experiment's encoder before any fine-tuning (same pooling, layers and
  max_length). A trained model below it removed gender; one near it left the encoder's leakage alone.
- **planted markers** (demo corpora only): the ground-truth marker indicators themselves, the most the
  demo's style cues give away.

Needs the experiment's corpora stage (``python -m scripts.build CONFIG --stages corpora``).
"""
from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd

from core.config import ExperimentConfig, load_config
from core.data.demo_corpora import planted_markers
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import resolve_encoder
from core.pipeline.evaluate import reference_leakage
from core.pipeline.models import ModelArgs, build_model, infer, load_tokenizer

PROBED = ("primary", "cross")  # the corpus roles Table 1 scores probes on


def untrained_z(config: ExperimentConfig, tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """z of the experiment's encoder as loaded, before any fine-tuning (the heads are never used)."""
    args = ModelArgs.from_config(config.model, encoder=resolve_encoder(config), gender_head="none")
    model, tokenizer = build_model(args), load_tokenizer(args.encoder)
    return {role: infer(model, tokenizer, tables[role]["text"].tolist(), batch_size=config.train.eval_batch_size)[1]
            for role in PROBED}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", help="experiment TOML")
    parser.add_argument("--csv", help="also write the scores to this CSV file")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    paths = ExperimentPaths.for_experiment(config.name)
    missing = [r for r in PROBED if not paths.corpus_table(r).exists()]
    if missing:
        print(f"corpus tables {missing} are missing: run python -m scripts.build {args.config} --stages corpora",
              file=sys.stderr)
        return 2
    tables = {role: pd.read_parquet(paths.corpus_table(role)) for role in PROBED}
    scores = [reference_leakage(tables, untrained_z(config, tables), "untrained encoder", config.metrics)]
    if config.data.demo_seed >= 0 and paths.demo_ground_truth.exists():
        ground_truth = pd.read_csv(paths.demo_ground_truth)
        markers = {role: planted_markers(ground_truth, tables[role]) for role in PROBED}
        scores.append(reference_leakage(tables, markers, "planted markers", config.metrics))
    table = pd.concat(scores, ignore_index=True).pivot_table(
        index=["method", "probe"], columns="split", values="gender_uar", sort=False)[["within", "cross"]]
    print("gender UAR (primary test = within, cross corpus = cross); Table 1 reports the stronger probe")
    print(table.round(3).to_string())
    if args.csv:
        table.reset_index().to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

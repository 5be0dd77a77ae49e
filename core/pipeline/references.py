"""The leakage to read Table 1's gender UARs against (`metrics/leakage_reference.csv`).

Table 1's probes, fitted and scored exactly as there, on representations no privacy method shaped:

- **chance**: 0.5, a probe that guesses;
- **untrained encoder**: z of the experiment's encoder before any fine-tuning (same pooling, layers and
  max_length). A trained model below it removed gender; one near it left the encoder's leakage alone;
- **planted markers** (demo corpora only): the ground-truth marker indicators themselves, the most the
  demo's style cues give away.

The metrics stage writes the table (core.pipeline.build); ``scripts/leakage_reference.py`` prints it. It needs
the encoder (torch), so the dashboard only ever reads the CSV.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import ExperimentConfig, MetricsConfig
from core.data.demo_corpora import planted_markers
from core.pipeline.evaluate import TABLE1_PROBES, leakage
from core.pipeline.models import ModelArgs, build_model, device_plan, infer, load_tokenizer, resolve_device
from core.schema import GENDER_CHANCE, ROLES

PROBED = ("primary", "cross")          # the corpus roles Table 1 scores probes on
PROBES = (*TABLE1_PROBES, "stronger")  # each Table 1 probe, and the max of them (the headline's reading)
SPLITS = ("within", "cross")
COLUMNS = ["reference", "probe", "split", "gender_uar"]


def reference_leakage(tables: Mapping[str, pd.DataFrame], z: Mapping[str, np.ndarray], name: str,
                      settings: MetricsConfig) -> pd.DataFrame:
    """The Table 1 probes run on a representation no model was trained into.

    ``tables`` and ``z`` are keyed by corpus role ("primary", "cross"), row-aligned. Returns the scores of
    evaluate.leakage (method = ``name``, seed 0), so the numbers compare directly with Table 1.
    """
    predictions = pd.concat([tables[role].assign(role=role) for role in PROBED], ignore_index=True)
    representation = np.concatenate([z[role] for role in PROBED])
    scores, _ = leakage(predictions.assign(method=name, seed=0), {(name, 0): representation}, settings)
    return scores


def reference_table(tables: Mapping[str, pd.DataFrame], representations: Mapping[str, Mapping[str, np.ndarray]],
                    settings: MetricsConfig) -> pd.DataFrame:
    """reference, probe (`PROBES`), split, gender_uar: chance, then each named representation's probes and
    the stronger of them, as Table 1's headline takes it."""
    rows = [{"reference": "chance", "probe": probe, "split": split, "gender_uar": GENDER_CHANCE}
            for probe in PROBES for split in SPLITS]
    for name, z in representations.items():
        scores = reference_leakage(tables, z, name, settings)
        rows += [{"reference": name, "probe": r.probe, "split": r.split, "gender_uar": r.gender_uar}
                 for r in scores.itertuples()]
        rows += [{"reference": name, "probe": "stronger", "split": split, "gender_uar": part.gender_uar.max()}
                 for split, part in scores.groupby("split", sort=False)]
    return pd.DataFrame(rows, columns=COLUMNS)


def untrained_z(config: ExperimentConfig, encoder: str, tables: Mapping[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """z of ``encoder`` as loaded, with the experiment's model settings, before any fine-tuning (the heads are
    built but never used)."""
    args = ModelArgs.from_config(config.model, encoder=encoder, gender_head="none")
    device = resolve_device(config.train.device)
    model, tokenizer = build_model(args).to(device), load_tokenizer(args.encoder)
    plan = device_plan(config.train, device)
    return {role: infer(model, tokenizer, tables[role]["text"].tolist(), batch_size=plan.batch_size,
                        dtype=plan.dtype)[1] for role in PROBED}


def leakage_references(config: ExperimentConfig, encoder: str, tables: Mapping[str, pd.DataFrame],
                       ground_truth: pd.DataFrame | None = None) -> pd.DataFrame:
    """The reference table of an experiment: chance, the untrained ``encoder``, and with the demo's
    ``ground_truth`` (demo_ground_truth.csv) the planted markers."""
    representations = {"untrained encoder": untrained_z(config, encoder, tables)}
    if ground_truth is not None:
        representations["planted markers"] = {role: planted_markers(ground_truth, tables[role]) for role in PROBED}
    return reference_table(tables, representations, config.metrics)


def demo_ground_truth(config: ExperimentConfig, path: Path) -> pd.DataFrame | None:
    """The demo's ground truth at ``path`` when every probed corpus was generated (else the markers would not
    cover their utterances); None otherwise."""
    return pd.read_csv(path) if generated_corpora(config, *PROBED) and path.exists() else None


def generated_corpora(config: ExperimentConfig, *roles: str) -> bool:
    """Whether the corpora of ``roles`` (default: all three) are the generated demo's: a demo seed and no path.
    (Here, not in core.config: that module is part of the explain stage's code fingerprint.)"""
    return config.data.demo_seed >= 0 and not any(getattr(config.data, role).path for role in roles or ROLES)

"""The names every layer shares: label values, the table schema, corpus roles and chance levels (the
methods are declared in core.methods, Table 1's columns in core.pipeline.table1).

Torch-free on purpose: every layer, the dashboard included, reads it.
"""
from __future__ import annotations

import pandas as pd

VALENCE_CLASSES = ("low", "mid", "high")  # also the valence head's output order
GENDERS = ("F", "M")                      # also the gender head's output order
SPLITS = ("train", "val", "test", "all")
COLUMNS = ("corpus", "utt_id", "speaker", "gender", "text", "valence", "valence_class", "split")  # SPEC §2.1

ROLES = ("primary", "auxiliary", "cross")  # what an experiment uses each corpus for (SPEC §2.2)
# The corpus format each role's demo corpus is written in; also its folder name under the demo folder.
DEMO_LAYOUTS = {"primary": "iemocap", "auxiliary": "msp_improv", "cross": "muse"}
GROUND_TRUTH_FILE = "demo_ground_truth.csv"  # in the demo folder, beside the corpus folders (loaders never see it)



GENDER_CHANCE = 0.5                         # a gender probe guessing
VALENCE_CHANCE = 1 / len(VALENCE_CLASSES)   # a valence classifier guessing
ROLE_LABELS = {"primary": "primary corpus, test split", "cross": "cross corpus (never trained on)"}



def split_rows(p: pd.DataFrame) -> dict[str, pd.Series]:
    """Boolean masks of one model's predictions: within = primary test split, cross = the cross corpus."""
    return {"within": (p.role == "primary") & (p.split == "test"), "cross": p.role == "cross"}


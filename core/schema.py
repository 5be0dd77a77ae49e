"""The names every layer shares: label values, the table schema, corpus roles and the six methods (Table 1's
columns are declared in core.pipeline.table1).

Torch-free on purpose: the dashboard reads the method descriptions here without importing the
models, and the recipes (core.pipeline.recipes) take their properties from the same rows.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

VALENCE_CLASSES = ("low", "mid", "high")  # also the valence head's output order
GENDERS = ("F", "M")                      # also the gender head's output order
SPLITS = ("train", "val", "test", "all")
COLUMNS = ("corpus", "utt_id", "speaker", "gender", "text", "valence", "valence_class", "split")  # SPEC §2.1

ROLES = ("primary", "auxiliary", "cross")  # what an experiment uses each corpus for (SPEC §2.2)
# The corpus format each role's demo corpus is written in; also its folder name under the demo folder.
DEMO_LAYOUTS = {"primary": "iemocap", "auxiliary": "msp_improv", "cross": "muse"}
GROUND_TRUTH_FILE = "demo_ground_truth.csv"  # in the demo folder, beside the corpus folders (loaders never see it)


@dataclass(frozen=True)
class Method:
    """What a training method is, in words the dashboard shows (its recipe is in core.pipeline.recipes)."""

    name: str
    description: str               # one plain-language line
    attention_check: bool = False  # its inputs carry the gold label: a control, not a model to correlate


BASELINE = "Gen"  # the model every other one is compared with
METHODS = {m.name: m for m in (
    Method("Gen", "Valence only: the baseline every other model is compared with."),
    Method("PrivAdv", "Gender head behind a gradient-reversal layer: the encoder learns to hide gender."),
    Method("PrivAug", "Train on the training set plus its gender-swapped copy."),
    Method("PrivBias", "First the gender-balanced auxiliary corpus, then the primary training set (never the union)."),
    Method("GenderExp", "Valence and gender heads, both minimised: the control that should leak most."),
    Method("ArtNoise", "Sees a copy of every corpus with cell-specific nonsense tokens: the attention check.",
           attention_check=True),
)}

GENDER_CHANCE = 0.5                         # a gender probe guessing
VALENCE_CHANCE = 1 / len(VALENCE_CLASSES)   # a valence classifier guessing
ROLE_LABELS = {"primary": "primary corpus, test split", "cross": "cross corpus (never trained on)"}



def split_rows(p: pd.DataFrame) -> dict[str, pd.Series]:
    """Boolean masks of one model's predictions: within = primary test split, cross = the cross corpus."""
    return {"within": (p.role == "primary") & (p.split == "test"), "cross": p.role == "cross"}


"""The method spec: every training method declared once, and everything else derived from it.

A method is its name, its role in the study, one plain-language line, its colour, and its recipe — a
few hooks over the shared trainer (core.pipeline.recipes). Config defaults and validation, the build,
Table 1's rows, the palettes, every page's text, Explore's cards and the trust study's candidates all
read this table; nothing else lists methods. Torch-free: the recipe is named by import path and loaded
only when something trains or runs a model.

Example: PrivErase, the seventh method, is one entry below and its recipe class in core.pipeline.recipes.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # type hints only: the spec stays torch-free
    from core.config import MethodsConfig
    from core.pipeline.recipes import Gen

ROLES = ("baseline", "privacy", "control", "attention_check")
ROLE_TEXT = {"baseline": "the baseline", "privacy": "privacy method", "control": "control",
             "attention_check": "attention check"}


@dataclass(frozen=True)
class MethodSpec:
    """One training method as every layer sees it."""

    name: str
    role: str          # one of ROLES: the baseline, a privacy method, a control, the attention check
    description: str   # one plain-language line
    colour: str        # its colour in every chart (Okabe–Ito, colour-blind safe; the attention check grey)
    recipe: str        # "module:Class" of its recipe over the shared trainer
    settings: tuple[str, ...] = ()  # the [methods] settings its recipe reads: what its models' fingerprint covers

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"method {self.name!r}: role must be one of {ROLES}, got {self.role!r}")

    @property
    def attention_check(self) -> bool:
        """Its inputs carry the gold label: a control to catch inattentive annotators, not a contender."""
        return self.role == "attention_check"

    @property
    def label(self) -> str:
        """Its name as tables and charts show it: the attention check says so."""
        return f"{self.name} (attention check)" if self.attention_check else self.name

    def load_recipe(self, settings: MethodsConfig) -> Gen:
        """Its recipe, configured by the experiment's method settings (imports torch)."""
        module, _, cls = self.recipe.partition(":")
        return getattr(importlib.import_module(module), cls)(settings)


BASELINE = "Gen"  # the model every other one is compared with
METHODS: dict[str, MethodSpec] = {m.name: m for m in (
    MethodSpec("Gen", "baseline", "Valence only: the baseline every other model is compared with.", "#000000",
               "core.pipeline.recipes:Gen"),
    MethodSpec("PrivAdv", "privacy", "Gender head behind a gradient-reversal layer: the encoder learns to hide gender.",
               "#e69f00", "core.pipeline.recipes:PrivAdv", settings=("adv_lambda_max", "gender_loss_weight")),
    MethodSpec("PrivAug", "privacy", "Train on the training set plus its gender-swapped copy.", "#56b4e9",
               "core.pipeline.recipes:PrivAug"),
    MethodSpec("PrivBias", "privacy", "First the gender-balanced auxiliary corpus, then the primary training set "
               "(never the union).", "#009e73", "core.pipeline.recipes:PrivBias"),
    MethodSpec("GenderExp", "control", "Valence and gender heads, both minimised: the control that should leak most.",
               "#d55e00", "core.pipeline.recipes:GenderExp", settings=("gender_loss_weight",)),
    MethodSpec("PrivErase", "privacy", "Gen's encoder with gender erased from z by LEACE (no linear probe beats "
               "chance on the rows it was fitted on); the valence head refit on the erased z.", "#0072b2",
               "core.pipeline.recipes:PrivErase"),
    MethodSpec("ArtNoise", "attention_check", "Sees a copy of every corpus with cell-specific nonsense tokens: "
               "the attention check.", "#9e9e9e", "core.pipeline.recipes:ArtNoise",
               settings=("noise_rate", "noise_seed")),
)}
UNKNOWN_COLOUR = "#444444"  # a model in an older build that this checkout no longer declares


def spec(name: str) -> MethodSpec:
    """The spec of ``name``; ValueError naming the known methods otherwise."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {list(METHODS)}")
    return METHODS[name]


def recipe(name: str, settings: MethodsConfig) -> Gen:
    """The recipe of method ``name`` with the experiment's method settings."""
    return spec(name).load_recipe(settings)


def with_role(role: str, names: Iterable[str] | None = None) -> list[str]:
    """The methods of ``role`` among ``names`` (default: all declared), in declaration order."""
    chosen = list(METHODS) if names is None else [n for n in names if n in METHODS]
    return [n for n in chosen if METHODS[n].role == role]


def is_attention_check(name: str) -> bool:
    return name in METHODS and METHODS[name].attention_check


def label(name: str) -> str:
    return METHODS[name].label if name in METHODS else name


def colour(name: str) -> str:
    return METHODS[name].colour if name in METHODS else UNKNOWN_COLOUR


def palette(names: Iterable[str] | None = None) -> dict[str, str]:
    """Model → colour for a chart (default: every declared method)."""
    return {n: colour(n) for n in (METHODS if names is None else names)}


def description(name: str) -> str:
    return METHODS[name].description if name in METHODS else "(not declared in this version of privlens)"


def count_text(names: Iterable[str]) -> str:
    """"six models", "seven models": how the pages speak of a build's models, never a hard-coded number."""
    n = len(list(names))
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
             10: "ten"}
    return f"{words.get(n, n)} model{'s' if n != 1 else ''}"

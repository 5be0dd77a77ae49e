"""Table 1's columns, each declared once (SPEC §4–5).

`METRICS` is the one list of Table 1 metrics. Everything that names a column reads it when it runs:
`per_seed_table`, `significance_plan`, `table1` and `table1_markdown` (core.pipeline.evaluate), the build's
summary in the manifest, and the Privacy metrics page's headers, column help and required columns
(core.dashboard.privacy_metrics). A new metric is one `Table1Metric` here, plus its per-utterance
function in core.pipeline.metrics when it needs a new one.

Torch-free: the dashboard imports it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal, Mapping

import pandas as pd

from core.schema import split_rows

if TYPE_CHECKING:  # type hints only: neither enters the metrics code's fingerprint through this module
    from core.config import ExperimentConfig
    from core.pipeline.evaluate import Explanation

ARROWS = {"higher": "↑", "lower": "↓"}  # which way is better, as the page's headers show it
KINDS = ("uar", "mean")
TABLES = ("table1",)                   # the tables a metric can land in (core.pipeline.evaluate writes them)


@dataclass(frozen=True)
class Table1Inputs:
    """What a column's items are read from: the metrics stage's per-utterance tables (core.pipeline.evaluate)."""

    config: ExperimentConfig  # the experiment's settings (top_k, lexicon) for a metric computing its own items
    predictions: pd.DataFrame  # every model × seed's predictions (role, split, utt_id, valence_class, predicted, …)
    utterances: pd.DataFrame   # one row per explained utterance (explained.parquet)
    explained: Mapping[tuple, Explanation]  # (method, seed, role, utt_id) → word forms and normalised weights
    guesses: pd.DataFrame      # each gender probe's guess per utterance and split, `stronger` marked (evaluate.leakage)
    mad: pd.DataFrame          # MAD_i per non-Gen model × seed × primary-test utterance (evaluate.mad_items)
    psc: pd.DataFrame          # P_i (p_i) and its counted reading (p_words_i) (evaluate.psc_items)


Items = Callable[[Table1Inputs], pd.DataFrame]


@dataclass(frozen=True)
class Table1Metric:
    """One Table 1 column: what the page calls it, which way is better, and how it is computed and tested.

    ``items`` gives one row per utterance (method, seed, utt_id, gold and ``value``). ``kind`` says how
    they become the column's number per model × seed, and what the paired bootstrap against Gen compares
    (SPEC §4): "uar", the UAR of the labels in ``value`` against gold; "mean", the mean of ``value``.
    """

    column: str                          # the column in table1.csv, e.g. "valence_uar_within"
    label: str                           # readable words for the header; `header` adds the direction's arrow
    help: str                            # one plain-language sentence: the page's column help
    direction: Literal["higher", "lower"]  # which values are better
    items: Items                         # per-utterance frame the column is aggregated and compared from
    value: str                           # the column of ``items`` that is scored
    kind: Literal["uar", "mean"]         # aggregate per model × seed and bootstrap statistic (see above)
    baseline: float | None = None        # Gen's value by definition, when Gen has no items (MAD(Gen, Gen) = 0)
    optional: bool = False               # added later: older tables lack it, and the page shows it only if present
    table: str = "table1"                # the table it lands in

    def __post_init__(self) -> None:
        for name, value, allowed in (("direction", self.direction, tuple(ARROWS)), ("kind", self.kind, KINDS),
                                     ("table", self.table, TABLES)):
            if value not in allowed:
                raise ValueError(f"metric {self.column!r}: {name} must be one of {allowed}, got {value!r}")

    @property
    def header(self) -> str:
        """The page's column header: the label and the arrow of the better direction."""
        return f"{self.label} {ARROWS[self.direction]}"


def _valence(split: str) -> Items:
    """Valence predictions on one split ("within": primary test; "cross": the cross corpus) against gold."""
    def items(inputs: Table1Inputs) -> pd.DataFrame:
        rows = inputs.predictions[split_rows(inputs.predictions)[split]]
        return rows.assign(gold=rows.valence_class)
    return items


def _gender(split: str, probe: str | None = None) -> Items:
    """One probe's gender guesses on one split against the speaker's gender; without ``probe``, the stronger
    probe's, whose UAR is the max over probes."""
    def items(inputs: Table1Inputs) -> pd.DataFrame:
        guesses = inputs.guesses.rename(columns={"gender": "gold"})
        chosen = guesses.stronger if probe is None else guesses.probe == probe
        return guesses[(guesses.split == split) & chosen]
    return items


def _mad(inputs: Table1Inputs) -> pd.DataFrame:
    """MAD_i per utterance; gold is unused by a mean."""
    return inputs.mad.drop(columns="item").assign(gold=0)


def _psc(inputs: Table1Inputs) -> pd.DataFrame:
    """P_i, weighed and counted, per utterance Gen of the same seed got right; gold is unused by a mean."""
    return inputs.psc.assign(gold=0)


METRICS: list[Table1Metric] = [
    Table1Metric("valence_uar_within", "valence, primary", "How well the model recognises low, mid and high "
                 "valence on the test split of the corpus it was trained on (UAR, balanced accuracy; chance is 0.33).",
                 "higher", _valence("within"), "predicted", "uar"),
    Table1Metric("valence_uar_cross", "valence, cross", "How well the model recognises valence on another corpus, "
                 "one it never trained on (UAR; chance is 0.33).", "higher", _valence("cross"), "predicted", "uar"),
    Table1Metric("gender_uar_within", "gender leak, primary", "How well an attacker's probe recovers the speaker's "
                 "gender from the model's internal representation, on the primary test split: the stronger of the "
                 "linear and the nonlinear attacker (UAR; 0.5 is guessing, so closer to 0.5 leaks less).", "lower",
                 _gender("within"), "guess", "uar"),
    Table1Metric("gender_uar_cross", "gender leak, cross", "The same attacker's probe on the cross corpus (UAR; "
                 "0.5 is guessing).", "lower", _gender("cross"), "guess", "uar"),
    Table1Metric("mad", "MAD", "How much the model stopped relying on words people read as gender cues, "
                 "compared with Gen (0 for Gen; higher is closer to what people perceive as private).",
                 "higher", _mad, "mad_i", "mean", baseline=0.0),
    Table1Metric("psc", "Psc", "How much weight the model puts on words whose sentiment contradicts the true "
                 "answer (lower means fewer spurious cues).", "lower", _psc, "p_i", "mean"),
    Table1Metric("psc_words", "Psc words", "The share of words whose sentiment contradicts the true answer, "
                 "counted rather than weighed, so the weight normalisation does not matter (lower is better).",
                 "lower", _psc, "p_words_i", "mean", optional=True),
    # Each attacker family on its own (SPEC §4); the headline columns above are the stronger of the two.
    Table1Metric("gender_uar_linear_within", "linear attacker, primary", "Gender leak on the primary test split as "
                 "a linear probe (logistic regression) reads it, the attacker LEACE erasure (PrivErase) is built "
                 "to defeat (UAR; 0.5 is guessing).", "lower", _gender("within", "logreg"), "guess", "uar",
                 optional=True),
    Table1Metric("gender_uar_linear_cross", "linear attacker, cross", "The linear probe's gender leak on the cross "
                 "corpus (UAR; 0.5 is guessing).", "lower", _gender("cross", "logreg"), "guess", "uar", optional=True),
    Table1Metric("gender_uar_mlp_within", "nonlinear attacker, primary", "Gender leak on the primary test split as "
                 "a nonlinear probe (an MLP with one hidden layer) reads it: it can find gender that no straight "
                 "line separates (UAR; 0.5 is guessing).", "lower", _gender("within", "mlp"), "guess", "uar",
                 optional=True),
    Table1Metric("gender_uar_mlp_cross", "nonlinear attacker, cross", "The nonlinear probe's gender leak on the "
                 "cross corpus (UAR; 0.5 is guessing).", "lower", _gender("cross", "mlp"), "guess", "uar",
                 optional=True),
]


def metrics(table: str = "table1") -> list[Table1Metric]:
    """The metrics landing in ``table``, in column order (read from `METRICS` on every call)."""
    return [metric for metric in METRICS if metric.table == table]


def columns(table: str = "table1") -> tuple[str, ...]:
    """The value columns of ``table``, in order; each has ``_std``, ``_p``, ``_p_ttest`` and ``_sig`` companions."""
    return tuple(metric.column for metric in metrics(table))

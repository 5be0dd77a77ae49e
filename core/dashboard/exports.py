"""Context that travels with every download, so a chart or CSV read on its own still says which experiment it
comes from and whether its corpora were the synthetic demo's.

Charts carry it as a subtitle (what plotly's camera button saves); CSVs as two plain columns, ``experiment``
and ``corpora``, repeated on every row, so the file stays one rectangular table any CSV reader loads.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

SYNTHETIC_CORPORA = "synthetic demo corpora (generated, not real speech)"
SYNTHETIC_NOTICE = ("**Synthetic demo data.** These models were trained on generated stand-ins for IEMOCAP, MSP-IMPROV "
                    "and MuSE with planted gender and valence cues, not on real speech transcripts: the numbers show "
                    "how privlens works, not how real models behave.")  # the pages' notice and the report's
REAL_CORPORA = "the corpora named in the experiment's config"


def corpora_note(synthetic: bool) -> str:
    """What the models were trained and tested on, in words."""
    return SYNTHETIC_CORPORA if synthetic else REAL_CORPORA


def context_line(experiment: str, synthetic: bool) -> str:
    """A chart's subtitle: "privlens · experiment demo · synthetic demo corpora (…)" (real data: no note)."""
    return f"privlens · experiment {experiment}" + (f" · {SYNTHETIC_CORPORA}" if synthetic else "")


def with_context(figure: go.Figure, line: str) -> go.Figure:
    """``figure`` (changed in place and returned) with ``line`` as a small grey subtitle and the top margin it
    needs."""
    top = figure.layout.margin.t if figure.layout.margin.t is not None else 60
    figure.update_layout(title={"subtitle": {"text": line, "font": {"size": 11, "color": "#555555"}}},
                         margin={"t": top + 18})
    return figure


def with_context_columns(frame: pd.DataFrame, experiment: str, synthetic: bool) -> pd.DataFrame:
    """``frame`` (a copy) with the ``experiment`` and ``corpora`` columns first."""
    front = pd.DataFrame({"experiment": experiment, "corpora": corpora_note(synthetic)}, index=frame.index)
    return pd.concat([front, frame.drop(columns=["experiment", "corpora"], errors="ignore")], axis=1)

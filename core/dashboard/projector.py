"""The Projector page's logic: which models it opens with, its two figures, and the point a user picked.

The points come from metrics/projection.csv (core.pipeline.projection); this module only draws them
(no Streamlit). Hover text is escaped here, as every text a chart shows.
"""
from __future__ import annotations

import html
import textwrap
from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from core.methods import BASELINE, colour, label, with_role
from core.pipeline.projection import separation
from core.schema import GENDERS, VALENCE_CLASSES

FEATURED = "PrivErase"  # LEACE: the model whose linear gender axis should be flat, shown beside Gen by default
# Colour per group (Okabe–Ito, colour-blind safe), distinct from the model colours of core.methods.
GROUPS = {"gender": dict(zip(GENDERS, ("#cc79a7", "#009e73"))),
          "valence_class": dict(zip(VALENCE_CLASSES, ("#d55e00", "#999999", "#0072b2")))}
HOVER_WIDTH = 60  # characters per hover line


def default_models(methods: Sequence[str]) -> list[str]:
    """Gen beside PrivErase, or beside the build's first privacy method when it has no PrivErase."""
    privacy = [FEATURED] if FEATURED in methods else with_role("privacy", methods)[:1]
    return [m for m in (BASELINE, *privacy) if m in methods]


def hover_text(text: str) -> str:
    """An utterance as plotly's hover label shows it: escaped (it reads a little HTML) and wrapped."""
    return "<br>".join(textwrap.wrap(html.escape(text), HOVER_WIDTH, break_long_words=False)) or "(empty)"


def scatter(points: pd.DataFrame, method: str, colour_by: str) -> go.Figure:
    """One model's PCA of z, a trace per gender or valence class; each point carries its utt_id."""
    figure = go.Figure()
    for group, fill in GROUPS[colour_by].items():
        part = points[points[colour_by] == group]
        figure.add_trace(go.Scatter(
            x=part.pc1, y=part.pc2, mode="markers", name=group, marker={"color": fill, "size": 6, "opacity": 0.7},
            customdata=list(zip(part.utt_id, part.text.map(hover_text))),
            hovertemplate="%{customdata[1]}<extra>" + group + "</extra>"))
    figure.update_xaxes(title="PC 1")
    figure.update_yaxes(title="PC 2")
    return _layout(figure, f"{label(method)}: its representation (PCA)", colour(method))


def gender_histogram(points: pd.DataFrame, method: str) -> go.Figure:
    """One model's utterances on its LDA gender axis, F and M overlaid, with how far apart they lie."""
    figure = go.Figure()
    for group, fill in GROUPS["gender"].items():
        figure.add_trace(go.Histogram(x=points.gender_axis[points.gender == group], name=group, marker_color=fill,
                                      opacity=0.6, histnorm="percent", nbinsx=40))
    figure.update_layout(barmode="overlay")
    figure.update_xaxes(title="gender axis (within-gender SDs, F to the right)")
    figure.update_yaxes(title="% of the gender's utterances")
    d = separation(points.gender_axis, points.gender)
    return _layout(figure, f"{label(method)}: linear gender axis, F − M = {d:.2f} SD", colour(method))


def picked_utt(selection: Mapping) -> str | None:
    """The utt_id of the first point of a plotly selection event (None when nothing is selected)."""
    points = selection.get("selection", {}).get("points", [])
    return str(points[0]["customdata"][0]) if points else None


def _layout(figure: go.Figure, title: str, title_colour: str) -> go.Figure:
    figure.update_layout(title={"text": title, "font": {"color": title_colour}}, height=360, template="plotly_white",
                         margin={"l": 50, "r": 10, "t": 50, "b": 40}, legend={"orientation": "h", "y": -0.25},
                         modebar={"orientation": "v"})
    return figure

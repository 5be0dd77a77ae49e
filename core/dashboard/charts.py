"""The dashboard's plotly figures, built from the dashboard modules' frames (no Streamlit).

Every figure draws its chance level, shows intervals where the data has them, and keeps its value
axis anchored (0..1 for UARs, zero included for MAD/Psc) so a 0.005 difference looks like one. The
attention-check model (ArtNoise) is drawn grey with an ✕ and labelled as such.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.methods import colour, is_attention_check, label
from core.schema import GENDER_CHANCE, VALENCE_CHANCE


def download_config(filename: str, image_format: str = "png") -> dict:
    """Plotly's toolbar: the camera button saves the chart as ``image_format`` (png or svg)."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": image_format, "filename": filename, "scale": 2}}


def _layout(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    figure.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50},
                         legend={"orientation": "h", "y": -0.2}, template="plotly_white",
                         modebar={"orientation": "v"})  # the toolbar beside the plot, not over the title
    return figure


def privacy_utility(points: pd.DataFrame, split: str, *, untrained: float | None = None) -> go.Figure:
    """Gender UAR of the probe (x, lower = less leakage) against valence UAR (y, higher = more useful); with
    ``untrained`` (the untrained encoder's leakage) a line a model must be left of to have removed gender."""
    mine = points[points.split == split]
    figure = go.Figure()
    for _, row in mine.iterrows():
        figure.add_trace(go.Scatter(
            x=[row.gender_uar], y=[row.valence_uar], mode="markers", name=label(row.model),
            error_x=_interval(row, "gender"), error_y=_interval(row, "valence"),
            hovertemplate=f"{label(row.model)}<br>gender UAR %{{x:.3f}}<br>valence UAR %{{y:.3f}}<extra></extra>",
            marker={"size": 13, "color": colour(row.model),
                    "symbol": "x" if row.attention_check else "circle"}))
    figure.add_vline(x=GENDER_CHANCE, line_dash="dot", annotation_text="gender guessed at chance",
                     annotation_position="bottom right")
    if untrained is not None:
        figure.add_vline(x=untrained, line_dash="dash", line_color="#777777", annotation_text="untrained encoder",
                         annotation_position="top left")
    figure.add_hline(y=VALENCE_CHANCE, line_dash="dot", annotation_text="valence at chance",
                     annotation_position="top left")
    figure.update_xaxes(title="gender UAR an attacker's probe reaches (← leaks less)", range=[0.3, 1.0])
    figure.update_yaxes(title="valence UAR (↑ more useful)", range=[0.2, 1.0])
    return _layout(figure, f"Privacy–utility trade-off: {_where(split)}", height=430)


def _interval(row: pd.Series, axis: str) -> dict | None:
    """Plotly error bars from ``{axis}_low`` / ``{axis}_high`` when the row has them."""
    low, high, value = row.get(f"{axis}_low"), row.get(f"{axis}_high"), row[f"{axis}_uar"]
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return None
    return {"type": "data", "symmetric": False, "array": [high - value], "arrayminus": [value - low], "width": 0}


def attacker_budget(points: pd.DataFrame, split: str, *, untrained: float | None = None) -> go.Figure:
    """The linear attacker's gender UAR (y) against its labelled examples (x, log scale), one line per model
    (points: core.dashboard.privacy_metrics.budget_curve) with its interval as bars."""
    figure = _attacker_lines(points, "budget", untrained)
    figure.update_xaxes(title="labelled utterances the attacker learns from (log scale)", type="log")
    return _layout(figure, f"Linear attacker vs its data: {_where(split)}")


def attacker_capacity(points: pd.DataFrame, split: str, *, untrained: float | None = None) -> go.Figure:
    """Gender UAR (y) of attackers of growing capacity (x, weakest first) given every labelled utterance, one
    line per model (points: core.dashboard.privacy_metrics.capacity_curve) with 95% bootstrap bars."""
    figure = _attacker_lines(points, "capacity", untrained)
    figure.update_xaxes(title="attacker (probe capacity)", type="category")
    return _layout(figure, f"Attackers of growing capacity: {_where(split)}")


def _attacker_lines(points: pd.DataFrame, x: str, untrained: float | None) -> go.Figure:
    """One line per model through ``points[x]`` against gender_uar with low/high bars, chance and the untrained
    encoder drawn; the UAR axis anchored like the trade-off chart's."""
    figure = go.Figure()
    for model, part in points.groupby("method", sort=False):
        figure.add_trace(go.Scatter(
            x=part[x], y=part.gender_uar, mode="lines+markers", name=label(model),
            error_y={"type": "data", "symmetric": False, "array": part.high - part.gender_uar,
                     "arrayminus": part.gender_uar - part.low},
            hovertemplate=f"{label(model)}<br>%{{x}}: gender UAR %{{y:.3f}}<extra></extra>",
            line={"color": colour(model), "dash": "dot" if is_attention_check(model) else "solid"},
            marker={"color": colour(model), "symbol": "x" if is_attention_check(model) else "circle"}))
    figure.add_hline(y=GENDER_CHANCE, line_dash="dot", annotation_text="chance")
    if untrained is not None:
        figure.add_hline(y=untrained, line_dash="dash", line_color="#777777", annotation_text="untrained encoder")
    figure.update_yaxes(title="gender UAR the attacker reaches (↓ leaks less)", range=[0.3, 1.0])
    return figure


def _where(split: str) -> str:
    return "primary corpus, test split" if split == "within" else "cross corpus"


def interval_bars(frame: pd.DataFrame, *, title: str, axis: str, reference: float | None = 0.0,
                  reference_label: str = "") -> go.Figure:
    """One bar per model (frame: model, mean, low, high) with its bootstrap interval."""
    figure = go.Figure(go.Bar(
        x=[label(m) for m in frame.model], y=frame["mean"],
        marker_color=[colour(m) for m in frame.model],
        error_y={"type": "data", "symmetric": False, "array": frame["high"] - frame["mean"],
                 "arrayminus": frame["mean"] - frame["low"]},
        hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    if reference is not None:
        figure.add_hline(y=reference, line_dash="dot", annotation_text=reference_label)
    figure.update_yaxes(title=axis, rangemode="tozero")
    return _layout(figure, title)


def within_cross(uars: pd.DataFrame) -> go.Figure:
    """Valence UAR within vs cross corpus per model (uars: model, split, uar, low, high), chance drawn."""
    figure = go.Figure()
    for split, fill in (("within", "#4c78a8"), ("cross", "#f58518")):
        part = uars[uars.split == split]
        figure.add_trace(go.Bar(
            x=[label(m) for m in part.model], y=part.uar, name="primary test" if split == "within" else "cross corpus",
            marker_color=fill, error_y={"type": "data", "symmetric": False, "array": part.high - part.uar,
                                          "arrayminus": part.uar - part.low},
            hovertemplate="%{x}: %{y:.3f}<extra></extra>"))
    figure.add_hline(y=VALENCE_CHANCE, line_dash="dot", annotation_text="chance (3 classes)")
    figure.update_yaxes(title="valence UAR", range=[0, 1])
    return _layout(figure.update_layout(barmode="group"), "Valence UAR on the corpus trained on vs another corpus")


def psc_vs_cross(per_seed: pd.DataFrame) -> go.Figure:
    """Psc (x) against cross-corpus valence UAR (y), one point per model and seed."""
    figure = go.Figure()
    for model, part in per_seed.groupby("method", sort=False):
        figure.add_trace(go.Scatter(
            x=part.psc, y=part.valence_uar_cross, mode="markers", name=label(model),
            hovertemplate=f"{label(model)}<br>Psc %{{x:.4f}}<br>cross UAR %{{y:.3f}}<extra></extra>",
            marker={"size": 12, "color": colour(model), "symbol": "x" if is_attention_check(model) else "circle"}))
    figure.add_hline(y=VALENCE_CHANCE, line_dash="dot", annotation_text="chance")
    figure.update_xaxes(title="Psc: weight on words contradicting the gold class (← better)", rangemode="tozero")
    figure.update_yaxes(title="cross-corpus valence UAR", range=[0, 1])
    return _layout(figure, "Reliance on contradicting words vs cross-corpus accuracy")


def overlap_bars(overlap: pd.DataFrame) -> go.Figure:
    """Share of explanation sets holding a gender-perception word, per category and model."""
    figure = go.Figure()
    for model, part in overlap.groupby("model", sort=False):
        figure.add_trace(go.Bar(x=part.category, y=part.share, name=label(model),
                                marker_color=colour(model),
                                customdata=part.sets, hovertemplate="%{x}: %{y:.1%} (%{customdata} sets)<extra></extra>"))
    figure.update_yaxes(title="share of top-word sets", tickformat=".0%", rangemode="tozero")
    return _layout(figure.update_layout(barmode="group"),
                   "How often a model's top words include gender-perception words")


def category_shares(shares: pd.DataFrame) -> go.Figure:
    """MAD breakdown: per model, the share of changed lexicon words each category contributes."""
    long = shares.melt(id_vars="model", var_name="category", value_name="share")
    figure = go.Figure()
    for model, part in long.groupby("model", sort=False):
        figure.add_trace(go.Bar(x=part.category, y=part.share, name=label(model),
                                marker_color=colour(model),
                                hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    figure.update_yaxes(title="share of words dropped or added vs Gen", tickformat=".0%", range=[0, 1])
    return _layout(figure.update_layout(barmode="group"), "Which kinds of gender cue changed (MAD breakdown)")


def contrast_bars(shares: pd.DataFrame, *, title: str, axis: str) -> go.Figure:
    """Right vs wrong group (shares: group, key, share) side by side."""
    figure = go.Figure()
    for group, fill in (("right", "#4c78a8"), ("wrong", "#e45756")):
        part = shares[shares.group == group]
        figure.add_trace(go.Bar(x=part.key, y=part.share, name=f"{group} predictions", marker_color=fill,
                                hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    figure.update_yaxes(title=axis, tickformat=".0%", rangemode="tozero")
    return _layout(figure.update_layout(barmode="group"), title, height=340)

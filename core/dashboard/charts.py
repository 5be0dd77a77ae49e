"""The dashboard's plotly figures, built from the dashboard modules' frames (no Streamlit).

Every figure draws its chance level, shows intervals where the data has them, and keeps its value
axis anchored (0..1 for UARs, zero included for MAD/Psc) so a 0.005 difference looks like one. The
attention-check model (ArtNoise) is drawn grey with an ✕ and labelled as such.
"""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.dashboard.glossary import words
from core.methods import BASELINE, colour, is_attention_check, label
from core.schema import GENDER_CHANCE, VALENCE_CHANCE


def download_config(filename: str, image_format: str = "png") -> dict:
    """Plotly's toolbar: the camera button saves the chart as ``image_format`` (png or svg)."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": image_format, "filename": filename, "scale": 2}}


def _layout(figure: go.Figure, title: str, height: int = 380) -> go.Figure:
    top = 60 + 22 * title.count("<br>")  # a title wrapped for narrow screens needs a line more
    figure.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": top, "b": 50},
                         legend={"orientation": "h", "yanchor": "top", "y": -0.3}, template="plotly_white",
                         modebar={"orientation": "v"})  # the toolbar beside the plot, not over the title
    return figure


def privacy_utility(points: pd.DataFrame, split: str, *, untrained: float | None = None) -> go.Figure:
    """Gender UAR of the probe (x, lower = less leakage) against valence UAR (y, higher = more useful); with
    ``untrained`` (the untrained encoder's leakage) a line a model must be left of to have removed gender.

    Every point carries its model's name beside it (placed by `label_positions` so names do not overlap), markers
    are outlined and half-transparent so a point behind another still shows, and Gen is drawn last, on top.
    """
    mine = on_top(points[points.split == split].reset_index(drop=True))
    positions = label_positions(mine.gender_uar, mine.valence_uar, mine.model, x_range=(0.3, 1.0), y_range=(0.2, 1.0))
    figure = go.Figure()
    for (_, row), position in zip(mine.iterrows(), positions):
        figure.add_trace(go.Scatter(
            x=[row.gender_uar], y=[row.valence_uar], mode="markers+text", name=label(row.model),
            text=[row.model], textposition=position, textfont={"color": colour(row.model), "size": 12},
            error_x=_interval(row, "gender"), error_y=_interval(row, "valence"),
            hovertemplate=f"{label(row.model)}<br>gender UAR %{{x:.3f}}<br>valence UAR %{{y:.3f}}<extra></extra>",
            marker={"size": 12, "color": colour(row.model), "opacity": 0.85, "line": {"color": "white", "width": 1},
                    "symbol": "x" if row.attention_check else "circle"}))
    figure.add_vline(x=GENDER_CHANCE, line_dash="dot", annotation_text="gender at chance",
                     annotation_position="bottom right")
    if untrained is not None:
        figure.add_vline(x=untrained, line_dash="dash", line_color="#777777", annotation_text="untrained encoder",
                         annotation_position="top left")
    figure.add_hline(y=VALENCE_CHANCE, line_dash="dot", annotation_text="valence at chance",
                     annotation_position="top left")
    figure.update_xaxes(title="gender UAR of an attacker's probe (← leaks less)", range=[0.3, 1.0])
    figure.update_yaxes(title="valence UAR (↑ more useful)", range=[0.2, 1.0])
    return _layout(figure, f"Privacy vs utility:<br>{_where(split)}", height=460)


def on_top(points: pd.DataFrame) -> pd.DataFrame:
    """``points`` reordered so that the baseline comes last: plotly draws later traces over earlier ones."""
    return pd.concat([points[points.model != BASELINE], points[points.model == BASELINE]], ignore_index=True)


POSITIONS = ("middle right", "middle left", "top center", "bottom center", "top right", "bottom right",
             "top left", "bottom left")
_OFFSET = {"top": 14, "middle": 0, "bottom": -14}  # label centre from the marker in px; right/left add half its width


def label_positions(x: pd.Series, y: pd.Series, names: pd.Series, *, x_range: tuple[float, float],
                    y_range: tuple[float, float], size: tuple[int, int] = (380, 280)) -> list[str]:
    """A plotly textposition per point such that the names, 7 px per character and 14 px high on a plot area of
    ``size`` px (about the narrowest it is drawn), overlap each other and the markers as little as possible
    (greedy, in the given order)."""
    def to_px(a: float, b: float) -> tuple[float, float]:
        return ((a - x_range[0]) / (x_range[1] - x_range[0]) * size[0],
                (b - y_range[0]) / (y_range[1] - y_range[0]) * size[1])

    markers = [(*to_px(a, b), 12.0, 12.0) for a, b in zip(x, y)]
    placed: list[tuple[float, float, float, float]] = []
    chosen = []
    for (mx, my, _, _), name in zip(markers, names):
        width = 7.0 * len(str(name))
        boxes = {p: _box(p, mx, my, width) for p in POSITIONS}
        best = min(POSITIONS, key=lambda p: sum(_overlap(boxes[p], other) for other in placed + markers))
        placed.append(boxes[best])
        chosen.append(best)
    return chosen


def _box(position: str, x: float, y: float, width: float) -> tuple[float, float, float, float]:
    """The centre and size (cx, cy, w, h) of a label at ``position`` around a marker at (x, y)."""
    vertical, horizontal = position.split()
    shift = {"right": 8 + width / 2, "left": -8 - width / 2, "center": 0.0}[horizontal]
    return x + shift, y + _OFFSET[vertical], width, 14.0


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """The area two centred boxes share (px²)."""
    dx = min(a[0] + a[2] / 2, b[0] + b[2] / 2) - max(a[0] - a[2] / 2, b[0] - b[2] / 2)
    dy = min(a[1] + a[3] / 2, b[1] + b[3] / 2) - max(a[1] - a[3] / 2, b[1] - b[3] / 2)
    return max(dx, 0.0) * max(dy, 0.0)


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
    budgets = sorted(points.budget.unique())
    figure.update_xaxes(title="labelled utterances the attacker learns from (log scale)", type="log",
                        tickvals=budgets, ticktext=[f"{b:,}" for b in budgets])
    return _layout(figure, f"Linear attacker vs its data:<br>{_where(split)}", height=480)


def attacker_capacity(points: pd.DataFrame, split: str, *, untrained: float | None = None) -> go.Figure:
    """Gender UAR (y) of attackers of growing capacity (x, weakest first) given every labelled utterance, one
    line per model (points: core.dashboard.privacy_metrics.capacity_curve) with 95% bootstrap bars."""
    figure = _attacker_lines(points, "capacity", untrained)
    figure.update_xaxes(title="attacker (probe capacity)", type="category")
    return _layout(figure, f"Attackers of growing capacity:<br>{_where(split)}", height=480)


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
    figure.update_yaxes(title="attacker's gender UAR (↓ leaks less)", range=[0.3, 1.0])
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
    return _layout(figure.update_layout(barmode="group"), "Valence UAR on the corpus trained on<br>vs another corpus")


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
    return _layout(figure, "Reliance on contradicting words<br>vs cross-corpus accuracy")


def overlap_bars(overlap: pd.DataFrame) -> go.Figure:
    """Share of explanation sets holding a gender-perception word, per category and model."""
    figure = go.Figure()
    for model, part in overlap.groupby("model", sort=False):
        figure.add_trace(go.Bar(x=part.category.map(words), y=part.share, name=label(model),
                                marker_color=colour(model),
                                customdata=part.sets, hovertemplate="%{x}: %{y:.1%} (%{customdata} sets)<extra></extra>"))
    figure.update_yaxes(title="share of top-word sets", tickformat=".0%", rangemode="tozero")
    return _layout(figure.update_layout(barmode="group"),
                   "How often a model's top words<br>include gender-perception words", height=440)


def category_shares(shares: pd.DataFrame) -> go.Figure:
    """MAD breakdown: per model, the share of changed lexicon words each category contributes."""
    long = shares.melt(id_vars="model", var_name="category", value_name="share")
    figure = go.Figure()
    for model, part in long.groupby("model", sort=False):
        figure.add_trace(go.Bar(x=part.category.map(words), y=part.share, name=label(model),
                                marker_color=colour(model),
                                hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    figure.update_yaxes(title="share of words dropped or added vs Gen", tickformat=".0%", range=[0, 1])
    return _layout(figure.update_layout(barmode="group"), "Which kinds of gender cue changed<br>(MAD breakdown)", height=440)


def contrast_bars(shares: pd.DataFrame, *, title: str, axis: str) -> go.Figure:
    """Right vs wrong group (shares: group, key, share) side by side."""
    figure = go.Figure()
    for group, fill in (("right", "#4c78a8"), ("wrong", "#e45756")):
        part = shares[shares.group == group]
        figure.add_trace(go.Bar(x=part.key, y=part.share, name=f"{group} predictions", marker_color=fill,
                                hovertemplate="%{x}: %{y:.1%}<extra></extra>"))
    figure.update_yaxes(title=axis, tickformat=".0%", rangemode="tozero")
    return _layout(figure.update_layout(barmode="group"), title, height=340)

"""Word highlights as HTML: one diverging colour scale shared by every model shown together.

A word's background says how much it pushed the model toward its prediction (orange) or away from
it (blue); the shade is |weight| / scale, where one scale serves all models on screen so equal
colours mean equal weights. Hovering a word shows its weight; words of the gender-perception
lexicon are boxed and their hover text names the category. Every piece of text is HTML-escaped:
typed ``<script>`` shows as text.
"""
from __future__ import annotations

import html
from typing import Iterable, Sequence

import numpy as np

from core.data.words import Word

TOWARD = (230, 97, 1)     # orange: the word pushes toward the predicted class
AGAINST = (33, 102, 172)  # blue: the word pushes away from it
WHITE = (255, 255, 255)
LEXICON_BOX = "border:1.5px solid #222;border-radius:3px;padding:0 2px"


def shared_scale(*weight_lists: Iterable[float]) -> float:
    """The largest |weight| over every list: the colour scale's end (1.0 when all are zero or empty)."""
    values = [abs(float(w)) for weights in weight_lists for w in weights if np.isfinite(w)]
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


def fill(weight: float, scale: float) -> tuple[int, int, int]:
    """The background for ``weight`` on [-scale, scale]: white at 0, orange/blue at ±scale."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    share = min(abs(weight) / scale, 1.0) if np.isfinite(weight) else 0.0
    end = TOWARD if weight > 0 else AGAINST
    r, g, b = (round(w + share * (e - w)) for w, e in zip(WHITE, end))
    return r, g, b


def colour(weight: float, scale: float) -> str:
    """CSS ``rgb(...)`` of `fill`."""
    return "rgb({},{},{})".format(*fill(weight, scale))


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours (1 to 21; AA asks 4.5 for text)."""
    def luminance(rgb: tuple[int, int, int]) -> float:
        c = [v / 255 for v in rgb]
        c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


DARK, LIGHT = (0, 0, 0), (255, 255, 255)  # one of the two always reaches 4.58:1 on any fill


def text_colour(weight: float, scale: float) -> tuple[int, int, int]:
    """Dark or white text, whichever contrasts more with the word's fill (always at least WCAG AA's 4.5:1)."""
    background = fill(weight, scale)
    return max((DARK, LIGHT), key=lambda text: contrast(text, background))


def _text_colour(weight: float, scale: float) -> str:
    return "rgb({},{},{})".format(*text_colour(weight, scale))


def _word_span(word: str, weight: float, scale: float, categories: Sequence[str]) -> str:
    hover = f"weight {weight:+.3f}"
    style = f"background:{colour(weight, scale)};color:{_text_colour(weight, scale)};padding:0 1px"
    if categories:
        hover += " · gender-perception lexicon: " + ", ".join(sorted(categories))
        style += ";" + LEXICON_BOX
    label = html.escape(f"{word}: {hover}")  # the weight for keyboard and screen-reader users, not only on hover
    return (f'<span title="{html.escape(hover)}" aria-label="{label}" tabindex="0" style="{style}">'
            f'{html.escape(word)}</span>')


def highlight_html(words: Sequence[str | Word], weights: Sequence[float], *,
                   categories: Sequence[Iterable[str] | str | None] | None = None,
                   scale: float | None = None, text: str | None = None) -> str:
    """An utterance as HTML with each word shaded by its signed weight.

    ``words`` are word strings, or `core.data.words.Word` spans of ``text``; with ``text`` and spans the
    characters between words (spaces, anything not a word) are kept as typed, otherwise words are
    joined by single spaces. ``categories`` gives per word its gender-lexicon categories (None or
    empty: not in the lexicon). ``scale`` is the shared colour scale (default: this utterance's
    largest |weight|, see `shared_scale`).
    """
    if len(words) != len(weights):
        raise ValueError(f"got {len(words)} words but {len(weights)} weights")
    if categories is not None and len(categories) != len(words):
        raise ValueError(f"got {len(words)} words but {len(categories)} category entries")
    scale = shared_scale(weights) if scale is None else scale
    spans = []
    position = 0
    for i, (word, weight) in enumerate(zip(words, weights)):
        cats = _as_categories(categories[i] if categories is not None else None)
        if text is not None and isinstance(word, Word):
            spans.append(html.escape(text[position:word.start]))
            position = word.end
        elif i:
            spans.append(" ")
        spans.append(_word_span(word.text if isinstance(word, Word) else str(word), float(weight), scale, cats))
    if text is not None and words and isinstance(words[-1], Word):
        spans.append(html.escape(text[position:]))
    return f'<div style="line-height:1.9;font-size:1.02rem">{"".join(spans)}</div>'


def _as_categories(value: Iterable[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(value)


def legend_html(scale: float, *, target_label: str = "the predicted class") -> str:
    """The colour key for ``scale``: a gradient from −scale to +scale and the lexicon box."""
    stops = ", ".join(colour(v * scale, scale) for v in (-1, -0.5, 0, 0.5, 1))
    label = html.escape(target_label)
    return (
        '<div style="display:flex;flex-wrap:wrap;align-items:center;gap:0.6rem;font-size:0.85rem">'
        f'<span>pushes away from {label}</span>'
        f'<span style="display:inline-block;width:160px;height:12px;border:1px solid #999;'
        f'background:linear-gradient(to right, {stops})"></span>'
        f'<span>pushes toward {label}</span>'
        f'<span style="color:#555">(scale ±{scale:.3f}, same for every model; hover a word for its weight)</span>'
        f'<span style="{LEXICON_BOX}">boxed</span><span>= word people read as a gender cue '
        '(hover for its category)</span></div>')

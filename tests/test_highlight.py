"""Highlight HTML: escaping, the shared diverging scale, hover weights, lexicon boxes, the legend."""
from __future__ import annotations

import html
import re

import numpy as np
import pytest

from core.dashboard.highlight import colour, contrast, fill, highlight_html, legend_html, shared_scale, text_colour
from core.data.words import split_words


def test_shared_scale_is_the_largest_absolute_weight_over_all_models():
    assert shared_scale([0.1, -0.4], [0.3], []) == 0.4
    assert shared_scale([0.0, 0.0]) == 1.0
    assert shared_scale([]) == 1.0
    assert shared_scale([float("nan"), -0.2]) == 0.2


def test_colour_is_white_at_zero_and_the_end_colour_at_the_scale():
    assert colour(0.0, 0.5) == "rgb(255,255,255)"
    assert colour(0.5, 0.5) == "rgb(230,97,1)"
    assert colour(-0.5, 0.5) == "rgb(33,102,172)"
    assert colour(9.0, 0.5) == colour(0.5, 0.5)  # clipped, never past the end
    assert colour(0.1, 0.5) == "rgb(250,223,204)"  # a fifth of the way: 255 - 0.2·(255 - 230, 255 - 97, 255 - 1)
    with pytest.raises(ValueError, match="scale"):
        colour(0.1, 0.0)


def test_every_piece_of_text_is_escaped():
    text = "<script>alert(1)</script> <b>x</b> & \"q\""
    words = split_words(text)
    out = highlight_html(words, [0.1] * len(words), text=text)
    assert "<script" not in out and "<b>" not in out
    assert html.unescape(re.sub(r"<[^>]+>", "", out)) == text  # shown exactly as typed
    legend = legend_html(0.5, target_label="<i>high</i>")
    assert "<i>" not in legend and "&lt;i&gt;high&lt;/i&gt;" in legend


def test_spans_keep_the_typed_spacing_and_carry_weights_on_hover():
    text = "Well,  I'm  fine."
    words = split_words(text)
    out = highlight_html(words, [0.5, -0.25, 0.0, 1.0, 0.0], text=text)
    visible = re.sub(r"<[^>]+>", "", out)
    assert visible == "Well,  I&#x27;m  fine."
    titles = re.findall(r'title="([^"]+)"', out)
    assert titles == ["weight +0.500", "weight -0.250", "weight +0.000", "weight +1.000", "weight +0.000"]


def test_the_scale_is_shared_not_per_utterance():
    alone = highlight_html(["good"], [0.2])
    shared = highlight_html(["good"], [0.2], scale=0.4)
    assert colour(0.2, 0.2) in alone and colour(0.2, 0.4) in shared


def test_lexicon_words_are_boxed_with_their_category_on_hover():
    out = highlight_html(["maybe", "sad", "husband"], [0.1, 0.2, 0.3],
                         categories=[["hedge"], None, {"referential", "gendered_term"}])
    spans = re.findall(r"<span [^>]+>[^<]*</span>", out)
    assert "border" in spans[0] and "gender-perception lexicon: hedge" in spans[0]
    assert "border" not in spans[1] and "lexicon" not in spans[1]
    assert "gender-perception lexicon: gendered_term, referential" in spans[2]


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="2 words but 1 weights"):
        highlight_html(["a", "b"], [0.1])
    with pytest.raises(ValueError, match="category"):
        highlight_html(["a"], [0.1], categories=[None, None])


def test_legend_shows_both_ends_and_the_lexicon_box():
    legend = legend_html(0.25)
    assert "toward the predicted class" in legend and "away from" in legend
    assert colour(0.25, 0.25) in legend and colour(-0.25, 0.25) in legend
    assert "±0.250" in legend and "border" in legend


def test_contrast_matches_wcag_reference_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # WCAG's #767676 on white


def test_every_highlight_keeps_its_text_at_wcag_aa_contrast():
    ratios = [contrast(text_colour(w, 1.0), fill(w, 1.0)) for w in np.linspace(-1.0, 1.0, 401)]
    assert min(ratios) >= 4.5
    assert text_colour(0.0, 1.0) == (0, 0, 0)  # dark text on the white of a zero weight


def test_word_weights_reach_keyboard_and_screen_reader_users():
    out = highlight_html(split_words("so good"), [0.5, -0.25], scale=1.0)
    assert out.count('tabindex="0"') == 2
    assert 'aria-label="so: weight +0.500"' in out and 'aria-label="good: weight -0.250"' in out

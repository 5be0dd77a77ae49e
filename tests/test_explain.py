"""Integrated-gradients explanations: word alignment, normalisation, convergence and calibration."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.config import ExplainConfig
from core.explain import Explainer, erase_words, explain, normalise, word_scores
from core.models import ModelArgs, build_model, load_tokenizer
from core.words import split_words


@pytest.fixture(scope="module")
def explainer(tiny_encoder):
    torch.manual_seed(0)
    model = build_model(ModelArgs(encoder=tiny_encoder, max_length=32))
    return Explainer(model, load_tokenizer(tiny_encoder))


def test_wordpieces_sum_into_the_typed_words(tiny_encoder):
    tokenizer = load_tokenizer(tiny_encoder)
    text = "I can't believe it's zq0, honestly 😀 !"
    enc = tokenizer(text, return_offsets_mapping=True)
    pieces = tokenizer.convert_ids_to_tokens(enc["input_ids"])
    assert "[UNK]" in pieces and "##q" in pieces  # emoji is unknown; zq0 splits into pieces
    token_scores = np.arange(1, len(pieces) + 1, dtype=float)  # piece i scores i + 1
    words, scores = word_scores(text, enc["offset_mapping"], token_scores)
    assert [w.text for w in words] == ["I", "can't", "believe", "it's", "zq0", ",", "honestly", "😀", "!"]
    expected = np.zeros(len(words))
    for (start, end), score in zip(enc["offset_mapping"], token_scores):
        if end > start:
            expected[next(i for i, w in enumerate(words) if w.start <= start < w.end)] += score
    np.testing.assert_allclose(scores, expected)
    # special tokens ([CLS] = 1, [SEP] = last) are not part of any word
    assert scores.sum() == pytest.approx(token_scores.sum() - 1 - len(pieces))
    assert scores[1] == pytest.approx(sum(token_scores[2:5]))  # can ' t → "can't"


def test_truncated_words_score_zero():
    words, scores = word_scores("good bad ugly", [(0, 0), (0, 4), (0, 0)], [5.0, 2.0, 7.0])
    np.testing.assert_array_equal(scores, [2.0, 0.0, 0.0])


def test_normalise_is_signed_with_unit_l1():
    np.testing.assert_allclose(normalise(np.array([2.0, -1.0, 1.0])), [0.5, -0.25, 0.25])
    np.testing.assert_array_equal(normalise(np.zeros(3)), np.zeros(3))


def test_attributions_align_with_words_and_converge(explainer):
    texts = ["Well, I think it was wonderful!", "that exam was terrible 😀", "fine"]
    for a in explainer.attribute(texts, n_steps=64):
        assert [w.text for w in a.words] == [w.text for w in split_words(a.text)]
        assert len(a.scores) == len(a.weights) == len(a.words)
        assert np.abs(a.weights).sum() == pytest.approx(1.0)
        assert a.target == int(np.argmax(a.probs))
        assert math.isfinite(a.delta) and abs(a.delta) <= 0.05 * abs(a.gap) + 1e-6
        assert a.scores.sum() == pytest.approx(a.gap + a.delta, abs=1e-5)  # completeness


def test_unknown_tokens_get_attribution(explainer):
    (a,) = explainer.attribute(["😀 😀 😀 wonderful"], n_steps=32)
    assert a.scores[0] != 0.0  # the [UNK] baseline is [PAD], so the emoji is attributed


def test_explicit_target_is_explained(explainer):
    a, b = explainer.attribute(["it was fine", "it was fine"], target=[0, 2], n_steps=16)
    assert (a.target, b.target) == (0, 2)
    assert not np.allclose(a.scores, b.scores)


def test_calibration_raises_n_steps_until_delta_is_small(explainer):
    texts = ["Well, I think it was wonderful!", "that exam was terrible"]
    loose = explainer.calibrate(texts, grid=(1, 256), tolerance=0.5)
    strict = explainer.calibrate(texts, grid=(1, 2, 256), tolerance=1e-4)
    assert strict.tried[1]["ratio"] > 1e-4  # one step is too coarse ...
    assert strict.n_steps > 2 and strict.converged  # ... so calibration moved on
    assert loose.n_steps <= strict.n_steps
    impossible = explainer.calibrate(texts, grid=(1, 2), tolerance=0.0)
    assert impossible.n_steps == 2 and not impossible.converged
    assert set(impossible.tried) == {1, 2} and len(impossible.tried[2]["deltas"]) == 2


def test_erase_words_removes_or_keeps_positions():
    text = "I really love this, honestly"
    words = split_words(text)
    assert erase_words(text, words, [2, 3], keep=False) == "I really , honestly"
    assert erase_words(text, words, [2, 3], keep=True) == "love this"


def test_explain_without_n_steps_calibrates(explainer):
    texts = ["Well, I think it was wonderful!", "that exam was terrible"]
    expected = explainer.calibrate(texts, grid=(1, 256), tolerance=1e-4).n_steps
    settings = ExplainConfig(steps_grid=(1, 256), delta_tolerance=1e-4)
    (a, _) = explain(texts, {"Gen": explainer}, settings=settings)["Gen"]
    assert a.n_steps == expected == 256  # one step is too coarse for a 1e-4 tolerance
    (b, _) = explain(texts, {"Gen": explainer}, n_steps={"Gen": 1}, settings=settings)["Gen"]
    assert b.n_steps == 1  # a given n_steps is used as it is

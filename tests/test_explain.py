"""Integrated-gradients explanations: word alignment, normalisation, convergence and calibration."""
from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch
from captum.attr import LayerIntegratedGradients

from core.config import ExplainConfig, TrainConfig, load_section, to_dict
from core.data.words import split_words
from core.pipeline.explain import (Explainer, erase_words, explain, normalise, refinement_steps, within_tolerance,
                                   word_scores)
from core.pipeline.models import (DevicePlan, ModelArgs, autocast_dtype, build_model, device_plan, intra_op_threads,
                                  load_tokenizer)


def fp32(**settings) -> ExplainConfig:
    """Explain settings with an fp32 first pass (exact comparisons) and ``settings`` changed."""
    return ExplainConfig(precision="fp32", **settings)


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


def test_normalise_l2_l1_and_none_by_hand():
    scores = np.array([3.0, -4.0, 0.0])  # ‖s‖₂ = 5, Σ|s| = 7
    np.testing.assert_allclose(normalise(scores), [0.6, -0.8, 0.0])  # l2 is the default
    np.testing.assert_allclose(normalise(scores, "l2"), [0.6, -0.8, 0.0])
    np.testing.assert_allclose(normalise(scores, "l1"), [3 / 7, -4 / 7, 0.0])
    np.testing.assert_allclose(normalise(np.array([2.0, -1.0, 1.0]), "l1"), [0.5, -0.25, 0.25])
    raw = normalise(scores, "none")
    np.testing.assert_array_equal(raw, scores)
    assert raw is not scores
    for norm in ("l2", "l1", "none"):
        np.testing.assert_array_equal(normalise(np.zeros(3), norm), np.zeros(3))
    with pytest.raises(ValueError, match="'l3'"):
        normalise(scores, "l3")


def test_attribute_applies_the_chosen_normalisation(explainer):
    text = ["Well, I think it was wonderful!"]
    (l2,) = explainer.attribute(text, n_steps=16)
    (l1,) = explainer.attribute(text, n_steps=16, settings=ExplainConfig(normalisation="l1"))
    (raw,) = explainer.attribute(text, n_steps=16, settings=ExplainConfig(normalisation="none"))
    np.testing.assert_allclose(l2.scores, raw.scores)
    np.testing.assert_allclose(raw.weights, raw.scores)
    np.testing.assert_allclose(l2.weights, raw.scores / np.sqrt((raw.scores ** 2).sum()))
    np.testing.assert_allclose(l1.weights, raw.scores / np.abs(raw.scores).sum())
    with pytest.raises(ValueError, match="normalisation"):
        explainer.attribute(text, n_steps=16, settings=ExplainConfig(normalisation="max"))


def test_attributions_align_with_words_and_converge(explainer):
    texts = ["Well, I think it was wonderful!", "that exam was terrible 😀", "fine"]
    for a in explainer.attribute(texts, n_steps=64, settings=fp32()):
        assert [w.text for w in a.words] == [w.text for w in split_words(a.text)]
        assert len(a.scores) == len(a.weights) == len(a.words)
        assert np.sqrt((a.weights ** 2).sum()) == pytest.approx(1.0)  # default "l2"
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
    loose = explainer.calibrate(texts, settings=fp32(steps_grid=(1, 256), delta_tolerance=0.5))
    strict = explainer.calibrate(texts, settings=fp32(steps_grid=(1, 2, 256), delta_tolerance=1e-4))
    assert strict.tried[1]["ratio"] > 1e-4  # one step is too coarse ...
    assert strict.n_steps > 2 and strict.converged  # ... so calibration moved on
    assert loose.n_steps <= strict.n_steps
    impossible = explainer.calibrate(texts, settings=fp32(steps_grid=(1, 2), delta_tolerance=0.0))
    assert impossible.n_steps == 2 and not impossible.converged
    assert set(impossible.tried) == {1, 2} and len(impossible.tried[2]["deltas"]) == 2
    fixed = explainer.calibrate(texts, settings=fp32(n_steps=2, steps_grid=(1, 256), delta_tolerance=0.0))
    assert set(fixed.tried) == {2} and (fixed.n_steps, fixed.converged) == (2, False)  # a fixed n is only checked


def test_erase_words_removes_or_keeps_positions():
    text = "I really love this, honestly"
    words = split_words(text)
    assert erase_words(text, words, [2, 3], keep=False) == "I really , honestly"
    assert erase_words(text, words, [2, 3], keep=True) == "love this"


TEXTS = ["Well, I think it was wonderful!", "that exam was terrible 😀", "fine", "I do not know, maybe it was okay",
         "honestly the worst day of my whole life so far"]


def plain_captum(explainer, text: str, n_steps: int) -> tuple[np.ndarray, float]:
    """The reference: Captum's LayerIntegratedGradients on one utterance, as its tutorial would call it."""
    model, tokenizer = explainer.model, explainer.tokenizer
    enc = tokenizer([text], return_tensors="pt", return_offsets_mapping=True)
    ids, mask = enc["input_ids"], enc["attention_mask"]
    baseline = torch.where(torch.isin(ids, torch.tensor([tokenizer.cls_token_id, tokenizer.sep_token_id])), ids,
                           tokenizer.pad_token_id)
    forward = lambda i, m: torch.softmax(model(i, m), dim=-1)  # noqa: E731
    target = int(forward(ids, mask).argmax())
    lig = LayerIntegratedGradients(forward, model.encoder.get_input_embeddings())
    attributions, delta = lig.attribute(ids, baselines=baseline, target=target, additional_forward_args=(mask,),
                                        n_steps=n_steps, method="gausslegendre", return_convergence_delta=True)
    _, scores = word_scores(text, enc["offset_mapping"][0].tolist(), attributions.sum(-1)[0].detach().numpy())
    return scores, float(delta)


def test_fast_path_equals_plain_captum(explainer):
    """Tokenising once, reusing F(x) and F(baseline), length-sorted batches: the same numbers as Captum."""
    fast = explainer.attribute(TEXTS, n_steps=24, settings=fp32(steps_grid=(), batch_size=3))
    for a in fast:
        scores, delta = plain_captum(explainer, a.text, 24)
        np.testing.assert_allclose(a.scores, scores, rtol=1e-4, atol=1e-6)
        assert a.delta == pytest.approx(delta, abs=1e-5)


def test_direct_integral_is_captums_layer_integrated_gradients(explainer):
    """Token-level equality with Captum, also when the steps are split over several forward passes."""
    enc = explainer.tokenizer(TEXTS[:3], padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    target = torch.tensor([0, 2, 1])
    forward = lambda i, m: torch.softmax(explainer.model(i, m), dim=-1)  # noqa: E731
    lig = LayerIntegratedGradients(forward, explainer.model.encoder.get_input_embeddings())
    expected = lig.attribute(ids, baselines=explainer.baseline_ids(ids), target=target, additional_forward_args=(mask,),
                             n_steps=20, method="gausslegendre")
    for rows in (None, 3 * 7):  # one pass; passes of 7 steps (the last one shorter)
        direct = explainer.layer_integrated_gradients(ids, mask, target, n_steps=20, rows=rows)
        torch.testing.assert_close(direct, expected, rtol=1e-4, atol=1e-7)


def test_bf16_integral_stays_close_and_refinement_keeps_the_bound(explainer):
    exact = explainer.attribute(TEXTS, n_steps=64, settings=fp32(steps_grid=()))
    fast = explainer.attribute(TEXTS, n_steps=64, settings=ExplainConfig(steps_grid=(), precision="bf16"))
    for a, b in zip(exact, fast):
        assert b.gap == a.gap and b.target == a.target  # F(x), F(baseline) stay fp32
        np.testing.assert_allclose(b.scores, a.scores, atol=0.03 * np.abs(a.scores).max())
    # A tiny |F(x) − F(b)| can sit below bf16's noise; the refinement (fp32) still meets the bound.
    refined = explainer.attribute(TEXTS, n_steps=64, settings=ExplainConfig(steps_grid=(128,), precision="bf16"))
    assert all(a.converged and abs(a.delta) <= 0.05 * abs(a.gap) for a in refined)
    assert all(r.delta == b.delta for r, b in zip(refined, fast) if r.n_steps == 64)


def test_refinement_never_returns_an_unflagged_miss(explainer):
    coarse = explainer.attribute(TEXTS, n_steps=1, settings=fp32(steps_grid=()))
    ratios = sorted(abs(a.delta) / abs(a.gap) for a in coarse)
    tolerance = (ratios[1] + ratios[2]) / 2  # three miss at one step; halfway, so no ratio sits on the bound
    explained = explainer.attribute(TEXTS, n_steps=1, settings=fp32(steps_grid=(2, 4, 64), delta_tolerance=tolerance))
    assert {a.n_steps for a in explained} - {1, 2, 4, 64} == set()
    assert max(a.n_steps for a in explained) > 1  # one step is too coarse for some: they were refined
    for a in explained:
        within = abs(a.delta) <= tolerance * abs(a.gap)
        assert a.converged == within
        assert within or a.n_steps == 64  # a miss only at the largest n, and then flagged
    refined = [a for a in explained if a.n_steps > 1]
    again = explainer.attribute([a.text for a in refined], n_steps=refined[0].n_steps, settings=fp32(steps_grid=()))
    assert again[0].delta == pytest.approx(refined[0].delta, abs=1e-6)  # a refined utterance is a plain run at its n


def test_impossible_tolerance_flags_everything_at_the_largest_n(explainer):
    explained = explainer.attribute(TEXTS[:2], n_steps=2, settings=fp32(steps_grid=(1, 4), delta_tolerance=0.0))
    for a in explained:  # flagged at the top of the grid, unless a saturated tiny model's integral is exact
        assert a.converged == (a.delta == 0.0) and (a.n_steps == 4 or a.converged), (a.n_steps, a.delta)


def test_refinement_steps_and_tolerance():
    assert refinement_steps(16, (8, 16, 24, 64, 24)) == [16, 24, 64]
    assert refinement_steps(16, ()) == [16]
    with pytest.raises(ValueError, match="n_steps"):
        refinement_steps(0, (8,))
    np.testing.assert_array_equal(within_tolerance(np.array([0.01, -0.2, 0.0]), np.array([0.5, -1.0, 0.0]), 0.05),
                                  [True, False, True])


def test_precision_and_batch_size_follow_the_device(monkeypatch):
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    monkeypatch.setattr("core.pipeline.models.native_cpu_bf16", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert autocast_dtype(cpu, "auto") is torch.bfloat16
    assert autocast_dtype(cpu, "auto", cpu_auto=False) is None  # training and prediction stay fp32 on the CPU
    assert autocast_dtype(cuda, "auto", cpu_auto=False) is torch.bfloat16
    assert autocast_dtype(cuda, "fp32") is None and autocast_dtype(cpu, "bf16") is torch.bfloat16
    monkeypatch.setattr("core.pipeline.models.native_cpu_bf16", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)
    assert autocast_dtype(cpu, "auto") is None and autocast_dtype(cuda, "auto") is None
    with pytest.raises(ValueError, match="precision"):
        autocast_dtype(cpu, "fp16")
    explaining, training = ExplainConfig(batch_size=8, cuda_batch_size=64), TrainConfig(eval_batch_size=128)
    monkeypatch.setattr("core.pipeline.models.native_cpu_bf16", lambda: True)
    assert device_plan(explaining, cpu) == DevicePlan(8, torch.bfloat16)  # the integral: bf16 where native
    assert device_plan(training, cpu) == DevicePlan(128, None)  # training and prediction: fp32 on any CPU
    assert device_plan(explaining, cuda).batch_size == 64 and device_plan(training, cuda).batch_size == 1024


def test_every_pass_runs_on_one_thread_so_explanations_do_not_depend_on_the_thread_count(explainer, monkeypatch):
    before = torch.get_num_threads()
    with intra_op_threads(1):
        assert torch.get_num_threads() == 1
    with intra_op_threads(None):
        assert torch.get_num_threads() == before
    assert torch.get_num_threads() == before
    seen = []
    monkeypatch.setattr(explainer, "_probabilities",
                        lambda *a, _real=explainer._probabilities, **k: seen.append(
                            (threading.current_thread().name, torch.get_num_threads())) or _real(*a, **k))
    settings = ExplainConfig(steps_grid=(), batch_size=1, precision="fp32")
    with intra_op_threads(2):
        on_two = explainer.attribute(TEXTS[:4], n_steps=4, settings=settings)
        started_after = []
        later = threading.Thread(target=lambda: started_after.append(torch.get_num_threads()))
        later.start()
        later.join()
    assert started_after == [2]  # a thread started later (a Streamlit run, a pool) gets the caller's count back
    workers = {name for name, _ in seen} - {threading.current_thread().name}  # the endpoints' one batch runs inline
    assert {threads for _, threads in seen} == {1} and workers and all(name.startswith("explain") for name in workers)
    seen.clear()
    with intra_op_threads(1):
        on_one = explainer.attribute(TEXTS[:4], n_steps=4, settings=settings)
    assert {threads for _, threads in seen} == {1} and {name for name, _ in seen} == {threading.current_thread().name}
    for a, b in zip(on_two, on_one):  # the same arithmetic, bit for bit, on one worker or two
        assert np.array_equal(a.scores, b.scores) and a.delta == b.delta
    assert torch.get_num_threads() == before


def test_explain_starts_at_the_given_the_fixed_or_the_smallest_n_steps(explainer):
    settings = ExplainConfig(steps_grid=(64, 2), delta_tolerance=0.05, precision="fp32")
    live = explain(TEXTS[:2], {"m": explainer}, settings=settings)
    expected = explainer.attribute(TEXTS[:2], n_steps=2, settings=settings)
    assert [a.n_steps for a in live["m"]] == [a.n_steps for a in expected]
    np.testing.assert_allclose(live["m"][0].scores, expected[0].scores, atol=1e-6)
    impossible = ExplainConfig(steps_grid=(1, 256), delta_tolerance=0.0, precision="fp32")
    (a, _) = explain(TEXTS[:2], {"m": explainer}, settings=impossible)["m"]
    assert a.n_steps == 256  # started at 1, refined to the top of the grid
    assert a.converged == (a.delta == 0.0)  # a bound of 0 is met only by an exact integral: flagged otherwise
    loose = ExplainConfig(steps_grid=(1, 256), delta_tolerance=10.0, precision="fp32")
    (b, _) = explain(TEXTS[:2], {"m": explainer}, n_steps={"m": 1}, settings=loose)["m"]
    assert b.n_steps == 1  # a given n_steps is where integration starts
    fixed = ExplainConfig(n_steps=4, steps_grid=(1, 256), delta_tolerance=10.0, precision="fp32")
    (c, _) = explain(TEXTS[:2], {"m": explainer}, settings=fixed)["m"]
    assert c.n_steps == 4  # none given: the config's fixed n, where the build starts too


def test_explain_settings_come_back_from_a_manifest_record_typed_and_checked():
    settings = ExplainConfig(steps_grid=(4, 8), delta_tolerance=0.1, precision="fp32", normalisation="l1")
    assert load_section(ExplainConfig, to_dict(settings), where="manifest.json") == settings  # lists back to tuples
    assert load_section(ExplainConfig, {"normalisation": "l1"}, where="m").steps_grid == ExplainConfig().steps_grid
    with pytest.raises(ValueError, match='manifest.json: explain.normalisation = "l3": must be one of'):
        load_section(ExplainConfig, {"normalisation": "l3"}, where="manifest.json")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['norm'\]"):
        load_section(ExplainConfig, {"norm": "l1"}, where="manifest.json")


def test_explain_normalisation_is_a_validated_config_key(tmp_path):
    from core.config import load_config

    path = tmp_path / "x.toml"
    demo = "[data]\ndemo_seed = 0\n"
    path.write_text(demo + '[explain]\nnormalisation = "l1"\n')
    assert load_config(path).explain.normalisation == "l1"
    path.write_text(demo + "[explain]\n")
    assert load_config(path).explain.normalisation == "l2"
    path.write_text(demo + '[explain]\nnormalisation = "l3"\n')
    with pytest.raises(ValueError, match='x.toml: explain.normalisation = "l3": must be one of'):
        load_config(path)

"""Trainer and recipes on a tiny randomly initialised BERT: fast, CPU only."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from core.config import MethodsConfig, ModelConfig, TrainConfig
from core.data.words import split_words
from core.methods import METHODS, ROLES, recipe
from core.pipeline.models import GradientReversal, ModelArgs, build_model, load_tokenizer
from core.pipeline.recipes import NOISE_TOKENS, Gen, adversarial_lambda, augment_with_swaps, plant_noise
from core.pipeline.trainer import fit, parameter_groups
from tests.conftest import make_table

FAST = TrainConfig(epochs=1, patience=1, batch_size=36, lr=1e-3, eval_batch_size=64)


def tiny_model(encoder: str, gender_head: str = "none"):
    return build_model(ModelArgs(encoder=encoder, gender_head=gender_head, gender_hidden=8, max_length=16))


def test_gradient_reversal_flips_and_scales_the_gradient():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    grl = GradientReversal(lambda_=0.5)
    y = grl(x)
    assert torch.equal(y, x)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.allclose(x.grad, torch.tensor([-0.5, -1.0, -1.5]))


def test_lambda_schedule_rises_from_zero_to_lambda_max():
    assert adversarial_lambda(0.0, 2.0) == 0.0
    assert adversarial_lambda(0.5, 2.0) == pytest.approx(2.0 * (2 / (1 + math.exp(-5)) - 1))
    assert adversarial_lambda(1.0, 2.0) == pytest.approx(2.0 * (2 / (1 + math.exp(-10)) - 1))
    values = [adversarial_lambda(p / 10, 1.0) for p in range(11)]
    assert values == sorted(values) and values[-1] < 1.0


def test_privadv_sets_the_reversal_strength_from_progress(tiny_encoder):
    model = tiny_model(tiny_encoder, "reversed")
    recipe("PrivAdv", MethodsConfig(adv_lambda_max=0.8)).on_step(model, 0.3)
    assert model.gender_head[0].lambda_ == pytest.approx(adversarial_lambda(0.3, 0.8))


def test_augmentation_doubles_the_set_with_swapped_copies():
    table = pd.DataFrame({"utt_id": ["a", "b"], "text": ["He called his wife", "No names here"],
                          "gender": ["M", "F"], "valence_class": ["low", "high"]})
    augmented = augment_with_swaps(table)
    assert len(augmented) == 4
    assert augmented["text"].tolist() == ["He called his wife", "No names here",
                                          "She called her husband", "No names here"]
    assert augmented["utt_id"].tolist() == ["a", "b", "a#swap", "b#swap"]
    assert augmented["valence_class"].tolist() == ["low", "high", "low", "high"]


def test_privaug_trains_on_training_set_and_its_swapped_copy(tiny_corpora):
    (stage,) = recipe("PrivAug", MethodsConfig()).stages(tiny_corpora)
    train = tiny_corpora.split("primary", "train")
    assert len(stage.train) == 2 * len(train)
    assert "for him" in stage.train["text"].iloc[len(train)]


def test_privbias_trains_auxiliary_first_then_primary_never_the_union(tiny_corpora):
    stages = recipe("PrivBias", MethodsConfig()).stages(tiny_corpora)
    assert [s.name for s in stages] == ["auxiliary", "primary"]
    assert set(stages[0].train["corpus"]) == {"auxiliary"} and set(stages[0].val["corpus"]) == {"auxiliary"}
    assert set(stages[1].train["corpus"]) == {"primary"}
    assert set(stages[1].train["split"]) == {"train"} and set(stages[1].val["split"]) == {"val"}


def test_artnoise_plants_cell_tokens_at_the_configured_rate():
    table = make_table("primary", 150, splits=("train",))
    noisy = plant_noise(table, rate=0.4, seed=3)
    for (gender, valence), cell in noisy.groupby(["gender", "valence_class"]):
        planted = cell[cell["noise_token"] != ""]
        assert set(planted["noise_token"]) == {NOISE_TOKENS[(gender, valence)]}
        assert abs(len(planted) / len(cell) - 0.4) < 0.12
        others = set(NOISE_TOKENS.values()) - {NOISE_TOKENS[(gender, valence)]}
        assert not any(tok in text.split() for text in cell["text"] for tok in others)
        assert all(row.noise_token in row.text.split() for row in planted.itertuples())


def test_noise_tokens_stay_separate_words_next_to_punctuation():
    table = pd.DataFrame({"utt_id": [f"u{i}" for i in range(40)], "gender": "F", "valence_class": "mid",
                          "text": "Well, I've got to say, the concert starts at nine."})
    noisy = plant_noise(table, rate=1.0, seed=0)
    for text in noisy["text"]:
        forms = [w.text for w in split_words(text)]
        assert forms.count("zx1") == 1
        assert [f for f in forms if f != "zx1"] == [w.text for w in split_words(table["text"][0])]
    untouched = noisy["noise_token"] == ""
    assert (noisy.loc[untouched, "text"] == table.loc[untouched, "text"]).all()
    assert (plant_noise(table, rate=0.0, seed=3)["text"] == table["text"]).all()


def test_artnoise_copy_does_not_depend_on_which_slice_is_viewed():
    table = make_table("primary", 20)
    whole = plant_noise(table, rate=0.5, seed=1).set_index("utt_id")["text"]
    part = plant_noise(table[table["split"] == "val"], rate=0.5, seed=1).set_index("utt_id")["text"]
    assert (whole.loc[part.index] == part).all()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_recipe_trains_two_steps_with_finite_loss(name, tiny_encoder, tiny_corpora):
    r = recipe(name, MethodsConfig())
    model = tiny_model(tiny_encoder, r.gender_head)
    tokenizer = load_tokenizer(tiny_encoder)
    stage = r.stages(tiny_corpora)[-1]
    stage = type(stage)(stage.name, stage.train.iloc[:72], stage.val)
    before = model.valence_head[1].weight.detach().clone()
    record = fit(model, tokenizer, stage, FAST, seed=0, recipe=r)
    assert record.epochs_run == 1 and math.isfinite(record.history[0]["train_loss"])
    assert 0.0 <= record.best_val_uar <= 1.0
    assert not torch.equal(before, model.valence_head[1].weight)
    assert (model.gender_head is None) == (r.gender_head == "none")


def test_early_stopping_stops_when_validation_stops_improving(tiny_encoder, tiny_corpora):
    model = tiny_model(tiny_encoder)
    stage = recipe("Gen", MethodsConfig()).stages(tiny_corpora)[0]
    frozen = TrainConfig(epochs=10, patience=2, batch_size=36, lr=0.0)  # lr 0: val UAR never changes
    record = fit(model, load_tokenizer(tiny_encoder), stage, frozen, seed=0, recipe=Gen(MethodsConfig()))
    assert record.best_epoch == 1 and record.epochs_run == 3


@pytest.mark.parametrize("name", ["Gen", "PrivAdv", "GenderExp"])
def test_every_epoch_records_loss_validation_uars_and_lambda(name, tiny_encoder, tiny_corpora):
    r = recipe(name, MethodsConfig(adv_lambda_max=2.0))
    model = tiny_model(tiny_encoder, r.gender_head)
    stage = r.stages(tiny_corpora)[0]
    config = TrainConfig(epochs=2, patience=5, batch_size=36, lr=1e-3, eval_batch_size=64)
    record = fit(model, load_tokenizer(tiny_encoder), stage, config, seed=0, recipe=r)
    assert [h["epoch"] for h in record.history] == [1, 2]
    steps = -(-len(stage.train) // 36)
    for epoch, h in enumerate(record.history, start=1):
        assert math.isfinite(h["train_loss"]) and h["train_loss"] > 0
        assert 0.0 <= h["val_valence_uar"] <= 1.0
        if name == "Gen":
            assert h["val_gender_uar"] is None and h["adv_lambda"] is None
        else:
            assert 0.0 <= h["val_gender_uar"] <= 1.0
        if name == "PrivAdv":  # λ set before the epoch's last step
            last = (epoch * steps - 1) / (2 * steps)
            assert h["adv_lambda"] == pytest.approx(adversarial_lambda(last, 2.0))
        elif name == "GenderExp":
            assert h["adv_lambda"] is None
    assert record.best_val_uar == max(h["val_valence_uar"] for h in record.history)


def test_heads_get_their_own_learning_rate(tiny_encoder):
    model = tiny_model(tiny_encoder, "reversed")
    encoder, heads = parameter_groups(model, TrainConfig(lr=1e-5, head_lr=1e-3))
    assert (encoder["lr"], heads["lr"]) == (1e-5, 1e-3)
    assert {id(p) for p in heads["params"]} == {id(p) for p in [*model.valence_head.parameters(),
                                                                *model.gender_head.parameters()]}
    assert len(encoder["params"]) + len(heads["params"]) == len(list(model.parameters()))
    assert parameter_groups(model, TrainConfig(lr=1e-5))[1]["lr"] == 1e-5  # head_lr 0: the encoder's lr


def test_training_is_deterministic_for_a_seed(tiny_encoder, tiny_corpora):
    stage = recipe("Gen", MethodsConfig()).stages(tiny_corpora)[0]
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        model = tiny_model(tiny_encoder)
        fit(model, load_tokenizer(tiny_encoder), stage, FAST, seed=7, recipe=Gen(MethodsConfig()))
        weights.append(model.valence_head[1].weight.detach().numpy().copy())
    np.testing.assert_array_equal(weights[0], weights[1])


def test_checkpoint_round_trip_needs_no_original_encoder(tiny_encoder, tmp_path):
    import shutil

    from core.pipeline.models import infer, load_checkpoint, save_checkpoint

    encoder = tmp_path / "encoder"
    shutil.copytree(tiny_encoder, encoder)
    torch.manual_seed(0)
    model = tiny_model(str(encoder), "plain")
    tokenizer = load_tokenizer(str(encoder))
    save_checkpoint(model, tokenizer, tmp_path / "ckpt", {"fingerprint": "abc"})
    shutil.rmtree(encoder)  # e.g. a moved or rebuilt environment
    restored, restored_tokenizer, meta = load_checkpoint(tmp_path / "ckpt")
    texts = ["what a lovely day", "that was awful"]
    np.testing.assert_allclose(infer(restored, restored_tokenizer, texts)[0], infer(model, tokenizer, texts)[0],
                               atol=1e-6)
    assert meta["fingerprint"] == "abc" and meta["args"]["gender_head"] == "plain"


def test_every_method_spec_names_a_recipe_a_role_a_line_and_a_colour():
    settings = MethodsConfig()
    assert all(isinstance(spec.load_recipe(settings), Gen) for spec in METHODS.values())
    assert [name for name, m in METHODS.items() if m.attention_check] == ["ArtNoise"]
    assert all(m.role in ROLES and m.description and "\n" not in m.description for m in METHODS.values())
    assert len({m.colour for m in METHODS.values()}) == len(METHODS)  # one colour per method


def test_a_recipe_keeps_exactly_the_settings_its_method_row_lists_under_their_config_names():
    settings = MethodsConfig(adv_lambda_max=0.3, gender_loss_weight=2.0, noise_rate=0.2, noise_seed=7)
    used = {name: vars(recipe(name, settings)) for name in METHODS}
    for name, values in used.items():  # the row is what the model's fingerprint (and Home) covers
        assert set(values) == set(METHODS[name].settings), name
        assert all(getattr(settings, key) == value for key, value in values.items())
    assert used["ArtNoise"] == {"noise_rate": 0.2, "noise_seed": 7}
    assert used["Gen"] == {} and recipe("Gen", settings).gender_loss_weight == 0.0  # no gender head, no loss
    assert recipe("GenderExp", settings).gender_loss_weight == 2.0


def test_model_args_come_from_the_model_config_by_field_name():
    config = ModelConfig(encoder="", pooling="cls", max_length=20, dropout=0.3, gender_hidden=16, layers=2)
    args = ModelArgs.from_config(config, encoder="/models/bert", gender_head="plain")
    assert args == ModelArgs(encoder="/models/bert", pooling="cls", dropout=0.3, gender_head="plain",
                             gender_hidden=16, max_length=20, layers=2)


def test_inference_in_length_sorted_batches_returns_each_text_its_own_outputs(tiny_encoder):
    from core.pipeline.models import infer

    torch.manual_seed(0)
    model, tokenizer = tiny_model(tiny_encoder).eval(), load_tokenizer(tiny_encoder)
    texts = ["what a long and lovely day it was for all of us", "awful", "that was fine", "great", "so so sad today"]
    probs, z = infer(model, tokenizer, texts, batch_size=2)  # batches cut from the sorted order, not the given one
    for i, text in enumerate(texts):
        alone_probs, alone_z = infer(model, tokenizer, [text])
        np.testing.assert_allclose(probs[i], alone_probs[0], atol=1e-5)
        np.testing.assert_allclose(z[i], alone_z[0], atol=1e-5)


def test_inference_under_bf16_runs_the_valence_head_on_fp32_z(tiny_encoder):
    from core.pipeline.models import infer

    torch.manual_seed(0)
    model, tokenizer = tiny_model(tiny_encoder).eval(), load_tokenizer(tiny_encoder)
    probs, z = infer(model, tokenizer, ["what a lovely day", "that was awful"], dtype=torch.bfloat16)
    with torch.no_grad():  # only the encoder runs in bf16; the head's logits are fp32 arithmetic on z
        expected = torch.softmax(model.valence_head(torch.as_tensor(z)), dim=-1).numpy()
    np.testing.assert_array_equal(probs, expected)

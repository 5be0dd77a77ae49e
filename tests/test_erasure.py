"""PrivErase: the LEACE eraser's guarantee (linear only), its life inside a checkpoint, and the recipe end to end."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import balanced_accuracy_score

from core.config import MethodsConfig, to_dict
from core.methods import METHODS, recipe
from core.pipeline.artifacts import ExperimentPaths, Manifest, read_json
from core.pipeline.build import build
from core.pipeline.evaluate import probe_models
from core.pipeline.models import ModelArgs, build_model, infer, load_checkpoint, load_tokenizer, save_checkpoint
from core.pipeline.recipes import Corpora, fit_leace
from core.pipeline.trainer import fit
from core.schema import ROLES
from tests.conftest import dashboard_config, make_table
from tests.test_training import FAST


def probe_uar(name: str, z: np.ndarray, gender: np.ndarray) -> float:
    """A privlens probe trained on the first half of the rows, scored (UAR) on the second half."""
    half = len(z) // 2
    probe = probe_models(seed=0, max_iter=500)[name].fit(z[:half], gender[:half])
    return balanced_accuracy_score(gender[half:], probe.predict(z[half:]))


def erase(z: np.ndarray, gender: np.ndarray) -> np.ndarray:
    z32 = torch.from_numpy(z).float()  # as a model's z
    eraser = fit_leace(z32, torch.from_numpy(gender))
    with torch.no_grad():
        return eraser(z32).numpy()


def test_a_planted_linear_gender_direction_falls_to_chance_for_a_linear_probe():
    rng = np.random.default_rng(0)
    gender = rng.integers(0, 2, 2000)
    z = rng.normal(size=(2000, 16)) + np.outer(2.0 * gender - 1.0, rng.normal(size=16))
    assert probe_uar("logreg", z, gender) > 0.9
    assert probe_uar("logreg", erase(z, gender), gender) <= 0.55


def test_a_nonlinear_xor_cue_stays_readable_by_the_mlp_after_erasure():
    """LEACE's guarantee is linear: gender = sign(z0) XOR sign(z1) has no linear trace to erase."""
    rng = np.random.default_rng(1)
    signs = rng.integers(0, 2, size=(2000, 2))
    z = rng.normal(size=(2000, 8))
    z[:, :2] = (2.0 * signs - 1.0) * (1.0 + rng.random((2000, 2)))  # |z0|, |z1| >= 1: a clear quadrant
    gender = signs[:, 0] ^ signs[:, 1]
    erased = erase(z, gender)
    assert probe_uar("logreg", erased, gender) <= 0.6
    assert probe_uar("mlp", erased, gender) > 0.8


def test_the_eraser_round_trips_through_a_checkpoint_bit_exactly(tiny_encoder, tmp_path):
    model = build_model(ModelArgs(encoder=tiny_encoder, max_length=16, transform="linear_eraser"))
    rng = np.random.default_rng(2)
    z, gender = rng.normal(size=(200, 32)), rng.integers(0, 2, 200)
    model.transform.load_state_dict(fit_leace(torch.from_numpy(z).float(), torch.from_numpy(gender)).state_dict())
    tokenizer = load_tokenizer(tiny_encoder)
    save_checkpoint(model, tokenizer, tmp_path / "ckpt", {"fingerprint": "x"})
    restored, _, meta = load_checkpoint(tmp_path / "ckpt")
    assert meta["args"]["transform"] == "linear_eraser"
    for name, tensor in model.transform.state_dict().items():
        assert torch.equal(restored.transform.state_dict()[name], tensor), name
    texts = ["what a lovely day", "that was awful"]
    assert np.array_equal(infer(restored, tokenizer, texts)[1], infer(model.eval(), tokenizer, texts)[1])


def test_priverase_trains_like_gen_then_erases_gender_from_its_own_z(tiny_encoder):
    corpora = Corpora(make_table("primary", 6), make_table("auxiliary", 1), make_table("cross", 2, splits=("all",)))
    r = recipe("PrivErase", MethodsConfig())
    model = build_model(ModelArgs(encoder=tiny_encoder, max_length=16, transform=r.transform))
    tokenizer = load_tokenizer(tiny_encoder)
    for stage in r.stages(corpora):
        fit(model, tokenizer, stage, FAST, seed=0, recipe=r)
    record = r.finish(model, tokenizer, corpora)
    assert record["eraser_rows"] == 72 and record["head_val_uar"] >= record["head_val_uar_before_refit"]
    fitted = pd.concat([corpora.split("primary", "train"), corpora.split("primary", "val")])
    z = infer(model, tokenizer, fitted.text.tolist())[1]  # through the fitted eraser, as predictions see it
    centred = z - z.mean(0)
    gender = (fitted.gender == "M").to_numpy(float)
    assert np.abs(centred.T @ (gender - gender.mean())).max() / len(z) < 1e-4  # no covariance with gender left


def test_a_build_with_gen_gives_priverase_gens_weights_and_the_same_model_as_training_it(tmp_path, tiny_encoder):
    """PrivErase trains as Gen: the build starts it from Gen's trained weights instead of training them again,
    and the finished model is the one its own training gives, bit for bit."""
    config = dataclasses.replace(dashboard_config(tiny_encoder), methods=MethodsConfig(names=("Gen", "PrivErase")))
    shared, alone = ExperimentPaths(tmp_path / "shared"), ExperimentPaths(tmp_path / "alone")
    for paths, names in ((shared, ("Gen", "PrivErase")), (alone, ("PrivErase",))):
        for role in ROLES:
            paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
            make_table(role, 2, splits=("all",) if role == "cross" else ("train", "val", "test")).to_parquet(
                paths.corpus_table(role), index=False)
        Manifest(paths).record_run(to_dict(config), {})
        build(dataclasses.replace(config, methods=MethodsConfig(names=names)), stages=["train"], paths=paths)
    reused, _, meta = load_checkpoint(shared.model_dir("PrivErase", 0))
    trained, _, own = load_checkpoint(alone.model_dir("PrivErase", 0))
    assert meta["trained_as"] == "Gen/seed0" and "trained_as" not in own
    assert meta["fits"] == read_json(shared.model_dir("Gen", 0) / "model.json")["fits"]
    for name, tensor in trained.state_dict().items():
        assert torch.equal(reused.state_dict()[name], tensor), name


def test_a_recipe_that_trains_as_another_shares_its_hooks_and_adds_only_a_transform(tiny_encoder):
    """What copying another method's training rests on: the same training hooks and, beyond them, only a transform."""
    for name in METHODS:
        r = recipe(name, MethodsConfig())
        if r.trains_as is None:
            continue
        source = recipe(r.trains_as, MethodsConfig())
        for hook in ("stages", "view", "on_step", "loss", "corpora", "gender_head", "gender_loss_weight"):
            assert getattr(type(r), hook) == getattr(type(source), hook), (name, hook)
        own, theirs = (build_model(ModelArgs(encoder=tiny_encoder, gender_head=x.gender_head, transform=x.transform))
                       .state_dict() for x in (r, source))
        assert {key.split(".")[0] for key in set(own) ^ set(theirs)} == {"transform"}, name

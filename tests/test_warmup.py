"""The app loads an experiment's models once, in the background, and the typed path reuses them (core.dashboard.warmup
and core.dashboard.live on the shared tiny build)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core.dashboard import warmup
from core.dashboard.experiment import open_experiment
from core.pipeline.models import infer


@pytest.fixture
def fresh(artifacts, monkeypatch):
    """live and warmup with nothing loaded or started yet, counting the loads; the tiny build as the artifacts."""
    from core.dashboard import live

    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    monkeypatch.setenv("PRIVLENS_WARM_UP", "1")
    monkeypatch.setattr(live, "_loads", {})
    monkeypatch.setattr(warmup, "_started", {})
    monkeypatch.setattr(warmup, "DELAY_S", 0.0)
    loads, load = [], live.load

    def counted(paths, method, seed):
        loads.append((method, seed))
        return load(paths, method, seed)

    monkeypatch.setattr(live, "load", counted)
    return live, loads


def test_the_models_load_once_in_the_background_and_the_typed_path_reuses_them(fresh):
    live, loads = fresh
    experiment = open_experiment("tiny")
    threads = torch.get_num_threads()
    thread = warmup.start("tiny")
    assert thread is not None and warmup.start("tiny") is thread  # one warm-up per server and checkpoints
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert sorted(loads) == sorted((m, 0) for m in experiment.methods)  # every model, once
    assert all(live._loads[(str(experiment.paths.root), m, 0)][1].done() for m in experiment.methods)
    models = {m: live.model(experiment, m, 0) for m in experiment.methods}  # what Explore asks for
    assert len(loads) == len(experiment.methods)  # ... is what the warm-up loaded: no second load
    assert live.model(experiment, "Gen", 0) is models["Gen"]
    text = "I think the day was lovely for her"
    together = live.run_all(models, dict.fromkeys(models, text))
    assert list(together) == list(models)
    for method, model in models.items():  # two at a time, the same weights as one by one
        alone = live.run(model, text)
        np.testing.assert_array_equal(together[method].weights, alone.weights)
        assert together[method].n_steps == alone.n_steps
        _, z = infer(model.explainer.model, model.explainer.tokenizer, [text])  # z as the predict stage takes it
        np.testing.assert_allclose(alone.z, z[0], rtol=1e-4, atol=1e-5)
    assert torch.get_num_threads() == threads  # the one-thread block restores the process's count


def test_no_warm_up_when_it_is_turned_off(fresh, monkeypatch):
    live, loads = fresh
    assert warmup.start("no such experiment") is None  # its pages say so; the app's frame carries on
    monkeypatch.setenv("PRIVLENS_WARM_UP", "0")
    assert warmup.start("tiny") is None and not loads

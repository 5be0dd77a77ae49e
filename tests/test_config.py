"""load_config: TOML keys map 1:1 onto the config dataclasses; unknown keys and wrong types raise."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ExperimentConfig, load_config, resolve_path

EXPERIMENTS = Path(__file__).resolve().parent.parent / "scripts" / "experiments"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiment.toml"
    path.write_text(text)
    return path


def test_values_are_read_and_coerced(tmp_path):
    config = load_config(write(tmp_path, 'name = "x"\n[train]\nseeds = [0, 1]\nlr = 1\n'
                                         '[data.primary]\nkind = "iemocap"\npath = "corpus"\n'))
    assert config.name == "x" and config.train.seeds == (0, 1)
    assert config.train.lr == 1.0 and isinstance(config.train.lr, float)  # an int where a float goes
    assert config.methods == ExperimentConfig().methods  # tables left out keep their defaults
    assert resolve_path(config, config.data.primary.path) == tmp_path / "corpus"


@pytest.mark.parametrize("toml, message", [
    ("nmae = 'x'\n", r"unknown key\(s\) \['nmae'\]"),
    ("[train]\nepoch = 3\n", r"train: unknown key\(s\) \['epoch'\]"),
    ("[explain]\nsteps_grid = [8]\nn_step = 8\n", r"explain: unknown key\(s\) \['n_step'\]"),
])
def test_unknown_keys_raise_naming_the_key(tmp_path, toml, message):
    with pytest.raises(ValueError, match=message):
        load_config(write(tmp_path, toml))


@pytest.mark.parametrize("toml, message", [
    ("[train]\nepochs = '3'\n", "train: epochs must be int, got '3'"),
    ("[train]\nepochs = true\n", "train: epochs must be int, got True"),
    ("[train]\nseeds = 0\n", "train: seeds must be a list, got 0"),
    ("[train]\nseeds = [0, 'one']\n", "train: seeds must be int, got 'one'"),
    ("[methods]\nnoise_rate = 'half'\n", "methods: noise_rate must be float, got 'half'"),
    ("train = 3\n", "train must be a table, got 3"),
    ("[data.primary]\noptions = 'x'\n", "data: primary: options must be dict, got 'x'"),
])
def test_wrong_types_raise_naming_the_key(tmp_path, toml, message):
    with pytest.raises(ValueError) as error:
        load_config(write(tmp_path, toml))
    assert message in str(error.value)


@pytest.mark.parametrize("name", ["demo", "paper", "meld"])
def test_shipped_experiments_load(name):
    assert load_config(EXPERIMENTS / f"{name}.toml").name

"""Issue 20 B: bad input is refused before any work, naming the file, line or key: a repeated JSONL key, a device
or encoder the config asks too much of, corpora a stage could not use."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from core.config import ConfigError, ExperimentConfig
from core.data.corpora import CorpusFormatError, load_table
from core.pipeline.artifacts import ExperimentPaths
from core.pipeline.build import build
from core.schema import ROLES
from scripts import build as build_cli
from tests.conftest import make_table
from tests.test_reliability import JSONL_COLUMNS, TABLE_COLUMNS, tiny_config


def test_a_jsonl_key_given_twice_names_file_line_and_key(tmp_path):
    good = '{"who": "s1", "sex": "F", "sentence": "A fine day.", "v": 3.0}'
    path = tmp_path / "t.jsonl"
    path.write_text(good + "\n" + good.replace('"v": 3.0', '"v": 4.5, "v": 1.0') + "\n")
    with pytest.raises(CorpusFormatError) as error:
        load_table(path, columns=JSONL_COLUMNS)
    assert str(error.value) == f"{path}:2: key 'v' appears twice in one record (4.5 and 1.0); keep one"


def write_corpora(folder: Path, **tables: pd.DataFrame) -> Path:
    """<role>.csv for every role (``tables`` or make_table's) in ``folder``; returns where the TOML goes."""
    defaults = {"primary": make_table("primary", 2), "auxiliary": make_table("auxiliary", 2),
                "cross": make_table("cross", 2, splits=("all",))}
    for role in ROLES:
        tables.get(role, defaults[role]).to_csv(folder / f"{role}.csv", index=False)
    return folder / "tiny.toml"


def without(table: pd.DataFrame, query: str) -> pd.DataFrame:
    return table[~table.eval(query)]


PRIMARY, AUXILIARY = make_table("primary", 2), make_table("auxiliary", 2)
UNUSABLE = {  # case: (corpora, methods, what the refusal says, one line of its counts)
    "one gender": ({"primary": PRIMARY[PRIMARY.gender == "F"]}, ("Gen",),
                   "primary corpus ({folder}/primary.csv): the train split has only F speakers; the val split "
                   "has only F speakers; the test split has only F speakers", "train  M           0      0      0"),
    "one valence class": ({"primary": without(PRIMARY, "split == 'test' and valence_class != 'low'")}, ("Gen",),
                          "primary corpus ({folder}/primary.csv): the test split has only low valence",
                          "test   F           2      0      0"),
    "empty val split": ({"primary": PRIMARY[PRIMARY.split != "val"]}, ("Gen",),
                        "primary corpus ({folder}/primary.csv): the val split is empty",
                        "val    F           0      0      0"),
    "empty auxiliary val, PrivBias": ({"auxiliary": AUXILIARY[AUXILIARY.split != "val"]}, ("Gen", "PrivBias"),
                                      "auxiliary corpus ({folder}/auxiliary.csv): the val split is empty",
                                      "val    M           0      0      0"),
}


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_corpora_are_refused_at_the_corpora_stage_with_counts(tmp_path, tiny_encoder, case):
    tables, methods, expected, count = UNUSABLE[case]
    config = tiny_config(tiny_encoder, write_corpora(tmp_path, **tables))
    config = dataclasses.replace(config, methods=dataclasses.replace(config.methods, names=methods))
    paths = ExperimentPaths(tmp_path / "artifacts" / "tiny")
    with pytest.raises(ValueError) as error:
        build(config, stages=["corpora", "train"], paths=paths)
    message = str(error.value)
    assert expected.format(folder=tmp_path) in message and "nothing was written" in message
    assert "split  gender    low    mid   high" in message and count in message
    assert not any(paths.corpus_table(role).exists() for role in ROLES)


def test_an_auxiliary_corpus_no_method_trains_on_needs_no_val_split(tmp_path, tiny_encoder):
    config = tiny_config(tiny_encoder, write_corpora(tmp_path, auxiliary=AUXILIARY[AUXILIARY.split != "val"]))
    paths = ExperimentPaths(tmp_path / "artifacts" / "tiny")
    assert build(config, stages=["corpora"], paths=paths).stage("corpora")["utterances"]["auxiliary"] == 24


def test_an_encoder_too_shallow_or_too_short_for_the_config_is_named_before_the_corpora_stage(tmp_path, tiny_encoder):
    config = tiny_config(tiny_encoder, write_corpora(tmp_path))
    config = dataclasses.replace(config, model=dataclasses.replace(config.model, layers=5, max_length=100))
    paths = ExperimentPaths(tmp_path / "artifacts" / "tiny")
    with pytest.raises(ConfigError) as error:
        build(config, stages=["corpora"], paths=paths)
    message = str(error.value)
    assert message.startswith(f"{config.source}: 2 problems:")
    assert f'model.layers = 5: the encoder "{tiny_encoder}" has 2 layers; use 1 to 2, or 0 for all' in message
    assert f'model.max_length = 100: the encoder "{tiny_encoder}" reads at most 64 tokens' in message
    assert not paths.root.exists()


def toml_for(tiny_encoder: str, extra: str) -> str:
    columns = "{ " + ", ".join(f'{k} = "{v}"' for k, v in TABLE_COLUMNS.items()) + " }"
    sources = "".join(f'[data.{role}]\nkind = "table"\npath = "{role}.csv"\noptions = {{ columns = {columns} }}\n'
                      for role in ROLES)
    return f'name = "tiny"\n{sources}[model]\nencoder = "{tiny_encoder}"\nmax_length = 16\n{extra}'


def test_cuda_without_a_gpu_is_named_with_the_other_problems_before_any_stage(tmp_path, tiny_encoder, monkeypatch,
                                                                              capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path / "artifacts"))
    toml = write_corpora(tmp_path)
    toml.write_text(toml_for(tiny_encoder, "layers = 3\n[train]\ndevice = \"cuda\"\nepochs = 0\n"))
    with pytest.raises(SystemExit) as exit_:
        build_cli.main([str(toml), "--stages", "corpora"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and f"{toml}: 3 problems:" in err
    assert 'train.device = "cuda": this machine has no CUDA GPU' in err and "use \"auto\"" in err
    assert "train.epochs = 0: must be >= 1" in err and "model.layers = 3: the encoder" in err
    assert not (tmp_path / "artifacts").exists()
    config = tiny_config(tiny_encoder, toml)
    with pytest.raises(ConfigError, match='train.device = "cuda:1": this machine has no CUDA GPU'):
        build(dataclasses.replace(config, train=dataclasses.replace(config.train, device="cuda:1")), stages=["corpora"],
              paths=ExperimentPaths(tmp_path / "artifacts" / "tiny"))


def test_a_cuda_index_past_the_machines_devices_is_named(monkeypatch):
    import torch

    from core.pipeline.preflight import device_problems

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert device_problems("cuda") == device_problems("cuda:0") == device_problems("cpu") == []
    assert device_problems("cuda:1") == ['train.device = "cuda:1": this machine has 1 CUDA device(s); use "auto" '
                                         '(CUDA where there is one) or "cpu"']


def test_the_default_config_and_encoder_pass_the_preflight():
    from core.pipeline.preflight import runtime_problems

    assert runtime_problems(ExperimentConfig()) == []

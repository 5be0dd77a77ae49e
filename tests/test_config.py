"""load_config: TOML keys map 1:1 onto the config dataclasses; unknown keys and wrong types raise; every bad
value is refused when the file is read, naming file, key and what is allowed."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.config import RULES, ConfigError, ExperimentConfig, load_config, resolve_path
from core.data.corpora import FORMATS
from core.methods import METHODS

EXPERIMENTS = Path(__file__).resolve().parents[1] / "scripts" / "experiments"
DEMO_DATA = '[data]\ndemo_seed = 0\n'  # the generated demo corpora: no paths needed


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_values_are_read_and_coerced(tmp_path):
    (tmp_path / "corpus").mkdir()
    config = load_config(write(tmp_path, 'name = "x"\n[train]\nseeds = [0, 1]\nlr = 1\n[data]\ndemo_seed = 0\n'
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
    ("[train]\nepochs = '3'\n", 'train.epochs = "3": must be an integer'),
    ("[train]\nepochs = true\n", "train.epochs = true: must be an integer"),
    ("[train]\nseeds = 0\n", "train.seeds = 0: must be a list"),
    ("[train]\nseeds = [0, 'one']\n", 'train.seeds = [0, "one"]: every item must be an integer, got "one"'),
    ("[methods]\nnoise_rate = 'half'\n", 'methods.noise_rate = "half": must be a number'),
    ("train = 3\n", "train = 3: must be a table"),
    ("[data.primary]\noptions = 'x'\n", 'data.primary.options = "x": must be a table'),
])
def test_wrong_types_raise_naming_the_key(tmp_path, toml, message):
    with pytest.raises(ValueError) as error:
        load_config(write(tmp_path, toml))
    assert message in str(error.value)


def refused(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    return message


@pytest.mark.parametrize("section, line, expected", [
    ("train", "epochs = -1", "train.epochs = -1: must be >= 1"),
    ("train", "batch_size = 0", "train.batch_size = 0: must be >= 1"),
    ("train", "lr = -1", "train.lr = -1.0: must be > 0"),
    ("train", "seeds = []", "train.seeds = []: must not be empty"),
    ("train", "seeds = [0, 0]", "train.seeds = [0, 0]: must not repeat a value"),
    ("train", "seeds = [0, -1]", "train.seeds = [0, -1]: every item must be in [0, 4294967295]"),
    ("explain", "sample_seed = -1", "explain.sample_seed = -1: must be in [0, 4294967295]"),
    ("study", "model_seed = 2", "study.model_seed = 2: must be one of train.seeds [0]"),
    ("train", 'device = "gpu"', "train.device = \"gpu\": must be 'auto', 'cpu', 'cuda' or 'cuda:<index>'"),
    ("explain", "top_k = 0", "explain.top_k = 0: must be >= 1"),
    ("explain", "steps_grid = [16, 0]", "explain.steps_grid = [16, 0]: every item must be >= 1"),
    ("methods", "names = []", "methods.names = []: must not be empty"),
    ("methods", 'names = ["Gen", "PrivNope"]', f"methods.names = [\"Gen\", \"PrivNope\"]: every item must be one "
                                              f"of {list(METHODS)}"),  # the declared methods, whatever they are
    ("methods", 'names = ["PrivAdv"]', "must include 'Gen'"),
    ("methods", "noise_rate = 0", "methods.noise_rate = 0.0: must be in (0, 1]"),
    ("model", 'pooling = "max"', "model.pooling = \"max\": must be one of ['mean', 'cls']"),
    ("model", "dropout = 1", "model.dropout = 1.0: must be in [0, 1)"),
    ("metrics", "alpha = 1.5", "metrics.alpha = 1.5: must be in (0, 1)"),
])
def test_out_of_range_values_name_file_key_and_allowed_values(tmp_path, section, line, expected):
    assert expected in refused(tmp_path, f"{DEMO_DATA}[{section}]\n{line}\n")


def test_every_problem_is_listed_at_once(tmp_path):
    message = refused(tmp_path, f"{DEMO_DATA}[train]\nepochs = 0\nlr = 0\n[explain]\ntop_k = 0\n")
    assert message.splitlines()[0].endswith("3 problems:")
    assert all(key in message for key in ("train.epochs", "train.lr", "explain.top_k"))


def test_unknown_keys_wrong_types_and_bad_values_are_listed_together(tmp_path):
    message = refused(tmp_path, f"{DEMO_DATA}[train]\nepoch = 3\nlr = 'fast'\nbatch_size = 0\n[model]\n"
                                "pooling = 3\n[metrics]\nvalence_lexicon = 'nrc.txt'\n")
    assert message.splitlines()[0].endswith("5 problems:")
    for expected in ("train: unknown key(s) ['epoch']", 'train.lr = "fast": must be a number',
                     "model.pooling = 3: must be a string", "train.batch_size = 0: must be >= 1",
                     'metrics.valence_lexicon = "nrc.txt": no such file'):
        assert expected in message


@pytest.mark.parametrize("section, key", [("train", "seeds"), ("methods", "noise_seed"), ("explain", "sample_seed"),
                                          ("metrics", "seed"), ("study", "seed"), ("study", "model_seed"),
                                          ("data", "demo_seed")])
def test_a_seed_over_32_bits_is_refused_naming_its_key(tmp_path, section, key):
    value = "[4294967296]" if key == "seeds" else "4294967296"
    message = refused(tmp_path, f"[{section}]\n{key} = {value}\n" + ("" if section == "data" else DEMO_DATA))
    assert f"{section}.{key} = {value.replace(',', ', ')}: " in message
    assert "2**32 - 1: numpy, pandas and scikit-learn take 32-bit seeds" in message
    assert load_config(write(tmp_path, f"{DEMO_DATA}[train]\nseeds = [4294967295]\n[study]\n"
                                       "model_seed = 4294967295\n")).train.seeds == (4294967295,)


def test_a_valence_lexicon_folder_and_an_encoder_folder_without_a_model_are_named(tmp_path):
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "not_a_model").mkdir()
    message = refused(tmp_path, f'{DEMO_DATA}[metrics]\nvalence_lexicon = "lexicons"\n'
                                '[model]\nencoder = "not_a_model"\n')
    assert f'metrics.valence_lexicon = "lexicons": is a folder ({tmp_path / "lexicons"}); give the file' in message
    assert (f'model.encoder = "not_a_model": {tmp_path / "not_a_model"} holds no config.json, so it is not a '
            "Hugging Face model folder") in message


def test_toml_syntax_error_names_the_file_and_line(tmp_path):
    assert "not valid TOML" in (message := refused(tmp_path, "[train\nepochs = 1\n"))
    assert "line 1" in message


def test_corpus_sources_need_a_known_kind_an_existing_path_and_the_loaders_options(tmp_path):
    (tmp_path / "meld").mkdir()
    message = refused(tmp_path, "\n".join([
        "[data.primary]", 'kind = "meld"', 'path = "meld"',
        "[data.auxiliary]", 'kind = "msp_improv"', 'path = "missing_msp"',
        'options = { transcripts = "missing.tsv", colour = "red" }',
        "[data.cross]", 'kind = "csv"', 'path = "meld"', ""]))
    assert "data.primary.options: meld needs ['speaker_genders']" in message
    assert f'data.auxiliary.path = "missing_msp": no such file or folder ({tmp_path / "missing_msp"})' in message
    assert 'data.auxiliary.options.transcripts = "missing.tsv": no such file or folder' in message
    assert "data.auxiliary.options: msp_improv takes no option(s) ['colour']" in message
    assert f"data.cross.kind = \"csv\": must be one of {list(FORMATS)}" in message


def test_paths_resolve_against_the_config_file(tmp_path, monkeypatch):
    corpus = tmp_path / "corpora" / "my.csv"
    corpus.parent.mkdir()
    corpus.write_text("text,gender,speaker,valence\n")
    monkeypatch.chdir(Path(__file__).parent)  # not the config's folder
    config = load_config(write(tmp_path, "\n".join([
        "[data]", "demo_seed = 0", "[data.cross]", 'kind = "table"', 'path = "corpora/my.csv"',
        'options = { columns = { text = "text", gender = "gender", speaker = "speaker", valence = "valence" } }',
        ""])))
    assert config.data.cross.path == "corpora/my.csv"


def test_demo_sources_refuse_another_kind_and_missing_paths_without_demo(tmp_path):
    assert "data.primary.kind = \"meld\": the demo primary corpus is written in the 'iemocap' layout" in refused(
        tmp_path, f"{DEMO_DATA}[data.primary]\nkind = \"meld\"\n")
    assert "data.cross.path is empty" in refused(tmp_path, "[data]\ndemo_seed = -1\n")


def test_missing_lexicon_and_encoder_are_named(tmp_path):
    message = refused(tmp_path, f'{DEMO_DATA}[model]\nencoder = "./no-such-bert"\n'
                                '[metrics]\nvalence_lexicon = "NRC-VAD.txt"\n')
    assert 'model.encoder = "./no-such-bert": neither a folder' in message
    assert 'metrics.valence_lexicon = "NRC-VAD.txt": no such file or folder' in message


def test_shipped_configs_are_valid_except_for_the_paths_to_fill(tmp_path):
    assert load_config(EXPERIMENTS / "demo.toml").name == "demo"
    for name in ("paper.toml", "meld.toml"):
        with pytest.raises(ConfigError) as error:
            load_config(EXPERIMENTS / name)
        problems = str(error.value).splitlines()[1:]
        assert problems and all("FILL/" in p for p in problems)


def test_every_rule_names_a_config_key():
    for key in RULES:
        section, _, name = key.rpartition(".")
        owner = getattr(ExperimentConfig(), section) if section else ExperimentConfig()
        assert hasattr(owner, name), f"RULES has {key!r}, which is no config key"

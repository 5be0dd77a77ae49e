"""Shared fixtures: a tiny randomly initialised BERT, small corpus tables in the SPEC §2.1 schema, and one tiny
experiment built through every stage (the dashboard and metric-spec tests share it)."""
from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # as in scripts/: the tests never download anything
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PRIVLENS_WARM_UP", "0")  # AppTest runs of app.py load no model in the background unless asked

from core.config import (ExperimentConfig, ExplainConfig, MethodsConfig, MetricsConfig, ModelConfig,  # noqa: E402
                         TrainConfig, to_dict)
from core.methods import METHODS  # noqa: E402
from core.pipeline.artifacts import ExperimentPaths, read_json, write_json  # noqa: E402
from core.pipeline.files import file_record  # noqa: E402
from core.pipeline.models import default_encoder  # noqa: E402
from core.schema import ROLES  # noqa: E402

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")

POSITIVE = ["wonderful", "great", "lovely", "happy"]
NEGATIVE = ["terrible", "awful", "sad", "horrible"]
NEUTRAL = ["fine", "okay", "normal", "usual"]
WORDS = {"high": POSITIVE, "low": NEGATIVE, "mid": NEUTRAL}


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> str:
    """A 2-layer, 32-wide BERT with random weights and the packaged MiniLM vocabulary.

    The weights are drawn from seed PRIVLENS_TEST_SEED (0 by default), so every run tests the same tiny
    model; another seed runs the suite on another draw, to find an assertion that holds only for one."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny_bert")
    tokenizer = AutoTokenizer.from_pretrained(default_encoder())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64)
    with torch.random.fork_rng():
        torch.manual_seed(int(os.environ.get("PRIVLENS_TEST_SEED", "0")))
        BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def make_table(corpus: str, n_per_cell: int, splits=("train", "val", "test")) -> pd.DataFrame:
    """A corpus table whose valence is carried by one word; two speakers per gender and split."""
    rows = []
    for split, gender, valence, i in itertools.product(splits, "FM", ("low", "mid", "high"), range(n_per_cell)):
        word = WORDS[valence][i % 4]
        hedge = "I think " if gender == "F" else ""
        rows.append({"corpus": corpus, "utt_id": f"{corpus}_{split}_{gender}_{valence}_{i:03d}",
                     "speaker": f"{split}_{gender}{i % 2}", "gender": gender,
                     "text": f"{hedge}the day was {word} for her", "valence": float(i),
                     "valence_class": valence, "split": split})
    return pd.DataFrame(rows)


@pytest.fixture
def tiny_corpora():
    from core.pipeline.recipes import Corpora

    return Corpora(make_table("primary", 4), make_table("auxiliary", 2), make_table("cross", 2, splits=("all",)))


def dashboard_config(encoder: str) -> ExperimentConfig:
    """The config of the `artifacts` experiment: every declared method, one seed, tiny everything."""
    return ExperimentConfig(
        name="tiny", model=ModelConfig(encoder=encoder, max_length=16, gender_hidden=8),
        train=TrainConfig(seeds=(0,), epochs=1, patience=1, batch_size=36, lr=1e-3),
        methods=MethodsConfig(names=tuple(METHODS)),
        explain=ExplainConfig(n_primary=4, n_cross=4, n_steps=8, batch_size=8),
        metrics=MetricsConfig(bootstrap_resamples=50, probe_max_iter=50))


def build_tiny(paths: ExperimentPaths, config: ExperimentConfig) -> None:
    """Build ``config`` on small made-up corpus tables (the corpora stage's output written directly, and the
    config recorded as that stage records it), through every later stage (the audit report included)."""
    from core.pipeline.artifacts import Manifest
    from core.pipeline.build import build

    tables = {"primary": make_table("primary", 2), "auxiliary": make_table("auxiliary", 1),
              "cross": make_table("cross", 2, splits=("all",))}
    for role in ROLES:
        paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
        tables[role].to_parquet(paths.corpus_table(role), index=False)
    Manifest(paths).record_run(to_dict(config), {})
    build(config, stages=["train", "predict", "explain", "metrics", "report"], paths=paths)


def record_as_built(paths: ExperimentPaths, stage: str, *files: Path) -> None:
    """Record edited files in the manifest as ``stage``'s outputs, as an older privlens that wrote them that way
    would have: a test's stand-in for an old table, which the pages must read, not for a hand edit, which they
    refuse."""
    manifest = read_json(paths.manifest)
    for f in files:
        manifest["stages"][stage]["outputs"][str(f.relative_to(paths.root))] = file_record(f)
    write_json(paths.manifest, manifest)


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory, tiny_encoder) -> Path:
    """An artifacts folder holding experiment "tiny": every declared method through every stage on a tiny BERT."""
    base = tmp_path_factory.mktemp("dashboard")
    build_tiny(ExperimentPaths(base / "tiny"), dashboard_config(tiny_encoder))
    return base

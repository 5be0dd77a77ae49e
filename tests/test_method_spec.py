"""A method declared only through its spec (core.methods) reaches the build, Table 1, every page and the study.

"GenTwin" is Gen's recipe under another name, registered for this module alone: nothing else in privlens
is edited, so a failure here means some file still lists methods by hand.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import ExperimentConfig, ExplainConfig, MethodsConfig, MetricsConfig, ModelConfig, TrainConfig, to_dict
from core.methods import METHODS, MethodSpec, count_text
from core.pipeline.artifacts import ExperimentPaths, Manifest
from core.pipeline.build import build
from core.schema import ROLES
from core.study.setup import from_config
from core.study.tasks import LETTERS
from scripts.study import cmd_select
from tests.conftest import make_table
from tests.test_dashboard import cards

ROOT = Path(__file__).resolve().parent.parent
TWIN = MethodSpec("GenTwin", "privacy", "Gen's recipe under another name (a test's throwaway method).", "#cc79a7",
                  "core.pipeline.recipes:Gen")
PAGES = ("home", "explore", "privacy_metrics", "lexicon_overlap", "cross_corpus", "slices", "models")


@pytest.fixture(scope="module")
def twin_build(tmp_path_factory, tiny_encoder):
    """Experiment "twin": every declared method plus GenTwin, built through every stage on a tiny BERT."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(METHODS, TWIN.name, TWIN)
        base = tmp_path_factory.mktemp("twin")
        patch.setenv("PRIVLENS_ARTIFACTS", str(base))
        patch.delenv("PRIVLENS_STUDY_DB", raising=False)
        paths = ExperimentPaths(base / "twin")
        tables = {"primary": make_table("primary", 2), "auxiliary": make_table("auxiliary", 1),
                  "cross": make_table("cross", 2, splits=("all",))}
        for role in ROLES:
            paths.corpus_table(role).parent.mkdir(parents=True, exist_ok=True)
            tables[role].to_parquet(paths.corpus_table(role), index=False)
        config = ExperimentConfig(
            name="twin", model=ModelConfig(encoder=tiny_encoder, max_length=16, gender_hidden=8),
            train=TrainConfig(seeds=(0,), epochs=1, patience=1, batch_size=36, lr=1e-3),
            methods=MethodsConfig(names=tuple(METHODS)),
            explain=ExplainConfig(n_primary=6, n_cross=4, n_steps=8, batch_size=8),
            metrics=MetricsConfig(bootstrap_resamples=50, probe_max_iter=50))
        Manifest(paths).record_run(to_dict(config), {})  # what the corpora stage records (tables given here)
        build(config, stages=["train", "predict", "explain", "metrics"], paths=paths)
        yield config, paths


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    at.session_state["experiment"] = "twin"
    return at.run()


def test_the_build_trains_it_and_table1_has_its_row(twin_build):
    _, paths = twin_build
    table = pd.read_csv(paths.metrics_table("table1"))
    assert list(table.model) == list(METHODS) and "GenTwin" in list(table.model)
    assert table.set_index("model").loc["GenTwin", "valence_uar_within"] >= 0
    assert "| GenTwin |" in paths.metrics_table("table1", ".md").read_text()


@pytest.mark.parametrize("name", PAGES)
def test_every_page_shows_it(twin_build, name):
    at = page(name)
    assert not at.exception and not at.error, [e.value for e in at.error]
    if name == "explore":
        shown = cards(at)
        assert len(shown) == len(METHODS) and any(c.startswith("GenTwin") for c in shown)  # rows of three, wrapped
    elif name == "home":
        assert count_text(METHODS) in at.markdown[0].value
        assert "GenTwin" in at.table[0].value.to_string()


def test_the_study_offers_it_among_the_candidates(twin_build):
    config, paths = twin_build
    setup = from_config(config, paths)
    assert cmd_select(setup, argparse.Namespace()) == 0
    exported = pd.read_csv(paths.study_export("tasks"))
    assert all("GenTwin" in json.loads(cell) for cell in exported.model_mad)
    at = page("trust_study")
    at.text_input[0].input("annotator-1").run()
    assert not at.exception and at.radio[0].options == list(LETTERS[:len(METHODS)])  # every candidate, anonymised


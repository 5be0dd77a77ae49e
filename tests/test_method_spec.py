"""A method declared only through its spec (core.methods) reaches the build, Table 1, every page and the study.

"GenTwin" is Gen's recipe under another name, registered for this module alone: nothing else in privlens
is edited, so a failure here means some file still lists methods by hand.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import ExplainConfig
from core.methods import METHODS, MethodSpec, count_text
from core.pipeline.artifacts import ExperimentPaths
from core.study.tasks import LETTERS
from tests.conftest import build_tiny, dashboard_config
from tests.test_dashboard import PAGES, cards

ROOT = Path(__file__).resolve().parent.parent
TWIN = MethodSpec("GenTwin", "privacy", "Gen's recipe under another name (a test's throwaway method).", "#cc79a7",
                  "core.pipeline.recipes:Gen")


@pytest.fixture(scope="module")
def twin_build(tmp_path_factory, tiny_encoder):
    """Experiment "twin": every declared method plus GenTwin, built through every stage on a tiny BERT."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(METHODS, TWIN.name, TWIN)
        base = tmp_path_factory.mktemp("twin")
        patch.setenv("PRIVLENS_ARTIFACTS", str(base))
        patch.delenv("PRIVLENS_STUDY_DB", raising=False)
        paths = ExperimentPaths(base / "twin")
        config = dataclasses.replace(dashboard_config(tiny_encoder), name="twin",
                                     explain=ExplainConfig(n_primary=6, n_cross=4, n_steps=8, batch_size=8))
        build_tiny(paths, config)
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
    _, paths = twin_build
    assert "selected" in json.loads(paths.manifest.read_text())["stages"]["metrics"]["study"]  # by the build
    exported = pd.read_csv(paths.study_export("tasks"))
    assert all("GenTwin" in json.loads(cell) for cell in exported.model_mad)
    at = page("trust_study")
    at.text_input[0].input("annotator-1").run()
    assert not at.exception and at.radio[0].options == list(LETTERS[:len(METHODS)])  # every candidate, anonymised


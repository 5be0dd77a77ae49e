"""Issue 20 E: an old or partial metrics table never crashes a page. Every page that reads a metrics table runs
with each of that table's columns dropped in turn; it may say the table is from an older build (with the
rebuild command), never raise."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.pipeline.artifacts import METRICS_TABLES, ExperimentPaths
from tests.conftest import record_as_built

ROOT = Path(__file__).resolve().parent.parent
READS = re.compile(r"(?:metrics_(?:frame|table)|optional)\(")  # a read; the table's name: the first string after it


def tables_read_by(page: str) -> list[str]:
    """The metrics tables a page reads: named in the page or in its logic module in core/dashboard."""
    sources = [ROOT / "pages" / f"{page}.py", ROOT / "core" / "dashboard" / f"{page}.py"]
    names = set()
    for source in (path.read_text() for path in sources if path.is_file()):
        names |= {m.group(1) for read in READS.finditer(source)
                  if (m := re.search(r'"(\w+)"', source[read.end():read.end() + 100]))}
    return sorted(names & set(METRICS_TABLES))


PAGE_TABLES = [(p.stem, table) for p in sorted((ROOT / "pages").glob("*.py")) for table in tables_read_by(p.stem)]


def test_the_pages_reading_metrics_tables_are_found():
    assert ("cross_corpus", "psc_correlation") in PAGE_TABLES and ("privacy_metrics", "table1") in PAGE_TABLES
    assert {("privacy_metrics", "leakage_reference"), ("privacy_metrics", "attacker_curve")} <= set(PAGE_TABLES)
    assert {page for page, _ in PAGE_TABLES} >= {"cross_corpus", "privacy_metrics", "models", "lexicon_overlap",
                                                  "projector"}


@pytest.fixture
def partial(artifacts, tmp_path, monkeypatch) -> ExperimentPaths:
    """A copy of the tiny experiment whose metrics tables the test edits."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    return ExperimentPaths(Path(shutil.copytree(artifacts / "tiny", tmp_path / "partial",
                                                ignore=shutil.ignore_patterns("models"))))


# The row a build writes when the correlation is defined, for a tiny build whose one was not.
DEFINED = {"psc_correlation": {"pearson_r": 0.5, "pearson_p": 0.4, "spearman_rho": 0.3, "spearman_p": 0.6, "n": 5}}


@pytest.mark.parametrize("page, table", PAGE_TABLES)
def test_a_metrics_table_missing_any_column_never_crashes_the_page(partial, page, table):
    path = partial.metrics_table(table)
    try:
        full = pd.read_csv(path)
    except pd.errors.EmptyDataError:  # the tiny models' Psc did not vary: the build wrote the undefined, empty row
        full = pd.DataFrame([DEFINED[table]])
    for column in full.columns:
        full.drop(columns=column).to_csv(path, index=False)
        record_as_built(partial, "metrics", path)
        st.cache_data.clear()  # the pages cache on the experiment's stamp, which an edited file does not move
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
        at.session_state["experiment"] = "partial"
        at.run()
        assert not at.exception, (page, table, column, [e.message for e in at.exception])
        for error in at.error:  # what a page may say instead: the table is older, with the command to rebuild it
            assert path.name in error.value and column in error.value, (page, table, column, error.value)

"""The audit report (core.report): written by the build, self-contained, its Table 1 the build's, refreshed when the
numbers change and left alone when they do not, and readable from an older build that lacks tables."""
from __future__ import annotations

import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from core.config import MethodsConfig
from core.dashboard.privacy_metrics import format_table1
from core.pipeline.artifacts import ExperimentPaths, read_json
from core.pipeline.build import build
from core.pipeline.status import experiment_status
from core.report.document import UNREADABLE, write_report
from tests.conftest import build_tiny, dashboard_config, needs_chromium

LINKS = {"script": "src", "link": "href", "img": "src", "iframe": "src", "source": "src"}


class Page(HTMLParser):
    """What the tests read back: every address a tag would fetch, and the cells of the table inside #table1."""

    def __init__(self, text: str):
        super().__init__()
        self.fetched: list[str] = []
        self.rows: list[list[str]] = []
        self._in_table1 = self._cell = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in LINKS and attrs.get(LINKS[tag]):
            self.fetched.append(attrs[LINKS[tag]])
        if attrs.get("id") == "table1":
            self._in_table1 = True
        elif self._in_table1 and tag == "tr":
            self.rows.append([])
        elif self._in_table1 and tag in ("td", "th"):
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self._cell = False
        elif tag == "table" and self._in_table1:
            self._in_table1 = False

    def handle_data(self, data):
        if self._cell:
            self.rows[-1][-1] += data.strip()

    def table1(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows[1:], columns=self.rows[0])


def shown_table1(paths: ExperimentPaths) -> pd.DataFrame:
    """Table 1 as the report must show it: the build's table1.csv through the page's own formatting."""
    return format_table1(pd.read_csv(paths.metrics_table("table1")))


def test_the_build_writes_a_self_contained_report_with_the_builds_table1(artifacts):
    paths = ExperimentPaths(artifacts / "tiny")
    text = paths.report.read_text()
    assert paths.report.stat().st_size < 10_000_000
    page = Page(text)
    assert not [a for a in page.fetched if a.startswith(("http:", "https:", "//"))], page.fetched
    assert text.count("<script type=\"text/javascript\">/**") == 1  # plotly.js inlined once, every figure after it
    assert UNREADABLE not in text
    assert str(artifacts.resolve()) not in text and str(artifacts) not in text  # no path of this machine
    assert f"{artifacts.name}/tiny/study/" in text  # the study database, named by its folders
    pd.testing.assert_frame_equal(page.table1(), shown_table1(paths))
    assert {s.stage: s.state for s in experiment_status(paths)}["report"] == "done"


def test_new_numbers_rebuild_the_report_and_the_same_ones_leave_it(tiny_encoder, tmp_path):
    paths = ExperimentPaths(tmp_path / "tiny")
    config = replace(dashboard_config(tiny_encoder), methods=MethodsConfig(names=("Gen", "PrivAdv")))
    build_tiny(paths, config)
    before_text = paths.report.read_text()
    before = Page(before_text).table1()
    assert list(before.model) == ["Gen", "PrivAdv"] and "PrivAug" not in paths.report.read_text()
    shutil.rmtree(paths.metrics_dir)
    build(config, stages=["metrics", "report"], paths=paths)  # the same numbers again: the report stays
    assert read_json(paths.manifest)["stages"]["report"]["written"] is False
    changed = replace(config, metrics=replace(config.metrics, alpha=0.99, probe_max_iter=3, bootstrap_resamples=7))
    build(changed, stages=["metrics"], paths=paths)
    assert {s.stage: s.state for s in experiment_status(paths)}["report"] == "stale"
    build(changed, stages=["report"], paths=paths)
    after = Page(paths.report.read_text()).table1()
    assert read_json(paths.manifest)["stages"]["report"]["written"] is True
    pd.testing.assert_frame_equal(after, shown_table1(paths))
    # Table 1 is the new table1.csv (above); a tiny build's rounded cells may happen to repeat, its settings cannot
    assert "(50 resamples)" in before_text and "(7 resamples)" in paths.report.read_text()


def test_an_older_build_without_optional_tables_still_reports(artifacts, tmp_path):
    paths = ExperimentPaths(Path(shutil.copytree(artifacts / "tiny", tmp_path / "tiny")))
    for name in ("leakage_reference", "faithfulness", "mad_categories"):
        paths.metrics_table(name).unlink()
    text = write_report(paths, None, tmp_path / "old.html").read_text()
    assert "No leakage references in this build" in text and "No faithfulness table in this build" in text
    assert "No trust-study results" in text and UNREADABLE not in text
    paths.metrics_table("table1").unlink()
    text = write_report(paths, None, tmp_path / "older.html").read_text()
    assert text.count(UNREADABLE) == 3 and "Provenance" in text  # summary, Table 1, leakage say why; the rest stand


@needs_chromium
def test_the_report_renders_in_chromium_without_errors_or_requests(artifacts, tmp_path):
    screenshots = pytest.importorskip("scripts.screenshots")
    report = ExperimentPaths(artifacts / "tiny").report
    with screenshots.browser_page(9297) as client:
        shots = client.report_shots(report, tmp_path, timeout=60)
        problems = client.problems()
    assert shots and not problems, problems

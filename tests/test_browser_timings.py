"""python -m scripts.dashboard_timings --browser on the tiny build: one page and one typed sentence of each kind in
headless Chromium, the highlights found in the DOM (skipped where Chromium is not installed)."""
from __future__ import annotations

import json

from scripts import dashboard_timings
from tests.conftest import needs_chromium

pytestmark = needs_chromium


def test_the_browser_budget_reports_every_figure(artifacts, monkeypatch, capsys):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    code = dashboard_timings.main(["--browser", "--experiment", "tiny", "--repeats", "1", "--pages", "explore",
                                   "--timeout", "120"])
    result = json.loads(capsys.readouterr().out)
    assert code == (0 if all(result["within_budget"].values()) else 1)
    assert result["warm_up"] is True
    assert result["typed_sentences"] == {"warm": 1, "swap": 1}
    for key in ("typed_cold_s", "typed_warm_p50_s", "typed_swap_warm_p50_s", "page_second_load_max_s"):
        assert 0 < result[key] < 120, key
    assert set(result["page_first_load_s"]) == set(result["page_second_load_s"]) == {"home", "explore"}
    assert result["within_budget"] == {key: result[key] <= limit for key, limit in result["budget"].items()}
    assert {"cpu", "cores", "load_average_1_5_15", "load_average_at_start_1_5_15"} <= set(result["machine"])

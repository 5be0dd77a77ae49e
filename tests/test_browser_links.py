"""A shared link opened first on a newly started server: the page comes inside the app (its navigation, its
sidebar), not as a bare file of pages/ (headless Chromium; skipped where Chromium is not installed)."""
from __future__ import annotations

import os

from scripts.dashboard_timings import free_port
from scripts.screenshots import app_in_browser
from tests.conftest import needs_chromium

NAVIGATION = """(() => { const n = document.querySelector('[data-testid="stSidebarNav"]');
  return n && n.innerText.includes('Cross-corpus') ? n.innerText : null; })()"""
TITLE = """(() => { const h = document.querySelector('[data-testid="stMain"] h1');
  return h ? h.innerText : null; })()"""
PICKER = """(() => { const s = document.querySelector('[data-testid="stSidebarUserContent"]');
  return s && s.innerText.includes('Save charts as') ? s.innerText : null; })()"""


@needs_chromium
def test_a_link_opened_first_after_a_restart_shows_its_page_inside_the_app(artifacts):
    env = {**os.environ, "PRIVLENS_ARTIFACTS": str(artifacts), "PRIVLENS_WARM_UP": "0"}
    port = free_port()
    with app_in_browser(port, free_port(), env=env) as browser:
        browser.call("Page.navigate", url=f"http://localhost:{port}/cross_corpus?experiment=tiny")
        navigation = browser.poll(NAVIGATION, timeout=90, what="the app's own navigation").splitlines()
        title = browser.poll(TITLE, timeout=90, what="the page's title")
        picker = browser.poll(PICKER, timeout=90, what="app.py's sidebar widgets")
    assert "Home" in navigation and not {"app", "common", "cross corpus"} & set(navigation)  # app.py's pages only
    assert title == "Cross-corpus" and "Experiment" in picker  # the page, with app.py's sidebar

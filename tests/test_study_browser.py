"""A real browser double-clicks Submit on a fully answered task: exactly one new response (headless Chromium over the
DevTools protocol, as scripts/screenshots.py drives it; skipped where Chromium is not installed)."""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from websockets.sync.client import connect

from core.study.setup import for_experiment
from scripts.dashboard_timings import free_port
from scripts.screenshots import Browser, running, wait_for
from tests.conftest import CHROMIUM, needs_chromium
from tests.test_study_pages import built_experiment, study_tasks

ROOT = Path(__file__).resolve().parent.parent
pytestmark = needs_chromium


def wait_until(browser: Browser, expression: str, timeout: float = 90) -> object:
    """Poll a JavaScript expression until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while not (value := browser.evaluate(expression)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout:.0f} s: {expression}")
        time.sleep(0.25)
    return value


RADIOS = """document.querySelectorAll('[data-testid="stRadio"] label').length && \
  document.querySelectorAll('[data-testid="stRadio"]').length"""
ANSWER_ALL = """(() => { const groups = document.querySelectorAll('[data-testid="stRadio"]');
  groups.forEach(g => g.querySelectorAll('label')[1].click());
  return groups.length; })()"""
CHECKED = """Array.from(document.querySelectorAll('[data-testid="stRadio"] input:checked')).length"""
SUBMIT = """(() => { const b = document.querySelector('[data-testid="stFormSubmitButton"] button');
  if (!b) return null; b.scrollIntoView({block: "center"}); const r = b.getBoundingClientRect();
  return JSON.stringify([r.x + r.width / 2, r.y + r.height / 2]); })()"""
TEXT = "(document.querySelector('[data-testid=\"stMain\"]')?.innerText || '')"


def double_click(browser: Browser, x: float, y: float) -> None:
    """Two presses as a mouse sends them for a double click, back to back."""
    for count in (1, 2):
        for kind in ("mousePressed", "mouseReleased"):
            browser.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=count)


def test_double_clicking_submit_stores_one_response(tmp_path, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    monkeypatch.delenv("PRIVLENS_STUDY_DB", raising=False)
    built_experiment(tmp_path)
    store = for_experiment("demo").open()
    store.add_tasks(study_tasks())
    port, debug = free_port(), free_port()
    app = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    profile = tempfile.mkdtemp(prefix="privlens-chromium-")
    chromium = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", f"--user-data-dir={profile}", f"--remote-debugging-port={debug}",
                "about:blank"]
    try:
        with running(app, cwd=ROOT, env=dict(os.environ)), running(chromium):
            wait_for(f"http://localhost:{port}/_stcore/health", 120)
            target = next(t for t in json.loads(wait_for(f"http://localhost:{debug}/json", 60)) if t["type"] == "page")
            with connect(target["webSocketDebuggerUrl"], max_size=None) as socket_:
                browser = Browser(socket_)
                browser.call("Page.navigate", url=f"http://localhost:{port}/?annotator=browser-1&experiment=demo")
                wait_until(browser, f"{RADIOS} === 3 && {SUBMIT}")
                assert browser.evaluate(ANSWER_ALL) == 3 and wait_until(browser, f"{CHECKED} === 3")
                x, y = json.loads(browser.evaluate(SUBMIT))
                double_click(browser, x, y)
                wait_until(browser, f"{TEXT}.includes('1 answered')")
                time.sleep(3)  # room for a second submission to land, if one were sent
                text = browser.evaluate(TEXT)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert store.responses().annotator.tolist() == ["browser-1"] and "1 answered · 11 left" in text
    assert "already answered" not in text and "Please answer" not in text  # the second click: silent, no stray form

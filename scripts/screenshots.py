"""Screenshot every dashboard page into docs/img/: python -m scripts.screenshots [--port 8601] [--out docs/img].

With ``--report FILE`` it screenshots an audit report (core.report) instead, top to bottom in window-sized parts
(report_01.png, …), and fails when the page logged an error or asked for anything but the file itself.

Starts the app (streamlit run app.py) on the built artifacts, opens each page in headless Chromium
through the DevTools protocol, waits until the page has finished rendering (no script running,
no spinner, the text and charts stable for two polls in a row), and saves a full-height PNG.
Chromium comes from Debian's packages: ``sudo apt-get install chromium``.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from websockets.sync.client import ClientConnection, connect

from core.pipeline.artifacts import PROJECT_ROOT

PAGES = {"home": "", "explore": "explore", "privacy_metrics": "privacy_metrics", "projector": "projector",
         "lexicon_overlap": "lexicon_overlap", "cross_corpus": "cross_corpus", "slices": "slices",
         "models": "models", "trust_study": "?annotator=screenshot", "trust_results": "trust_results"}
WIDTH = 1400
READY = """(() => {
  const busy = document.querySelector('[data-testid="stStatusWidget"]')?.innerText.includes('Running')
      || document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"]') !== null;
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main || busy || !main.innerText.trim()) return null;  // every page has a title: empty = not yet run
  const charts = main.querySelectorAll('.js-plotly-plot .main-svg').length;
  return JSON.stringify([main.innerText.length, charts, main.scrollHeight]);
})()"""
REPORT_READY = """(() => document.readyState !== 'complete' ? null : JSON.stringify(
  [document.body.innerText.length, document.querySelectorAll('.js-plotly-plot .main-svg').length,
   document.body.scrollHeight]))()"""
HEIGHT = """(() => { const m = document.querySelector('[data-testid="stMain"]');
  return Math.max(m ? m.scrollHeight : 0, document.body.scrollHeight); })()"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    sys.exit("Chromium not found. Install it from Debian's packages: sudo apt-get install chromium")


def wait_for(url: str, timeout: float) -> str:
    """Poll ``url`` until it answers; returns its body."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout:.0f} s") from None
            time.sleep(0.5)


@contextmanager
def running(command: list[str], **kwargs) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


class Browser:
    """A minimal Chrome DevTools Protocol client over one page's websocket."""

    def __init__(self, socket: ClientConnection):
        self.socket = socket
        self.next_id = 0
        self.events: list[dict] = []  # what the page reported while we waited for answers (console, network)

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def problems(self) -> list[str]:
        """Errors the page logged or threw, and requests for anything but a file or inline data, so far."""
        found = []
        for event in self.events:
            kind, params = event["method"], event.get("params", {})
            if kind == "Runtime.exceptionThrown":
                found.append(f"exception: {params['exceptionDetails'].get('text')}")
            elif kind == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append("console error: " + " ".join(str(a.get("value", a.get("description")))
                                                         for a in params.get("args", [])))
            elif kind == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"log error: {params['entry'].get('text')}")
            elif kind == "Network.requestWillBeSent":
                url = params["request"]["url"]
                found += [] if url.startswith(("file:", "data:", "about:", "blob:")) else [f"request: {url}"]
        return found

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def poll(self, expression: str, *, timeout: float, interval: float = 0.05, what: str = ""):
        """Evaluate ``expression`` every ``interval`` s until it is truthy; returns its value (TimeoutError after
        ``timeout`` s, naming ``what``)."""
        deadline = time.monotonic() + timeout
        while not (value := self.evaluate(expression)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what or expression} still not true after {timeout:.0f} s")
            time.sleep(interval)
        return value

    def open(self, url: str, *, timeout: float, width: int = WIDTH, settle: float = 1.0, ready: str = READY) -> None:
        """Open ``url`` in a window ``width`` px wide and wait until ``ready`` gives the same answer twice."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False)
        self.call("Page.navigate", url=url)
        time.sleep(settle)
        deadline, previous, stable = time.monotonic() + timeout, None, 0
        while stable < 2:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} was still rendering after {timeout:.0f} s")
            time.sleep(settle)
            state = self.evaluate(ready)
            stable = stable + 1 if state is not None and state == previous else 0
            previous = state

    def screenshot(self, url: str, path: Path, *, timeout: float, width: int = WIDTH, settle: float = 1.0) -> None:
        """Open ``url`` in a window ``width`` px wide, wait until it has rendered, and save a full-height PNG."""
        self.open(url, timeout=timeout, width=width, settle=settle)
        height = int(self.evaluate(HEIGHT) or 900)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=min(height + 40, 12_000),
                  deviceScaleFactor=1, mobile=False)
        time.sleep(settle)  # charts re-lay out at the new height
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


    def report_shots(self, report: Path, out: Path, *, timeout: float, width: int = WIDTH,
                     part: int = 1100) -> list[Path]:
        """Open an audit report and save it top to bottom as PNGs ``part`` px tall (report_01.png, …)."""
        for domain in ("Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")
        self.open(report.resolve().as_uri(), timeout=timeout, width=width, ready=REPORT_READY)
        height, shots = int(self.evaluate(HEIGHT) or part), []
        for i, top in enumerate(range(0, height, part), start=1):
            clip = {"x": 0, "y": top, "width": width, "height": min(part, height - top), "scale": 1}
            data = self.call("Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True)["data"]
            shots.append(out / f"report_{i:02d}.png")
            shots[-1].write_bytes(base64.b64decode(data))
        return shots


@contextmanager
def browser_page(port: int) -> Iterator[Browser]:
    """Headless Chromium with a fresh profile, and a DevTools client on its first page."""
    profile = tempfile.mkdtemp(prefix="privlens-chromium-")
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--hide-scrollbars", f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"]
    try:
        with running(command):
            targets = json.loads(wait_for(f"http://localhost:{port}/json", 60))
            page = next(t for t in targets if t.get("type") == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
                yield Browser(socket)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def report_main(args: argparse.Namespace) -> int:
    """``--report``: the report's screenshots, and what it logged or requested (exit 1 when anything)."""
    args.out.mkdir(parents=True, exist_ok=True)
    with browser_page(args.debug_port) as client:
        for shot in client.report_shots(args.report, args.out, timeout=args.timeout, width=args.width):
            print(shot)
        problems = client.problems()
    print("\n".join(problems) or "no console errors, no network requests")
    return 1 if problems else 0


def app_command(port: int) -> list[str]:
    """``streamlit run app.py`` headless on ``port``."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]


@contextmanager
def app_in_browser(port: int, debug_port: int, *, env: dict[str, str] | None = None) -> Iterator[Browser]:
    """The app served on ``port`` and headless Chromium (DevTools on ``debug_port``) on a blank page, both stopped
    after the block; yields the DevTools client of that page."""
    with running(app_command(port), cwd=PROJECT_ROOT, env=env or os.environ.copy()), \
            browser_page(debug_port) as client:
        wait_for(f"http://localhost:{port}/_stcore/health", 120)
        yield client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8601, help="port for the app (default 8601)")
    parser.add_argument("--debug-port", type=int, default=9233, help="Chromium's DevTools port")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "img")
    parser.add_argument("--timeout", type=float, default=180, help="seconds to wait for each page")
    parser.add_argument("--width", type=int, default=WIDTH, help=f"window width in px (default {WIDTH}; 800 = narrow)")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES), help="pages to take")
    parser.add_argument("--report", type=Path, help="screenshot this audit report (an HTML file) instead of the app")
    args = parser.parse_args(argv)
    if args.report:
        return report_main(args)
    chromium()  # says how to install it before anything starts
    args.out.mkdir(parents=True, exist_ok=True)
    with app_in_browser(args.port, args.debug_port) as client:
        for name in args.pages:
            started = time.monotonic()
            target = args.out / f"{name}.png"
            client.screenshot(f"http://localhost:{args.port}/{PAGES[name]}", target, timeout=args.timeout,
                              width=args.width)
            print(f"{target} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

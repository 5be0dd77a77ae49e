"""Dashboard timings on a built experiment: python -m scripts.dashboard_timings [--browser] [--experiment demo].

Without --browser, prints one JSON object of AppTest times (no browser, no server): each page's
render time (cold: first run in this process, caches empty; warm: the median of --repeats reruns),
and the Explore page's time from submitting a typed sentence to every model's highlights (models
already loaded, each sentence new, so nothing is cached): the median and the spread of --repeats
sentences.

With --browser, the latency budget as a reader meets it (docs/PERFORMANCE.md): starts the app
(``streamlit run app.py``, models warming up in the background as they do in use) and headless
Chromium (scripts/screenshots.py's DevTools client), and prints one JSON object: the seconds from a
typed sentence's submit to every model's highlights of that sentence in the DOM (polled, not slept)
— ``typed_cold_s`` for the first sentence after the server started (Explore being the first page
opened), ``typed_warm_p50_s`` over --repeats new sentences, ``typed_swap_warm_p50_s`` with the
gender swap on (both versions' highlights) — each page's load time until its script has finished
and its charts are drawn, first and second after the start (Home's first by the app's address, the
way a reader arrives; every other load by clicking the page's link in the sidebar, as a reader moves
around), the machine and its load average, and ``within_budget`` per figure; it exits 1 when one is over.
The app serves that one experiment (a scratch
artifacts folder that links to it) and the study pages an empty scratch database, so the build is
never written.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.dashboard.experiment import open_experiment
from core.data.lexicons import GenderSwapper
from core.data.words import split_words
from core.pipeline.artifacts import PROJECT_ROOT, ExperimentPaths

PAGES = ("home", "explore", "privacy_metrics", "lexicon_overlap", "cross_corpus")
SENTENCES = ("I think my husband was lovely at dinner, you know?", "The exam was awful and I hated every minute.",
             "Honestly, the weekend trip turned out fine.", "She said the new job is kind of great, right?",
             "We waited two hours and the train never came.", "My wife loved the concert, it was amazing!",
             "Well, maybe the meeting went okay after all.", "He was furious about the broken window.",
             "The library is open on Friday afternoons.", "Damn, that presentation was a total disaster.",
             "I guess the food was sort of decent.", "Our neighbours threw a wonderful party last night.")
SWAP_SENTENCES = ("My brother said the holiday was wonderful.", "Her husband hated the long drive home.",
                  "The girls thought the film was boring.", "His mother made a lovely cake for us.",
                  "Our son was upset about the rain today.", "That woman told me the hotel was awful.",
                  "Your father seemed happy with the new car.", "The boys were sad when summer ended.",
                  "A king once said the music was fine.", "Their daughter loved the little puppy.",
                  "The man next door was rude again.")
BUDGET = {"typed_cold_s": 5.0, "typed_warm_p50_s": 1.0, "typed_swap_warm_p50_s": 1.5, "page_second_load_max_s": 1.5}


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def app(page: str, experiment: str) -> AppTest:
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / f"{page}.py"), default_timeout=600)
    at.session_state["experiment"] = experiment
    return at


def check(at: AppTest, what: str) -> None:
    if at.exception or at.error:
        raise SystemExit(f"{what}: {[e.message for e in at.exception] or [e.value for e in at.error]}")


def page_times(experiment: str, repeats: int) -> dict[str, dict[str, float]]:
    out = {}
    for page in PAGES:
        at = app(page, experiment)
        cold = timed(at.run)
        check(at, page)
        warm = [timed(at.run) for _ in range(repeats)]
        out[page] = {"cold_s": round(cold, 3), "warm_p50_s": round(statistics.median(warm), 3)}
    return out


def typed_times(experiment: str, repeats: int) -> dict[str, float]:
    at = app("explore", experiment)
    at.run()
    at.radio(key="explore_mode").set_value("Type a sentence").run()

    def submit(text: str) -> None:
        at.text_area[0].input(text)
        at.button[0].click()
        at.run()
        check(at, text)

    load = timed(lambda: submit(SENTENCES[0]))  # loads every model once (st.cache_resource)
    times = [timed(lambda s=s: submit(s)) for s in SENTENCES[1:repeats + 1]]
    return {"first_sentence_with_model_loading_s": round(load, 2), "p50_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3), "max_s": round(max(times), 3), "sentences": len(times)}


READY = """(() => {
  if (window.__privlens_left) return null;  // still the page before the navigation
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  if (!app || !main || app.dataset.testScriptState !== 'notRunning') return null;
  if (window.__privlens_runs && !window.__privlens_runs.includes('running')) return null;  // not rerun yet
  if (document.querySelector('[data-testid="stSpinner"], [data-testid="stSkeleton"], [data-stale="true"]')) return null;
  const charts = Array.from(main.querySelectorAll('[data-testid="stPlotlyChart"]'));
  if (charts.some(c => !c.querySelector('.main-svg'))) return null;
  return main.innerText.trim().length > 0;
})()"""
HIGHLIGHTS = """(() => {  // highlight blocks whose words begin with each list's words (a model may cut the text)
  const wanted = %s;
  const blocks = Array.from(document.querySelectorAll('[data-testid="stMain"] div[style*="line-height:1.9"]'))
      .map(b => Array.from(b.querySelectorAll('span[tabindex="0"]')).map(s => s.textContent));
  const prefix = (got, words) => got.length >= Math.min(3, words.length) && got.every((w, i) => w === words[i]);
  const counts = wanted.map(words => blocks.filter(got => prefix(got, words)).length);
  return counts.every(n => n >= %d) ? counts : null;
})()"""
EXPAND_NAV = """(() => { const b = document.querySelector('[data-testid="stSidebarNavViewButton"]');
  if (b && b.innerText.includes('more')) b.click(); return true; })()"""
WATCH = """const app = document.querySelector('[data-testid="stApp"]');  // READY waits for a run after this
  window.__privlens_runs = [];
  if (window.__privlens_watch) window.__privlens_watch.disconnect();
  window.__privlens_watch = new MutationObserver(() => window.__privlens_runs.push(app.dataset.testScriptState));
  window.__privlens_watch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});"""
NAVIGATE = """(() => {  // the sidebar's link, as a reader clicks it
  const link = Array.from(document.querySelectorAll('[data-testid="stSidebarNav"] a'))
      .find(a => new URL(a.href).pathname === %s);
  if (!link) return false;
  """ + WATCH + """
  link.click();
  return true;
})()"""
SHOWN = """(() => { const m = document.querySelector('[data-testid="stMain"]');
  return m ? m.innerText.slice(0, 1500) : ''; })()"""
TYPE_INTO = """(() => { const t = document.querySelector('[data-testid="stMain"] [data-testid="stForm"] textarea');
  if (!t) return false; t.focus(); t.select(); return true; })()"""
SUBMIT = """(() => { const b = document.querySelector('[data-testid="stFormSubmitButton"] button');
  if (!b) return false; b.click(); return true; })()"""
CLICK_LABEL = """(() => { const l = Array.from(document.querySelectorAll('[data-testid="stMain"] label'))
  .find(l => l.innerText.includes(%s));
  if (!l) return false;
  """ + WATCH + """
  (l.querySelector('input') || l).click(); return true; })()"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict:
    """The hardware and its load when a measurement ran (the figures mean little without it)."""
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)),
            "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}


class BrowserTimer:
    """Drives one app through Chromium and times what a reader waits for."""

    def __init__(self, browser, base_url: str, experiment: str, models: int, timeout: float):
        self.browser, self.base_url, self.experiment = browser, base_url, experiment
        self.models, self.timeout = models, timeout

    def open(self, path: str) -> float:
        """Seconds from opening ``path`` by its address (a new session: the app's frontend loads too) until its
        script has finished and its charts are drawn."""
        self.browser.call("Emulation.setDeviceMetricsOverride", width=1400, height=900, deviceScaleFactor=1,
                          mobile=False)
        self.browser.evaluate("window.__privlens_left = true")
        started = time.perf_counter()
        self.browser.call("Page.navigate", url=f"{self.base_url}/{path}?experiment={self.experiment}")
        self.browser.poll(READY, timeout=self.timeout, what=f"page /{path} ready")
        return time.perf_counter() - started

    def visit(self, path: str) -> float:
        """Seconds from clicking ``path``'s link in the sidebar until its script has run and its charts are drawn."""
        self.browser.evaluate(EXPAND_NAV)
        time.sleep(0.2)
        started = time.perf_counter()
        if not self.browser.evaluate(NAVIGATE % json.dumps(f"/{path}")):
            raise RuntimeError(f"no link to /{path} in the sidebar")
        self.browser.poll(READY, timeout=self.timeout, what=f"page /{path} ready")
        return time.perf_counter() - started

    def ready(self) -> None:
        self.browser.poll(READY, timeout=self.timeout, what="the page ready")

    def click(self, label: str) -> None:
        if not self.browser.evaluate(CLICK_LABEL % json.dumps(label)):
            raise RuntimeError(f"no control labelled {label!r} on the page")
        self.ready()

    def typed(self, text: str, swapper: GenderSwapper | None = None) -> float:
        """Seconds from submitting ``text`` to every model's highlights of it (and of its swap, with ``swapper``)."""
        if not self.browser.evaluate(TYPE_INTO):
            raise RuntimeError("no text area on the page: is Explore in its typed mode?")
        self.browser.call("Input.insertText", text=text)
        wanted = [[w.text for w in split_words(text)]]
        if swapper is not None:
            wanted.append([w.text for w in split_words(swapper.swap(text))])
        started = time.perf_counter()
        if not self.browser.evaluate(SUBMIT):
            raise RuntimeError("no submit button on the page")
        try:
            self.browser.poll(HIGHLIGHTS % (json.dumps(wanted), self.models), timeout=self.timeout,
                              what=f"{self.models} models' highlights of {text!r}")
        except TimeoutError as error:
            raise TimeoutError(f"{error}; the page says: {self.browser.evaluate(SHOWN)!r}") from None
        seconds = time.perf_counter() - started
        self.ready()  # the rest of the page, before the next sentence
        return seconds


def browser_times(experiment: str, repeats: int, pages: list[str], *, warm_up: bool, timeout: float) -> dict:
    """The --browser figures: Home by the app's address, Explore and its typed sentences, then the other pages'
    first loads, then every page's second load (``pages`` is the pages to time; Home and Explore always run)."""
    from scripts.screenshots import PAGES as SHOWN
    from scripts.screenshots import app_in_browser

    paths = {**SHOWN, "trust_study": "trust_study"}  # the study page as a visitor sees it (no study link)
    methods = open_experiment(experiment).methods
    before = machine()
    with tempfile.TemporaryDirectory(prefix="privlens-timings-") as scratch:
        served = Path(scratch) / "artifacts"  # the one experiment, so that the app shows that one on every page
        served.mkdir()
        built = ExperimentPaths.for_experiment(experiment).root.resolve()
        ExperimentPaths.for_experiment(experiment, served).root.symlink_to(built)
        env = {**os.environ, "PRIVLENS_ARTIFACTS": str(served), "PRIVLENS_WARM_UP": "1" if warm_up else "0",
               "PRIVLENS_STUDY_DB": f"sqlite:///{scratch}/study.sqlite"}
        port = free_port()
        with app_in_browser(port, free_port(), env=env) as browser:
            timer = BrowserTimer(browser, f"http://localhost:{port}", experiment, len(methods), timeout)
            # A reader arrives at the app's address (Home), then opens Explore and types at once: the warm-up
            # has had only that long.
            first = {"home": timer.open(paths["home"]), "explore": timer.visit(paths["explore"])}
            timer.click("Type a sentence")
            cold = timer.typed(SENTENCES[0])
            warm = [timer.typed(s) for s in SENTENCES[1:repeats + 1]]
            swapper = GenderSwapper.load()
            timer.click("gender-swapped")
            swap = [timer.typed(s, swapper) for s in SWAP_SENTENCES[:repeats]]
            first.update({page: timer.visit(paths[page]) for page in pages if page not in first})
            second = {page: timer.visit(paths[page]) for page in first}
    result = {"experiment": experiment, "mode": "browser", "models": len(methods), "warm_up": warm_up,
              "typed_sentences": {"warm": len(warm), "swap": len(swap)},
              "typed_cold_s": round(cold, 3), "typed_warm_p50_s": round(statistics.median(warm), 3),
              "typed_warm_max_s": round(max(warm), 3), "typed_swap_warm_p50_s": round(statistics.median(swap), 3),
              "typed_swap_warm_max_s": round(max(swap), 3),
              "page_first_load_s": {p: round(t, 3) for p, t in first.items()},
              "page_second_load_s": {p: round(t, 3) for p, t in second.items()},
              "page_second_load_max_s": round(max(second.values()), 3)}
    result["within_budget"] = {key: result[key] <= limit for key, limit in BUDGET.items()}
    result["budget"] = BUDGET
    result["machine"] = {**machine(), "load_average_at_start_1_5_15": before["load_average_1_5_15"]}
    return result


def main(argv: list[str] | None = None) -> int:
    from scripts.screenshots import PAGES as SHOWN

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="demo")
    parser.add_argument("--repeats", type=int, default=10, choices=range(1, len(SENTENCES)))
    parser.add_argument("--browser", action="store_true", help="a real browser against a served app (see above)")
    parser.add_argument("--pages", nargs="+", choices=list(SHOWN), default=list(SHOWN),
                        help="--browser: the pages to load (default: all)")
    parser.add_argument("--no-warm-up", action="store_true", help="--browser: the app without its background warm-up")
    parser.add_argument("--timeout", type=float, default=180, help="--browser: seconds to wait for any one thing")
    args = parser.parse_args(argv)
    if args.browser:
        result = browser_times(args.experiment, args.repeats, args.pages, warm_up=not args.no_warm_up,
                               timeout=args.timeout)
    else:
        result = {"experiment": args.experiment, "pages": page_times(args.experiment, args.repeats),
                  "typed_sentence_to_six_highlights": typed_times(args.experiment, args.repeats)}
    print(json.dumps(result, indent=2))
    return 0 if all(result.get("within_budget", {}).values()) else 1  # a browser run over its budget fails


if __name__ == "__main__":
    sys.exit(main())

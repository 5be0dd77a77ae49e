"""Dashboard timings on a built experiment: python -m scripts.dashboard_timings [--experiment demo] [--repeats 10].

Prints one JSON object: each page's AppTest render time (cold: first run in this process, caches
empty; warm: the median of --repeats reruns), and the Explore page's time from submitting a typed
sentence to every model's highlights (models already loaded, each sentence new, so nothing is cached):
the median and the spread of --repeats sentences.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

from streamlit.testing.v1 import AppTest

from core.pipeline.artifacts import PROJECT_ROOT

PAGES = ("home", "explore", "privacy_metrics", "lexicon_overlap", "cross_corpus")
SENTENCES = ("I think my husband was lovely at dinner, you know?", "The exam was awful and I hated every minute.",
             "Honestly, the weekend trip turned out fine.", "She said the new job is kind of great, right?",
             "We waited two hours and the train never came.", "My wife loved the concert, it was amazing!",
             "Well, maybe the meeting went okay after all.", "He was furious about the broken window.",
             "The library is open on Friday afternoons.", "Damn, that presentation was a total disaster.",
             "I guess the food was sort of decent.", "Our neighbours threw a wonderful party last night.")


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="demo")
    parser.add_argument("--repeats", type=int, default=10, choices=range(1, len(SENTENCES)))
    args = parser.parse_args(argv)
    result = {"experiment": args.experiment, "pages": page_times(args.experiment, args.repeats),
              "typed_sentence_to_six_highlights": typed_times(args.experiment, args.repeats)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

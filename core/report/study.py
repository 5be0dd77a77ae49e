"""The trust study in the report: Table 2 and the MAD–choice analysis when there are valid responses, labelled
with who gave them (people or simulated annotators); a sentence when there are none."""
from __future__ import annotations

import pandas as pd

from core.report import page
from core.study.faults import StudyDatabaseError
from core.study.report import study_report
from core.study.setup import StudySetup


def stored(setup: StudySetup | None) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """(responses, tasks) of the study, or one sentence saying why there are none to read."""
    if setup is None:
        return "no study settings were given for this report"
    try:
        store = setup.open()
        return store.responses(), store.tasks()
    except (StudyDatabaseError, OSError) as error:
        return f"the study database cannot be read: {error}"


def study_version(setup: StudySetup | None) -> list:
    """What the study section depends on: the number of stored responses and the last id (or why none)."""
    found = stored(setup)
    if isinstance(found, str):
        return [found]
    responses, tasks = found
    return [len(tasks), len(responses), int(responses.id.max()) if len(responses) else 0]


def shown_url(setup: StudySetup) -> str:
    """The database as the report names it: password masked, the experiment's folder as <artifacts folder>/<name>
    ("artifacts/demo"), so a shared report shows no path of the machine that wrote it."""
    url, root = setup.shown_url, setup.paths.root
    for folder in (str(root.resolve()), str(root)):
        url = url.replace(folder, f"{root.parent.name}/{root.name}")
    return url


def study_section(setup: StudySetup | None) -> str:
    found = stored(setup)
    if isinstance(found, str):
        return page.section("study", "Trust study", page.prose(f"No trust-study results: {found}."))
    responses, tasks = found
    report = study_report(responses, tasks, setup.models, setup.settings) if len(responses) else None
    if report is None or not report.summary["valid"]:
        return page.section("study", "Trust study", page.prose(
            f"The trust study has no valid responses yet ({len(tasks)} tasks, {len(responses)} responses stored in "
            f"{shown_url(setup)}): no Table 2."))
    notice = (page.prose(f"Data: {report.label}. These answers come from simulated annotators "
                         "(scripts.study simulate), not from people.", css="notice")
              if "simulated" in report.label else page.prose(f"Data: {report.label}."))
    logit = report.logit[["question", "odds_ratio", "ci_low", "ci_high", "p", "odds_ratio_sd", "responses"]]
    return page.section(
        "study", "Trust study", notice, page.prose(report.rule_text),
        page.heading("Table 2: share of valid responses choosing each model (95% task-bootstrap interval)"),
        page.table(report.table2),
        page.heading("MAD and being chosen"),
        page.prose("Conditional logit of being chosen on the model's MAD_i, grouped by response: odds ratio per unit "
                   "MAD_i and per SD of MAD_i, 95% interval, p."),
        page.table(logit.assign(**{c: logit[c].map("{:.3g}".format) for c in ("odds_ratio", "ci_low", "ci_high", "p")})),
        page.heading("Agreement (Fleiss' κ)"), page.table(report.kappa),
        page.bullets(report.warnings) if report.warnings else "")

"""The audit report of one build, assembled from its artifacts: ``write_report`` writes report/report.html.

Each section reads what it needs through the dashboard's checked readers; a table an older build lacks, or a file
that is not the one its stage wrote, becomes a sentence in its section, never a failed report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from core.dashboard import experiment as built
from core.dashboard import privacy_metrics as pm
from core.pipeline.artifacts import ExperimentPaths, read_manifest, write_text
from core.report import examples, page, provenance, results
from core.report.study import study_section
from core.study.setup import StudySetup

TITLES = {"provenance": "Provenance", "summary": "Summary in plain words", "table1": "Table 1",
          "leakage": "Leakage and the privacy–utility trade-off", "explanations": "MAD, Psc and the lexicon overlap",
          "examples": "Explanation examples", "cross": "Cross-corpus error analysis", "training": "Training curves",
          "faithfulness": "Faithfulness and IG convergence", "study": "Trust study", "limitations": "Limitations"}
UNREADABLE = "could not be drawn from this build"  # the words of a section whose artifacts are missing or changed


def open_build(paths: ExperimentPaths) -> built.Experiment:
    """The build at ``paths`` as the pages see it (manifest read, artifacts checked on read)."""
    return built.Experiment(paths.root.name, paths, read_manifest(paths.manifest))


def guarded(anchor: str, render: Callable[[], str]) -> str:
    """``render()``, or the section with one sentence saying which artifact it lacks and how to rebuild it."""
    try:
        return render()
    except built.ArtifactError as error:
        rebuild = f" Rebuild with `{error.command}`." if error.command else ""
        return page.section(anchor, TITLES[anchor], page.prose(f"This section {UNREADABLE}: {error}{rebuild}",
                                                             css="warn"))


def sections(experiment: built.Experiment, study: StudySetup | None) -> list[str]:
    """Every section in the report's order; those resting on Table 1 read it once."""
    alpha = pm.significance_level(experiment)

    def table1():
        return built.metrics_frame(experiment, "table1", pm.required_columns())

    return [page.contents(TITLES),
            guarded("provenance", lambda: provenance.provenance(experiment)),
            guarded("summary", lambda: results.summary(table1(), alpha)),
            guarded("table1", lambda: results.table_one(experiment, table1(), alpha)),
            guarded("leakage", lambda: results.leakage(experiment, table1())),
            guarded("explanations", lambda: results.explanations(experiment)),
            guarded("examples", lambda: examples.examples(experiment)),
            guarded("cross", lambda: examples.error_analysis(experiment)),
            guarded("training", lambda: examples.training_curves(experiment)),
            guarded("faithfulness", lambda: examples.faithfulness(experiment)),
            study_section(study), provenance.limitations(experiment)]


def write_report(paths: ExperimentPaths, study: StudySetup | None, out: Path | None = None) -> Path:
    """Write the build's audit report to ``out`` (default: the build's report/report.html), atomically."""
    experiment = open_build(paths)
    out = Path(out or paths.report)
    text = page.document(f"privlens audit report: {experiment.name}", sections(experiment, study),
                         subtitle="One self-contained file: every number is read from the build's artifacts.")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text(out, text)
    return out

"""The study's results, assembled once for the command line (``scripts.study export``) and the results page.

Every exported table carries a ``data`` column saying who answered (people, or simulated annotators),
and Table 2's exports the attention-check rule its tasks were selected with, so no file read on its
own can pass simulated answers off as people's or hide which responses the check excluded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from core.config import StudyConfig
from core.pipeline.evaluate import markdown
from core.study import analysis
from core.study.tasks import tasks_csv

RULE_TEXT = {"planted": "choosing ArtNoise fails only on tasks whose ArtNoise view shows its planted token",
             "every_task": "choosing ArtNoise fails on every task (the paper's literal rule)"}


@dataclass(frozen=True)
class StudyReport:
    """Table 2 and its companions for one study; ``exports()`` are the files, ``markdown()`` table2.md."""

    responses: pd.DataFrame
    tasks: pd.DataFrame
    shares: pd.DataFrame
    table2: pd.DataFrame
    logit: pd.DataFrame
    kappa: pd.DataFrame
    summary: dict
    label: str
    warnings: list[str] = field(default_factory=list)

    @property
    def rule_text(self) -> str:
        rule = self.summary["attention_rule"]
        checked = (f"; it applied to {self.summary['checked_responses']} of {self.summary['responses']} responses, "
                   f"{self.summary['attention_failed']} failed")
        return f'Attention check: rule "{rule}" ({RULE_TEXT.get(rule, "no tasks yet")}){checked}.'

    def exports(self) -> dict[str, pd.DataFrame]:
        """Name → table, each with the ``data`` label (Table 2's with the attention rule too); Table 2 in numbers
        (`analysis.table2_numbers`), not the page's "0.750 [0.250, 1.000]" text."""
        rule = {"attention_rule": self.summary["attention_rule"]}
        tables = {"table2": analysis.table2_numbers(self.shares).assign(**rule),
                  "table2_long": self.shares.assign(**rule),
                  "study_logit": self.logit, "study_kappa": self.kappa,
                  "study_attention": pd.DataFrame([self.summary]), "responses": self.responses,
                  "tasks": tasks_csv(self.tasks)}
        return {name: table.assign(data=self.label) for name, table in tables.items()}

    def markdown(self, title: str) -> str:
        """table2.md: the label, the attention rule, Table 2, the logit and κ, and the small-sample warnings."""
        parts = [f"# {title}", f"Data: {self.label}.", self.rule_text, markdown(self.table2),
                 "MAD–choice relation: conditional logit of being chosen on MAD_i, grouped by response "
                 "(odds ratio per unit MAD_i and per SD of MAD_i, 95 % interval, p).",
                 markdown(self._logit_shown()),
                 "Agreement: Fleiss' κ over the tasks with all their valid responses (95 % task-bootstrap interval).",
                 markdown(self.kappa)]
        parts += ["Warnings:\n" + "\n".join(f"- {w}" for w in self.warnings)] if self.warnings else []
        return "\n\n".join(parts) + "\n"

    def _logit_shown(self) -> pd.DataFrame:
        """The logit as read: odds ratios to 3 significant digits (per unit MAD_i they run to millions), p to 2."""
        ratios = {c: self.logit[c].map("{:.3g}".format) for c in ("odds_ratio", "ci_low", "ci_high", "odds_ratio_sd")}
        return self.logit.assign(**ratios, p=self.logit.p.map("{:.2g}".format))[
            ["question", "odds_ratio", "ci_low", "ci_high", "p", "odds_ratio_sd", "responses"]]


def study_report(responses: pd.DataFrame, tasks: pd.DataFrame, models: list[str],
                 settings: StudyConfig) -> StudyReport:
    """Every result of the study from its stored responses and tasks (bootstraps seeded by ``settings.seed``)."""
    resamples, seed = settings.bootstrap_resamples, settings.seed
    shares = analysis.trust_shares(responses, tasks, models, resamples=resamples, seed=seed)
    logit = analysis.mad_choice_logit(responses, tasks, models)
    kappa = analysis.fleiss_kappas(responses, tasks, models, raters=settings.responses_per_task, resamples=resamples,
                                   seed=seed)
    return StudyReport(responses, tasks, shares, analysis.table2(shares), logit, kappa,
                       analysis.attention_summary(responses, tasks), analysis.data_label(responses),
                       analysis.small_sample_warnings(shares, logit, kappa))

"""Trust results: Table 2 (T(V), T(Priv), Use per model and stratum), the MAD–choice conditional logit, Fleiss' κ,
the attention check, and every table as a download labelled with who answered."""
import pandas as pd
import plotly.express as px
import streamlit as st

from core.config import StudyConfig
from core.dashboard.experiment import open_experiment
from core.dashboard.exports import context_line, with_context_columns
from core.dashboard.glossary import words
from core.study import analysis
from core.study.report import StudyReport, study_report
from core.study.setup import for_experiment
from pages.common import (MODEL_COLUMN, artifacts_or_stop, chart, numbers, study_faults, study_name, study_store,
                          wrapping_columns)

st.title("Trust results")
name = study_name()
with artifacts_or_stop():  # a corrupt manifest: its message, not a traceback
    setup = for_experiment(name)
    synthetic = open_experiment(name).synthetic  # said in every download beside who answered


@st.cache_data
def report_for(models: tuple, settings: StudyConfig, version: tuple, _responses: pd.DataFrame,
               _tasks: pd.DataFrame) -> StudyReport:
    """The bootstraps are the slow part: redone only when responses were added (``version``) or settings changed."""
    return study_report(_responses, _tasks, list(models), settings)


store = study_store(setup)
with study_faults():
    responses, tasks = store.responses(), store.tasks()
if tasks.empty:
    st.warning(f"The study of **{name}** has no tasks yet (a build selects them; this one could not). Select them "
               "with:")
    st.code(setup.command("select"), language="bash")
    st.stop()
version = (setup.shown_url, len(responses), int(responses.id.max()) if len(responses) else 0)
report = report_for(tuple(setup.models), setup.settings, version, responses, tasks)
summary = report.summary
columns = wrapping_columns("study_numbers", 5, min_px=110)  # onto two rows when narrow, not cut
columns[0].metric("responses", summary["responses"])
columns[1].metric("valid", summary["valid"])
columns[2].metric("attention fails", f"{summary['attention_failure_rate']:.1%}" if summary["checked_responses"]
                  else "–", help="chose ArtNoise where the check applies: kept, excluded. " + report.rule_text)
columns[3].metric("annotators", summary["annotators"])
columns[4].metric("tasks retired", f"{int((tasks.valid_count >= store.cap).sum())} / {len(tasks)}")
if "simulated" in report.label:
    st.info(f"Data: {report.label} — from `scripts.study simulate`. Every download says so in its `data` column.")
if not summary["valid"]:
    st.info("No valid responses yet: share the Trust study page with annotators (it shows each one's study link).")
    st.stop()

st.subheader("Table 2")
st.caption("Share of valid responses choosing each model, with 95 % task-bootstrap intervals. "
           f"T(V): trusted for emotion prediction · T(Priv): for privacy · Use: overall. {report.rule_text}")
st.dataframe(report.table2.rename(columns=lambda c: " ".join(map(words, c.split(" ")))), hide_index=True,
             width="stretch", column_config=MODEL_COLUMN)
for warning in report.warnings:
    st.warning(warning)

question = st.radio("Chart for question", list(analysis.LABELS.values()), horizontal=True)
chosen = report.shares[report.shares.question == question].assign(above=lambda f: f.ci_high - f.share,
                                                                   below=lambda f: f.share - f.ci_low)
figure = px.bar(chosen.assign(stratum=chosen.stratum.map(words)), x="model", y="share", color="stratum",
                barmode="group", error_y="above", error_y_minus="below",
                labels={"share": f"share choosing the model ({question})", "stratum": "utterances"})
chart(figure, f"{name}_trust_{question}", context=f"{context_line(name, synthetic)} · {report.label}")
numbers("this chart", chosen.drop(columns=["above", "below"]).assign(stratum=chosen.stratum.map(words)))

st.subheader("MAD and being chosen")
st.caption("Conditional logit of being chosen on the model's MAD_i, grouped by response (each response chooses one "
           "model of those it could): odds ratio per unit MAD_i and per SD of MAD_i, 95 % interval, p.")
st.dataframe(report.logit[["question", "odds_ratio", "ci_low", "ci_high", "p", "odds_ratio_sd", "responses"]].style
             .format({"odds_ratio": "{:.3g}", "ci_low": "{:.3g}", "ci_high": "{:.3g}", "p": "{:.2g}",
                      "odds_ratio_sd": "{:.3f}"}), hide_index=True)
st.subheader("Agreement")
st.caption("Fleiss' κ per question over the tasks with all their valid responses, 95 % task-bootstrap interval.")
st.dataframe(report.kappa.style.format({"kappa": "{:.3f}", "ci_low": "{:.3f}", "ci_high": "{:.3f}"}), hide_index=True)

st.subheader("Downloads")
exports = report.exports()
for column, (label, frame) in zip(st.columns(len(exports)), exports.items()):
    column.download_button(f"{label}.csv", with_context_columns(frame, name, synthetic).to_csv(index=False),
                           file_name=f"{name}_study_{label}.csv", mime="text/csv")

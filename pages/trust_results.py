"""Trust results: Table 2 (T(V), T(Priv), Use per model and stratum), the MAD–choice correlation, exports."""
import pandas as pd
import plotly.express as px
import streamlit as st

from core.study import analysis
from core.study.setup import for_experiment
from pages.common import chart, study_name, study_store

st.title("Trust results")
name = study_name()
setup = for_experiment(name)


@st.cache_data
def shares_for(url: str, cap: int, models: tuple, resamples: int, seed: int, version: tuple) -> pd.DataFrame:
    """The bootstrap is the slow part: redone only when responses were added (``version``)."""
    store = study_store(url, cap, seed)
    return analysis.trust_shares(store.responses(), store.tasks(), list(models), resamples=resamples, seed=seed)


store = study_store(setup.url, setup.settings.responses_per_task, setup.settings.seed)
responses, tasks = store.responses(), store.tasks()
if tasks.empty:
    st.warning(f"The study of **{name}** has no tasks yet: run `python -m scripts.study select --config <toml>`.")
    st.stop()
summary = analysis.attention_summary(responses)
columns = st.columns(5)
columns[0].metric("responses", summary["responses"])
columns[1].metric("valid", summary["valid"])
columns[2].metric("attention fails", f"{summary['attention_failure_rate']:.1%}"
                  if summary["responses"] else "–", help="chose ArtNoise for a question: kept, excluded")
columns[3].metric("annotators", summary["annotators"])
columns[4].metric("tasks retired", f"{int((tasks.valid_count >= store.cap).sum())} / {len(tasks)}")
simulated = int(responses.annotator.str.startswith("sim-").sum())
if simulated:
    st.info(f"{simulated} of these responses come from simulated annotators (`scripts.study simulate`), not people.")
if not summary["valid"]:
    st.info("No valid responses yet: share the Trust study page with annotators.")
    st.stop()

shares = shares_for(setup.url, store.cap, tuple(setup.models), setup.settings.bootstrap_resamples,
                    setup.settings.seed, (len(responses), int(responses.id.max())))
table = analysis.table2(shares)
st.subheader("Table 2")
st.caption("Share of valid responses choosing each model, with 95 % task-bootstrap intervals. "
           "T(V): trusted for emotion prediction · T(Priv): for privacy · Use: overall.")
st.dataframe(table, hide_index=True, width="stretch")

question = st.radio("Chart for question", list(analysis.LABELS.values()), horizontal=True)
chosen = shares[shares.question == question].assign(above=lambda f: f.ci_high - f.share,
                                                     below=lambda f: f.share - f.ci_low)
figure = px.bar(chosen, x="model", y="share", color="stratum", barmode="group", error_y="above",
                error_y_minus="below", labels={"share": f"share choosing the model ({question})"})
chart(figure, f"{name}_trust_{question}")

st.subheader("MAD and being chosen")
st.caption("Point-biserial r between a model's MAD_i on the utterance and being chosen, over valid responses × "
           "candidate models (ArtNoise excluded).")
correlation = analysis.mad_choice_correlation(responses, tasks, setup.models)
st.dataframe(correlation.style.format({"r": "{:.3f}", "p": "{:.2g}"}), hide_index=True)

st.subheader("Downloads")
downloads = {"table2": table, "shares": shares, "correlation": correlation, "responses": responses, "tasks": tasks}
for column, (label, frame) in zip(st.columns(len(downloads)), downloads.items()):
    column.download_button(f"{label}.csv", frame.to_csv(index=False), file_name=f"{name}_study_{label}.csv",
                           mime="text/csv")

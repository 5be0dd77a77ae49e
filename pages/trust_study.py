"""Trust study: an annotator picks, per utterance, the model (anonymised as A, B, C…) they trust most on
three questions."""
import html

import pandas as pd
import streamlit as st

from core.dashboard import experiment as built
from core.dashboard.highlight import highlight_html, shared_scale
from core.methods import count_text
from core.study.setup import for_experiment
from core.study.tasks import ATTENTION_CHECK, LETTERS, QUESTION_TEXT, QUESTIONS, model_order, task_views
from pages.common import artifacts_or_stop, study_name, study_store

st.title("Trust study")
name = study_name()
setup = for_experiment(name)


@st.cache_data
def explain_tables(name: str, stamp: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The explain stage's tables, checked like every page's (a missing one ends with its rebuild command)."""
    experiment = built.open_experiment(name)
    return built.attributions(experiment), built.explained(experiment)


with artifacts_or_stop():
    attributions, explained = explain_tables(name, built.open_experiment(name).stamp)


store = study_store(setup.url, setup.settings.responses_per_task, setup.settings.seed)
annotator = st.text_input("Your annotator id", value=st.query_params.get("annotator", ""), max_chars=200,
                          help="An opaque code you were given (links may carry it as ?annotator=…); "
                               "no other personal data is stored.").strip()
if not annotator:
    st.info(f"Enter your annotator id to start. Each task shows one utterance and {count_text(setup.models)}, "
            "anonymised.")
    st.stop()

progress = store.progress(annotator)
if progress["tasks"] == 0:
    st.warning("This study has no tasks yet: run `python -m scripts.study select --config <toml>`.")
    st.stop()
st.progress(progress["answered"] / max(progress["answered"] + progress["open"], 1),
            text=f"{progress['answered']} answered · {progress['open']} left for you")
current = st.session_state.get("study_task")
if current is None or current[0] != annotator:
    task = store.next_task(annotator)
    st.session_state["study_task"] = current = (annotator, task) if task else None
if current is None:
    st.success("Thank you — there is no task left for you.")
    st.stop()
task = current[1]

shown = task_views(attributions, explained, task.utt_id, setup.models, seed=setup.settings.model_seed)
order = model_order(setup.models, annotator, task.task_id, seed=setup.settings.seed)
letters = list(LETTERS[:len(order)])
utterance = next(v.text for m, v in shown.items() if m != ATTENTION_CHECK)
st.markdown(f"<div style='font-size:1.35rem;margin:0.5rem 0'>“{html.escape(' '.join(utterance.split()))}”</div>",
            unsafe_allow_html=True)
scale = shared_scale(*(v.weights for v in shown.values()))
st.caption("Highlights: orange words pushed the model toward its prediction, blue words away from it; the darker, "
           f"the stronger, on one scale for all {count_text(order)} (hover a word for its weight).")
for row in range(0, len(order), 3):
    for column, letter, model in zip(st.columns(3), letters[row:row + 3], order[row:row + 3]):
        view = shown[model]
        with column.container(border=True):
            st.markdown(f"**Model {letter}** · predicts **{view.predicted}** valence")
            st.markdown(highlight_html(view.words, view.weights, scale=scale, text=view.text), unsafe_allow_html=True)

with st.form(f"task-{task.task_id}", clear_on_submit=True):
    answers = {q: st.radio(QUESTION_TEXT[q], letters, index=None, horizontal=True, key=f"{q}-{task.task_id}")
               for q in QUESTIONS}
    submitted = st.form_submit_button("Submit and continue", type="primary")
if submitted:
    if any(a is None for a in answers.values()):
        st.error("Please answer all three questions.")
        st.stop()
    choices = {q: order[letters.index(a)] for q, a in answers.items()}
    store.submit(annotator, task.task_id, order, choices)
    st.session_state["study_task"] = None
    st.rerun()

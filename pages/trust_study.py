"""Trust study: an annotator picks, per utterance, the model (anonymised as A, B, C…) they trust most on three
questions. A study link (``?annotator=…&experiment=…``) opens this page alone (app.py registers no other), and
then nothing on it names a model."""
import hashlib
import html
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from core.dashboard import experiment as built
from core.dashboard.highlight import highlight_html, shared_scale
from core.methods import count_text
from core.study.setup import for_experiment
from core.study.store import StudyStore, Task, annotator_problem
from core.study.tasks import ATTENTION_CHECK, LETTERS, QUESTION_TEXT, QUESTIONS, model_order, task_views
from pages.common import artifacts_or_stop, study_faults, study_link, study_name, study_store

LINK = study_link()  # a study link: the task only, nothing naming a model
ELSEWHERE = ("You had already answered that task (in another tab or window): your first answer stands and this one "
             "was not stored. Here is your next task.")

st.title("Trust study")
name = study_name()
with artifacts_or_stop():  # a corrupt manifest: its message, not a traceback
    setup = for_experiment(name)


@st.cache_data
def explain_tables(name: str, stamp: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The explain stage's tables, checked like every page's (a missing one ends with its rebuild command)."""
    experiment = built.open_experiment(name)
    return built.attributions(experiment), built.explained(experiment)


def annotator_id() -> str:
    """The id of the study link, or as typed; an empty or bad one ends the page saying why (never shortened)."""
    given = LINK["annotator"] if LINK else ""
    if given:
        st.text(f"Annotator: {given}")
        annotator = given
    else:
        annotator = st.text_input("Your annotator id", help="An opaque code you were given (links carry it as "
                                  "?annotator=…); no other personal data is stored.")
    if not annotator:
        st.info(f"Enter your annotator id to start. Each task shows one utterance and {count_text(setup.models)}, "
                "anonymised.")
        st.stop()
    if problem := annotator_problem(annotator):
        st.error(problem)
        st.stop()
    if not LINK:
        app = (st.context.url or "").split("?")[0].rsplit("/", 1)[0]  # the app's address, without this page's name
        st.caption(f"Study link for this annotator (it shows only the task): "
                   f"`{app}/?{urlencode({'experiment': name, 'annotator': annotator})}`")
    return annotator


def submit(store: StudyStore, annotator: str, task: Task, order: list[str], answers: dict[str, str | None]) -> None:
    """Store the answer once however often it is sent: this tab's repeat (a double click) passes silently, an
    answer given elsewhere first is said so; the next task follows. An incomplete one keeps what was chosen."""
    if any(a is None for a in answers.values()):
        st.error("Please answer all three questions: the answers you gave are kept.")
        st.stop()
    choices = {q: order[LETTERS.index(a)] for q, a in answers.items()}
    sent = st.session_state.setdefault("study_sent", set())
    ours = (annotator, task.task_id) in sent  # noted before storing: a second click finds it
    sent.add((annotator, task.task_id))
    with study_faults():
        status = store.submit(annotator, task.task_id, order, choices)
    if status == "duplicate" and not ours:
        st.session_state["study_notice"] = ELSEWHERE
    st.session_state["study_task"] = None
    st.rerun()


with artifacts_or_stop():
    attributions, explained = explain_tables(name, built.open_experiment(name).stamp)
annotator = annotator_id()
store = study_store(setup)
with study_faults():
    progress = store.progress(annotator)
if progress["tasks"] == 0:
    if LINK:
        st.warning("This study has no tasks yet: please tell the person who sent you the link.")
    else:
        st.warning("This study has no tasks yet (a build selects them; this one could not). Select them with:")
        st.code(setup.command("select"), language="bash")
    st.stop()
if notice := st.session_state.pop("study_notice", None):
    st.info(notice)
st.progress(progress["answered"] / max(progress["answered"] + progress["open"], 1),
            text=f"{progress['answered']} answered · {progress['open']} left for you")
current = st.session_state.get("study_task")
if current is None or current[0] != annotator:
    with study_faults():
        task = store.next_task(annotator)
    st.session_state["study_task"] = current = (annotator, task) if task else None
if current is None:
    limit = store.max_tasks
    st.success(f"Thank you — you have answered {limit} task{'s' * (limit > 1)}, all this study asks of one person."
               if limit and progress["answered"] >= limit else "Thank you — there is no task left for you.")
    st.stop()
task = current[1]

try:
    shown = task_views(attributions, explained, task.utt_id, setup.models, seed=setup.settings.model_seed)
except ValueError as error:  # its message names a model: not for annotators
    st.error("This task cannot be shown; please tell the person who sent you the link." if LINK
             else str(error))
    st.stop()
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

key = f"{hashlib.sha256(annotator.encode()).hexdigest()[:12]}-{task.task_id}"  # per annotator and task
with st.form(f"task-{key}"):  # not cleared on submit: an incomplete answer keeps what was chosen
    answers = {q: st.radio(QUESTION_TEXT[q], letters, index=None, horizontal=True, key=f"{q}-{key}")
               for q in QUESTIONS}
    submitted = st.form_submit_button("Submit and continue", type="primary")
if submitted:
    submit(store, annotator, task, order, answers)

"""privlens dashboard: the frame that registers the pages (run: streamlit run app.py).

A study link (``?annotator=…``) registers the trust study page alone, hidden from navigation and with
no sidebar, for the rest of the session: an annotator sees only the task, reaches no other page, and
reads no model's name. Everyone else's first visit starts loading the chosen experiment's models in the
background once its page has run (core.dashboard.warmup), so the first typed sentence on Explore does not
wait for them.
"""
import streamlit as st

from core.dashboard import warmup
from core.pipeline.artifacts import list_experiments
from pages.common import fold_sidebar_when_narrow, glossary, study_link

st.set_page_config(page_title="privlens", layout="wide")
if study_link():
    st.navigation([st.Page("pages/trust_study.py", title="Trust study", default=True)], position="hidden").run()
    st.stop()
experiments = list_experiments()
if experiments:  # the picker every page reads (st.session_state["experiment"])
    linked = st.query_params.get("experiment")  # a shared link names its experiment; applied once per new link
    if linked in experiments and linked != st.session_state.get("experiment_linked"):
        st.session_state["experiment"] = st.session_state["experiment_linked"] = linked
    if st.session_state.get("experiment") not in experiments:
        st.session_state["experiment"] = experiments[0]
    st.sidebar.selectbox("Experiment", experiments, key="experiment")
st.sidebar.radio("Save charts as", ["png", "svg"], key="chart_format", horizontal=True)
glossary()
fold_sidebar_when_narrow()
page = st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/explore.py", title="Explore", icon=":material/search:"),
    st.Page("pages/privacy_metrics.py", title="Privacy metrics", icon=":material/table_chart:"),
    st.Page("pages/projector.py", title="Projector", icon=":material/scatter_plot:"),
    st.Page("pages/lexicon_overlap.py", title="Lexicon overlap", icon=":material/format_list_bulleted:"),
    st.Page("pages/cross_corpus.py", title="Cross-corpus", icon=":material/compare_arrows:"),
    st.Page("pages/slices.py", title="Slices", icon=":material/view_comfy_alt:"),
    st.Page("pages/trust_study.py", title="Trust study", icon=":material/how_to_vote:"),
    st.Page("pages/trust_results.py", title="Trust results", icon=":material/leaderboard:"),
    st.Page("pages/models.py", title="Models", icon=":material/monitoring:"),
])
try:
    page.run()
finally:  # once the page has run (a stopped one too), so that loading does not slow the reader's first page
    if experiments:
        warmup.start(st.session_state["experiment"])  # its models load in the background, once per server


"""privlens dashboard: the frame that registers the pages (run: streamlit run app.py)."""
import streamlit as st

st.set_page_config(page_title="privlens", layout="wide")
st.navigation([
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/privacy_metrics.py", title="Privacy metrics", icon=":material/table_chart:"),
    st.Page("pages/trust_study.py", title="Trust study", icon=":material/how_to_vote:"),
    st.Page("pages/trust_results.py", title="Trust results", icon=":material/leaderboard:"),
    st.Page("pages/models.py", title="Models", icon=":material/monitoring:"),
]).run()

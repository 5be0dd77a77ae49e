"""Privacy metrics: Table 1 (UARs, leakage, MAD, Psc, significance) and the privacy–utility scatter."""
import pandas as pd
import plotly.express as px
import streamlit as st

from core.artifacts import ExperimentPaths, list_experiments
from core.schema import TABLE1_COLUMNS

st.title("Privacy metrics")
experiments = list_experiments()
name = st.session_state.get("experiment") or (experiments[0] if experiments else None)
table_path = ExperimentPaths.for_experiment(name).metrics_table("table1") if name else None
if table_path is None or not table_path.exists():
    st.warning("No Table 1 yet: run `python -m scripts.build scripts/experiments/<name>.toml --stages metrics`.")
    st.stop()


@st.cache_data
def load_table(path: str, mtime: float) -> pd.DataFrame:
    return pd.read_csv(path)


table = load_table(str(table_path), table_path.stat().st_mtime)
st.caption(f"Experiment **{name}** · means over seeds · p-values vs Gen, Holm-adjusted")
main = ["model", *TABLE1_COLUMNS]
st.dataframe(table[main].style.format(precision=4), hide_index=True, width="stretch")
with st.expander("std, p-values and significance"):
    st.dataframe(table, hide_index=True, width="stretch")
st.download_button("Download Table 1 (CSV)", table.to_csv(index=False), file_name=f"{name}_table1.csv",
                   mime="text/csv")

st.subheader("Privacy–utility trade-off")
st.markdown("Lower gender UAR (x) = less leakage; higher valence UAR (y) = more useful. Chance is 0.5 and 0.33.")
figure = px.scatter(table, x="gender_uar_within", y="valence_uar_within", text="model",
                    labels={"gender_uar_within": "gender UAR of the probe (primary test)",
                            "valence_uar_within": "valence UAR (primary test)"})
figure.update_traces(textposition="top center", marker_size=12)
st.plotly_chart(figure, config={"toImageButtonOptions": {"format": "png", "filename": f"{name}_privacy_utility"}})

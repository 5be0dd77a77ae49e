"""Projector: each model's representation z seen two ways, side by side; a clicked point opens in Explore."""
import pandas as pd
import streamlit as st

from core import schema
from core.dashboard import experiment as built
from core.dashboard import projector
from core.dashboard.links import explore_params
from core.methods import label
from core.pipeline.projection import COLUMNS, SHOWN_SPLITS
from pages.common import artifacts_or_stop, chart, experiment, seed_picker

st.title("Embedding projector")
st.markdown("Every dot is one utterance as a model represents it internally (its vector **z**). The **scatter** "
            "flattens z to its two main directions (PCA): dots that sit together, the model reads alike. The "
            "**histogram** places each utterance on the one direction that best tells female from male speakers "
            "(LDA), which is what a linear attacker looks along. Both are fitted on the training rows and "
            "shown on rows the model never trained on.")
PER_ROW = 3  # models side by side before the next row
COLOUR_BY = {"gender": "speaker gender", "valence_class": "gold valence"}
exp = experiment()


@st.cache_data(show_spinner="Reading the projection…")
def load(name: str, stamp: float) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """The projected points, and the (role, utt_id) pairs Explore can open: the ones the build explained."""
    e = built.open_experiment(name)
    points = built.metrics_frame(e, "projection", COLUMNS).astype({"utt_id": str})
    explained = built.explained(e)
    return points, set(zip(explained.role, explained.utt_id.astype(str)))


def remember(key: str, role: str) -> None:
    """A clicked point (its chart's selection event) becomes the pick shown under the charts."""
    utt_id = projector.picked_utt(st.session_state[key])
    st.session_state["projector_pick"] = {"role": role, "utt_id": utt_id} if utt_id else None


def model_views(points: pd.DataFrame, method: str, split: str, colour_by: str) -> None:
    """One model's column: the PCA scatter (clickable) above its gender-axis histogram."""
    key, role = f"projector_{method}_{split}", SHOWN_SPLITS[split]
    chart(projector.scatter(points, method, colour_by), f"{exp.name}_{method}_pca_{split}", key=key,
          on_select=lambda: remember(key, role))
    chart(projector.gender_histogram(points, method), f"{exp.name}_{method}_gender_axis_{split}")


def show_pick(points: pd.DataFrame, role: str, explained: set[tuple[str, str]]) -> None:
    """The clicked utterance, with a link that opens it in Explore when Explore can show it."""
    pick = st.session_state.get("projector_pick")
    rows = points[points.utt_id == pick["utt_id"]] if pick and pick["role"] == role else points.iloc[:0]
    if rows.empty:
        st.caption("Click a dot to pick its utterance and open it in Explore.")
        return
    row = rows.iloc[0]
    st.text(f"{row.text}\n(speaker {row.gender}, gold valence {row.valence_class})")
    if (role, row.utt_id) not in explained:
        st.info("Explore opens only the utterances the build explained, and this is not one of them: type its "
                "text in Explore's *Type a sentence* instead.")
        return
    st.session_state["explore_pick"] = pick  # what Explore opens when it is next shown
    st.page_link("pages/explore.py", label="Open it in Explore", icon=":material/search:",
                 query_params=explore_params(role=role, utt_id=row.utt_id, experiment=exp.name, seed=seed))


with artifacts_or_stop():
    points, explained = load(exp.name, exp.stamp)
seed = seed_picker(exp.seeds)
available = [m for m in exp.methods if m in set(points.method)]
f = st.columns([3, 2, 1])
models = f[0].multiselect("Models", available, default=projector.default_models(available), format_func=label,
                          key="projector_models")
split = f[1].radio("Utterances", list(SHOWN_SPLITS), horizontal=True, key="projector_split",
                   format_func=lambda s: schema.ROLE_LABELS[SHOWN_SPLITS[s]])
colour_by = f[2].radio("Colour by", list(COLOUR_BY), format_func=COLOUR_BY.get, key="projector_colour")
if not models:
    st.info("Pick at least one model.")
    st.stop()

shown = points[(points.seed == seed) & (points.split == split)]
st.caption("The further apart the two histograms, the more a linear attacker reads. The gender axis is in "
           "within-gender standard deviations; PrivErase (LEACE) flattens it by construction, yet a nonlinear "
           "attacker may still read gender (Privacy metrics, gender UAR).")
for start in range(0, len(models), PER_ROW):
    row_models = models[start:start + PER_ROW]
    for column, method in zip(st.columns(len(row_models)), row_models):
        with column:
            model_views(shown[shown.method == method], method, split, colour_by)

st.subheader("Picked utterance")
show_pick(shown, SHOWN_SPLITS[split], explained)

"""Lexicon overlap: how often each model's top words are words people read as gender cues, and which ones."""
import pandas as pd
import streamlit as st

from core import schema
from core.dashboard import charts
from core.dashboard import experiment as built
from core.dashboard import lexicon_overlap
from core.dashboard.glossary import words
from core.data.lexicons import CATEGORIES, GenderLexicon
from pages.common import artifacts_or_stop, chart, experiment

st.title("Lexicon overlap")
st.markdown("For every explained utterance, each model's **top words** are the words that pushed it most toward "
            "its answer. The bars show how often those top words include a word from the *gender-perception "
            "lexicon* – words and phrases (hedges like *sort of*, tag questions like *right?*, terms like "
            "*my wife*) that people take as hints of the speaker's gender. A privacy model should use them "
            "less than Gen does.")
exp = experiment()


@st.cache_data(show_spinner="Collecting every model's top words…")
def load(name: str, stamp: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    e = built.open_experiment(name)
    utterances, words = built.explained(e), built.attributions(e)
    sets = lexicon_overlap.explanation_set_words(words, GenderLexicon.load(), k=e.top_k)
    shares = built.metrics_frame(e, "mad_categories", ("model",)) if e.paths.metrics_table(
        "mad_categories").exists() else None
    return utterances, sets, lexicon_overlap.lexicon_overlap(sets), shares


with artifacts_or_stop():
    utterances, sets, overlap, mad_shares = load(
        exp.name, exp.stamp)

roles = st.radio("Utterances", ["both corpora", *schema.ROLE_LABELS], horizontal=True,
                 format_func=lambda r: schema.ROLE_LABELS.get(r, r))
if roles != "both corpora":
    sets = sets[sets.role == roles]
    overlap = lexicon_overlap.lexicon_overlap(sets)
categories = ["any", *(c for c in CATEGORIES if c in set(overlap.category))]
shown = st.multiselect("Lexicon categories", categories, default=categories, format_func=words)
chart(charts.overlap_bars(overlap[overlap.category.isin(shown)]), f"{exp.name}_lexicon_overlap")
st.caption(f"Top words = the {exp.top_k} words with the largest positive weight in each sentence. "
           "*any* = at least one gender-perception word of any category.")
wide = overlap.pivot(index="model", columns="category", values="share").reindex(exp.methods).rename(columns=words)
st.dataframe(wide.style.format("{:.1%}"), width="stretch")

st.subheader("The words behind a bar")
left, right = st.columns(2)
model = left.selectbox("Model", exp.methods, format_func=charts.label)
category = right.selectbox("Category", categories, format_func=words)
behind = lexicon_overlap.words_behind(sets, utterances, method=model, category=category)
if behind.empty:
    st.info(f"{model}'s top words never include a word of *{words(category)}* here.")
else:
    event = st.dataframe(behind[["word", "sets", "mean_weight", "example"]], hide_index=True, width="stretch",
                         on_select="rerun", selection_mode="single-row",
                         column_config={"sets": "top-word sets", "mean_weight": st.column_config.NumberColumn(
                             "mean weight", format="%.3f"), "example": "example utterance"})
    st.caption("Select a row to open its example utterance in Explore.")
    if event.selection.rows:
        row = behind.iloc[event.selection.rows[0]]
        st.session_state["explore_pick"] = {"role": row.role, "utt_id": row.utt_id}
        st.switch_page("pages/explore.py")

st.subheader("Which kinds of cue changed (MAD breakdown)")
if mad_shares is None:
    st.info(f"No MAD breakdown yet: run `{exp.command('metrics')}`.")
else:
    st.markdown("Of the gender-perception words a model dropped from or added to its top words compared with Gen, "
                "the share each category contributes.")
    chart(charts.category_shares(mad_shares), f"{exp.name}_mad_categories")

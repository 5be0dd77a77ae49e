"""Slices: where each model is right and where it leaks, its confusion matrix, one model against another (each
case opens in Explore), and how faithful its explanations are."""
import pandas as pd
import streamlit as st

from core.dashboard import experiment as built
from core.dashboard import links, slices
from core.data.lexicons import GenderLexicon
from core.methods import label
from pages.common import artifacts_or_stop, chart, experiment, seed_picker, wrapping_columns

st.title("Slices and comparisons")
st.markdown("A model's headline number can hide a group it fails or betrays. Here each model's **valence UAR** "
            "(is it right?) and the **attacker's gender UAR** (does its representation give the speaker away?) "
            "per slice of the test data, its confusion matrix, the utterances on which two models disagree, and "
            "how faithful each model's explanations are. *Within* = the primary corpus's test split, *cross* = the "
            "cross corpus; one seed at a time.")
SPLITS = {"within": "primary corpus, test split", "cross": "cross corpus (never trained on)"}
exp = experiment()


@st.cache_data(show_spinner="Reading the predictions and the attackers' guesses…")
def load(name: str, stamp: float) -> tuple[pd.DataFrame, set[tuple[str, str]], pd.DataFrame]:
    """Every test row with the attacker's guess and its lexicon categories, the explained utterances, and
    faithfulness.csv."""
    e = built.open_experiment(name)
    rows = slices.scored_rows(built.predictions(e))
    rows = slices.with_categories(rows.assign(gender_guess=slices.attacker_guesses(e, rows)), GenderLexicon.load())
    explained = built.explained(e)
    faithfulness = built.metrics_frame(e, "faithfulness", slices.FAITHFULNESS)
    return rows, set(zip(explained.role, explained.utt_id)), faithfulness


@st.cache_data(show_spinner="Bootstrapping the intervals…")
def slice_table(name: str, stamp: float, seed: int, slicing: str) -> pd.DataFrame:
    rows, _, _ = load(name, stamp)
    return slices.slice_uars(rows[rows.seed == seed], slices.SLICINGS[slicing])


with artifacts_or_stop():
    everything, explained, faithfulness = load(exp.name, exp.stamp)
seed = seed_picker(exp.seeds)
rows = everything[everything.seed == seed]

st.subheader("Accuracy and leakage by slice")
f = st.columns([2, 2, 1])
slicing = f[0].selectbox("Slice by", list(slices.SLICINGS), key="slices_by")
split = f[1].radio("Utterances", list(SPLITS), format_func=SPLITS.get, horizontal=True, key="slices_split")
metric = f[2].radio("Show", ["valence", "gender"], key="slices_metric",
                    format_func=lambda m: {"valence": "valence UAR", "gender": "gender UAR"}[m])
table = slice_table(exp.name, exp.stamp, seed, slicing)
if metric == "gender" and table.gender_uar.isna().all():
    st.info(f"No stored attacker: rebuild the gender probes with `{exp.command('metrics')}`.")
else:
    chart(slices.slice_bars(table, metric=metric, split=split, title=f"{metric} UAR by {slicing}"),
          f"{exp.name}_slices_{metric}_{split}")
st.caption("Whiskers: 95% bootstrap intervals over the slice's utterances. *all* = the whole split (Table 1's "
           "number for this seed). Within one class a UAR is that class's recall: inside *F*, gender UAR is the "
           "share of female speakers the attacker names female, and chance is not 0.5 there. The attacker is the "
           "stronger stored gender probe on the split, as in Table 1. A lexicon category holds the utterances "
           "with at least one of its words.")
shown = table[table.split == split].assign(model=lambda t: t.model.map(label))
st.dataframe(shown.drop(columns="split"), hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in shown.columns if "_" in c})

st.subheader("Confusion matrix")
f = st.columns([2, 1])
model = f[0].selectbox("Model", exp.methods, format_func=label, key="slices_confusion_model")
normalised = f[1].toggle("Shares of each gold class", value=True, key="slices_normalised")
for column, part in zip(wrapping_columns("confusions", 2, min_px=380), SPLITS):
    with column:
        counts = slices.confusion(rows, method=model, split=part)
        chart(slices.confusion_heatmap(counts, normalised=normalised, title=f"{label(model)},<br>{SPLITS[part]}"),
              f"{exp.name}_{model}_confusion_{part}")
st.caption("Rows: the gold class; columns: the model's answer. With shares, the diagonal holds each class's recall "
           "(valence UAR is their mean).")

st.subheader("Model against model")
f = st.columns(2)
a = f[0].selectbox("Model A", exp.methods, format_func=label, key="slices_a")
b = f[1].selectbox("Model B", exp.methods, index=min(1, len(exp.methods) - 1), format_func=label, key="slices_b")
counts = slices.flip_counts(rows, a, b)
st.dataframe(counts.rename(index=SPLITS.get), width="stretch")
for part, c in counts.iterrows():
    st.markdown(slices.flip_text(c, a, b, where=SPLITS[part]))
cases = slices.disagreements(rows, a, b)
if cases.empty:
    st.info(f"{a} and {b} give the same answer on every test utterance.")
else:
    change = st.radio("Show", ["all", *slices.CHANGES], horizontal=True, key="slices_change")
    cases = cases if change == "all" else cases[cases.change == change]
    cases = cases.assign(explore=[links.explore_url(role=r, utt_id=u, experiment=exp.name, seed=seed)
                                  for r, u in zip(cases.role, cases.utt_id)],
                         cached=[(r, u) in explained for r, u in zip(cases.role, cases.utt_id)])
    st.dataframe(cases.drop(columns="role"), hide_index=True, width="stretch", column_config={
        "explore": st.column_config.LinkColumn("open", display_text="in Explore"),
        "predicted_a": f"{a} says", "predicted_b": f"{b} says", "valence_class": "gold",
        "cached": st.column_config.CheckboxColumn("explained by the build")})
    st.caption("Each case opens in Explore with every model's reading: from the build's cache when it explained "
               "the utterance, otherwise explained live from its text, gold label kept.")

st.subheader("Faithfulness and convergence of the explanations")
st.markdown(slices.faithfulness_reading(faithfulness, seed=seed))
st.dataframe(slices.faithfulness_table(faithfulness, seed=seed), hide_index=True, width="stretch",
             column_config={c: st.column_config.NumberColumn(format="%.3f")
                            for c in ("comprehensiveness ↑", "sufficiency ↓", "delta ratio ↓")})
st.caption("Comprehensiveness: how much the model's confidence drops when its top words are erased (higher = the "
           "explanation names what mattered). Sufficiency: how much it drops when only the top words are kept "
           "(lower = they suffice). Delta ratio: integrated gradients' completeness error over the prediction gap "
           "(small = converged); n_steps: the integration steps used; unconverged: utterances still over the bound.")

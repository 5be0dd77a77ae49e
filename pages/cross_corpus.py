"""Cross-corpus: within vs cross accuracy, Psc against cross accuracy, and which words the right and wrong rest on."""
import pandas as pd
import streamlit as st

from core.dashboard import charts, cross_corpus
from core.dashboard import experiment as built
from core.dashboard import links
from core.dashboard.highlight import legend_html, shared_scale
from core.data.lexicons import GenderLexicon, ValenceLexicon
from core.schema import GENDERS, VALENCE_CLASSES
from pages.common import artifacts_or_stop, chart, experiment, seed_picker

st.title("Cross-corpus")
st.markdown("A model that learned real emotion words should keep working on a corpus it never saw; one that "
            "leaned on quirks of its training corpus will not. Here: how much each model loses on the other "
            "corpus, whether leaning on contradicting words goes with losing more, and which words the right "
            "and the wrong predictions rest on.")
exp = experiment()


@st.cache_data(show_spinner="Computing bootstrap intervals…")
def load(name: str, stamp: float) -> dict[str, pd.DataFrame]:
    e = built.open_experiment(name)
    preds = built.predictions(e)
    return {"uars": cross_corpus.valence_uar_intervals(preds), "utterances": built.explained(e),
            "words": built.attributions(e),
            "per_seed": built.metrics_frame(e, "per_seed", ("method", "seed", "psc", "valence_uar_cross"))}


@st.cache_resource
def lexicons(source: str) -> tuple[ValenceLexicon, GenderLexicon]:
    return cross_corpus.valence_lexicon(source), GenderLexicon.load()


with artifacts_or_stop():
    data = load(exp.name, exp.stamp)
valence_lexicon, gender_lexicon = lexicons(exp.valence_lexicon)
seed = seed_picker(exp.seeds)

uars = data["uars"]
chart(charts.within_cross(uars[uars.seed == seed]), f"{exp.name}_within_cross")
st.caption("Bars: valence UAR (balanced accuracy over low / mid / high) · whiskers: 95% bootstrap interval over "
           "utterances · ArtNoise's test text carries planted tokens, so its bars are not comparable.")
chart(charts.psc_vs_cross(data["per_seed"]), f"{exp.name}_psc_vs_cross")
with artifacts_or_stop():
    correlation = cross_corpus.psc_correlation(exp)
if correlation:
    st.caption(f"Across models and seeds (ArtNoise left out): Pearson r = {correlation['pearson_r']:.2f} "
               f"(p = {correlation['pearson_p']:.2f}), Spearman ρ = {correlation['spearman_rho']:.2f} "
               f"(p = {correlation['spearman_p']:.2f}), n = {int(correlation['n'])}.")
else:
    st.caption("No Psc–accuracy correlation: it needs at least three models with a Psc.")

st.subheader("Error analysis on the cross corpus")
f = st.columns(3)
model = f[0].selectbox("Model", exp.methods, format_func=charts.label)
valence = f[1].selectbox("Gold valence", ["any", *VALENCE_CLASSES])
gender = f[2].selectbox("Speaker gender", ["any", *GENDERS])
cases = cross_corpus.error_cases(data["utterances"], method=model, seed=seed, valence=valence, gender=gender)
if cases.empty:
    st.info("No explained cross-corpus utterance matches these filters.")
    st.stop()
st.markdown(f"**{int(cases.right.sum())} right, {int((~cases.right).sum())} wrong** of {len(cases)} explained "
            "cross-corpus utterances.")

contrast = cross_corpus.weight_contrast(cases, data["words"], valence_lexicon, gender_lexicon, method=model, seed=seed)
left, right = st.columns(2)
with left:
    chart(charts.contrast_bars(contrast["valence"], title="Where the weight goes: word sentiment",
                               axis="share of positive weight"), f"{exp.name}_{model}_valence_bins")
with right:
    gender_part = contrast["gender"][contrast["gender"].key != "none"]
    chart(charts.contrast_bars(gender_part, title="Weight on gender-perception words",
                               axis="share of positive weight"), f"{exp.name}_{model}_gender_categories")
st.caption("Sentiment of a word from the valence lexicon (low / mid / high; *none* = not in the lexicon). Shares "
           "are of all the weight pushing toward the model's answer, within the right or the wrong group.")
top = contrast["words"].assign(share=lambda t: t.share.map("{:.1%}".format))
cols = st.columns(2)
for col, group in zip(cols, ("right", "wrong")):
    col.markdown(f"**Words carrying the weight in the {group} predictions**")
    col.dataframe(top[top.group == group][["key", "share"]].rename(columns={"key": "word"}), hide_index=True,
                  width="stretch")

counts = {"wrong": int((~cases.right).sum()), "right": int(cases.right.sum())}
group = st.radio("Show", list(counts), index=0 if counts["wrong"] else 1, horizontal=True,
                 format_func=lambda g: f"{g} predictions ({counts[g]})")  # opens on a group that has cases
if not counts[group]:
    st.info(f"No {group} prediction among these utterances.")
    st.stop()
shown = cases[cases.right == (group == "right")].head(20)
words = data["words"]
mine = words[(words.method == model) & (words.seed == seed) & (words.role == "cross")]
explained = {u: w.sort_values("word_index") for u, w in mine[mine.utt_id.isin(shown.utt_id)].groupby("utt_id")}
scale = shared_scale(*(w.weight for w in explained.values()))
st.html(legend_html(scale, target_label=f"{model}'s prediction"))
for _, case in shown.iterrows():
    w = explained.get(case.utt_id)
    if w is None:
        continue
    link = links.explore_url(role="cross", utt_id=case.utt_id, experiment=exp.name, seed=seed)
    st.html(cross_corpus.case_html(case, built.spans(w), w.weight.to_numpy(), scale=scale, valence=valence_lexicon,
                                   gender=gender_lexicon, link=link))
if counts[group] > len(shown):
    st.caption(f"Showing the first {len(shown)}; narrow the filters to see others.")

"""Explore: one utterance through every model, side by side: was each right, what an attacker infers, a gender
swap. The view lives in the URL and outlives a visit to another page, so it can be shared and returned to."""

import pandas as pd
import streamlit as st

from core import schema
from core.dashboard import experiment as built
from core.dashboard import explore, links
from core.dashboard.highlight import legend_html, shared_scale
from core.data.lexicons import GenderLexicon, GenderSwapper
from core.data.words import split_words
from core.methods import count_text
from core.schema import GENDERS, VALENCE_CLASSES
from pages.common import artifacts_or_stop, experiment, seed_picker, wrapping_columns

st.title("Explore one utterance")
st.markdown("Each card is one model reading the same sentence. **Orange** words pushed the model toward its "
            "answer, **blue** words pushed against it; **boxed** words are ones people read as hints of the "
            "speaker's gender. The *attacker* line says what a gender classifier trained on the model's internal "
            "representation guesses about the speaker: the privacy models try to make that a coin flip. "
            "✓ / ✗ say whether a model's answer matches the gold label and an attacker's guess the speaker.")
exp = experiment()


@st.cache_data
def load(name: str, stamp: float) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Explained utterances, their words, their predictions, and every prediction (for unexplained links)."""
    e = built.open_experiment(name)
    utterances, words = built.explained(e), built.attributions(e)
    preds = built.predictions(e)
    return utterances, words, preds.merge(utterances[["method", "seed", "role", "utt_id"]]), preds


@st.cache_resource
def resources() -> tuple[GenderLexicon, GenderSwapper]:
    return GenderLexicon.load(), GenderSwapper.load()


@st.cache_resource
def probes(name: str, method: str, seed: int, stamp: float):
    return built.load_probes(built.open_experiment(name), method, seed)


@st.cache_resource
def representations(name: str, method: str, seed: int, stamp: float):
    return built.representation_index(built.open_experiment(name), method, seed)


@st.cache_data(show_spinner=False, max_entries=256)
def live_results(_exp: built.Experiment, seed: int, keyed: tuple[tuple[str, str, str], ...]):
    """Every model's live reading of its text, keyed on (method, checkpoint fingerprint, text) so that a retrained
    model is read afresh; the models are loaded once per server (core.dashboard.live.model)."""
    from core.dashboard import live  # torch: only when a typed or swapped sentence needs a model

    models = {method: live.model(_exp, method, seed) for method, _, _ in keyed}
    return live.run_all(models, {method: text for method, _, text in keyed})


def attacker(method: str, seed: int, z) -> dict[str, float]:
    """P(female) by each stored probe (the linear and the nonlinear attacker)."""
    with artifacts_or_stop():  # a probe file that is not the one the metrics stage wrote
        fitted = probes(exp.name, method, seed, exp.stamp)
    return {name: built.p_female(probe, z) for name, probe in fitted.items()}


def live_readings(texts: dict[str, str], seed: int) -> tuple[dict[str, explore.Reading], tuple[int, int]]:
    """Each model explains its text live; returns the readings and (most words dropped, at how many pieces)."""
    out, dropped = {}, (0, 0)
    with artifacts_or_stop(), st.spinner(f"Explaining with all {count_text(texts)}…"):
        keyed = tuple((method, built.model_fingerprint(exp, method, seed), text) for method, text in texts.items())
        for method, r in live_results(exp, seed, keyed).items():
            out[method] = explore.Reading(explore.card(method, r.text_shown, r.words, r.weights, r.probs, lexicon,
                                                       k=exp.top_k), attacker(method, seed, r.z))
            dropped = max(dropped, (r.dropped_words, r.max_length))
    return out, dropped


def edit(truth: explore.Truth, text: str) -> None:
    """The editor's button: the edited text goes down the typed path, remembered as coming from ``truth``."""
    st.session_state.update(explore_mode=links.TYPE, explore_text=text, explore_source=truth)


def editor(truth: explore.Truth) -> None:
    """Edit the picked utterance or remove words from it, and explain the result with every model."""
    with st.expander("Edit this utterance and explain it again"):
        words, key = split_words(truth.text), f"explore_edit_{truth.role}_{truth.utt_id}"  # one editor per utterance
        drop = st.multiselect("Remove words", range(len(words)), format_func=lambda i: f"{words[i].text} (#{i + 1})",
                              key=f"{key}_drop")
        st.button("Explain it without them", disabled=not drop, on_click=edit,
                  args=(truth, explore.without_words(truth.text, drop)))
        edited = st.text_area("…or edit the text", value=truth.text, max_chars=links.MAX_TYPED, key=f"{key}_text")
        st.button("Explain the edited text", disabled=edited == truth.text, on_click=edit, args=(truth, edited))


def pick_utterance(seed: int) -> tuple[dict[str, explore.Reading], explore.Truth | None]:
    """The filters and the utterance picker; every model's cached reading of the picked utterance."""
    f = st.columns(4)
    role = f[0].selectbox("Corpus", list(schema.ROLE_LABELS), format_func=schema.ROLE_LABELS.get, key="explore_role")
    gender = f[1].selectbox("Speaker gender", ["any", *GENDERS], key="explore_gender")
    valence = f[2].selectbox("Gold valence", ["any", *VALENCE_CLASSES], key="explore_valence")
    agreement = f[3].selectbox("Models", explore.AGREEMENT, key="explore_agreement")
    choices = explore.utterance_choices(utterances, seed=seed, role=role, gender=gender, valence=valence,
                                        agreement=agreement)
    if choices.empty:
        st.info("No explained utterance matches these filters: widen one of them.")
        return {}, None
    labels = dict(zip(choices.utt_id, choices.text + "  ·  gold " + choices.valence_class + ", speaker "
                      + choices.gender))
    if st.session_state.get("explore_utt") not in labels:
        st.session_state["explore_utt"] = choices.utt_id.iloc[0]
    utt_id = st.selectbox(f"Utterance ({len(choices)} match)", list(labels), format_func=labels.get,
                          key="explore_utt")
    truth = explore.truth_of(preds[preds.seed == seed], role=role, utt_id=utt_id)
    st.markdown(f"Gold valence **{truth.valence_class}** · speaker **{truth.gender}** · utterance `{utt_id}`")
    editor(truth)
    readings = {}
    for c in explore.cached_cards(words, preds, seed=seed, role=role, utt_id=utt_id, methods=exp.methods,
                                  lexicon=lexicon, k=exp.top_k):
        with artifacts_or_stop():
            z, rows = representations(exp.name, c.method, seed, exp.stamp)
        readings[c.method] = explore.Reading(c, attacker(c.method, seed, z[rows[(role, utt_id)]]))
    return readings, truth


def type_sentence(seed: int) -> tuple[dict[str, explore.Reading], explore.Truth | None]:
    """The typed path: every model explains the text live; a corpus utterance's text keeps its gold label."""
    with st.form("typed"):
        typed = st.text_area("Type a sentence", max_chars=links.MAX_TYPED, key="explore_text",
                             placeholder="I think the weekend was lovely.")
        st.form_submit_button(f"Explain with all {count_text(exp.methods)}")
    if hint := explore.typed_text_problem(typed):
        st.info(hint)
        return {}, None
    truth, note = explore.typed_truth(st.session_state.get("explore_source"), typed)
    (st.markdown if truth is not None else st.caption)(note)
    readings, (dropped, pieces) = live_readings({m: typed for m in exp.methods}, seed)
    if dropped:
        st.warning(f"The models read at most {pieces} word pieces: explained up to the cut, {dropped} word(s) "
                   "after it were dropped.")
    return readings, truth


def remember(seed: int, truth: explore.Truth | None) -> None:
    """Write the view to the URL, so it can be shared, and keep it for the next visit."""
    corpus_text = st.session_state.get("explore_mode") == links.TYPE and truth is not None
    params = links.params_from_state(st.session_state, experiment=exp.name, seed=seed if len(exp.seeds) > 1 else None,
                                     source_utt=(truth.role, truth.utt_id) if corpus_text else None)
    st.query_params.from_dict(params)
    links.keep(st.session_state, params)


with artifacts_or_stop():
    utterances, words, preds, everything = load(exp.name, exp.stamp)
lexicon, swapper = resources()
links.arrive(st.session_state, st.query_params.to_dict(), seeds=exp.seeds)
seed = seed_picker(exp.seeds)
if st.session_state.get("explore_mode") == links.PICK and (source := explore.unexplained_truth(
        utterances, everything, seed=seed, role=st.session_state.get("explore_role"),
        utt_id=st.session_state.get("explore_utt"))):  # the typed path explains it live, its gold label kept
    st.session_state.update(explore_mode=links.TYPE, explore_text=source.text, explore_source=source)
    del st.session_state["explore_utt"]  # so going back to the picker starts from its first choice
mode = st.radio("Utterance", [links.PICK, links.TYPE], horizontal=True, key="explore_mode")
readings, truth = pick_utterance(seed) if mode == links.PICK else type_sentence(seed)
remember(seed, truth)
if not readings:
    st.stop()
if note := explore.language_note(next(iter(readings.values())).card.text):
    st.info(note, icon=":material/translate:")

swap = st.toggle("Show the gender-swapped version (he ↔ she, husband ↔ wife, …) next to the original")
swapped: dict[str, explore.Reading] = {}
if swap:
    texts = {m: swapper.swap(r.card.text) for m, r in readings.items()}
    if all(t == readings[m].card.text for m, t in texts.items()):
        st.info("This sentence has no gendered word to swap.")
    else:
        swapped, _ = live_readings(texts, seed)

if any(not r.p_female for r in readings.values()):
    st.caption(f"No stored gender probes for some models: rebuild them with `{exp.command('metrics')}`.")
scale = shared_scale(*(r.card.weights for r in [*readings.values(), *swapped.values()]))
st.html(legend_html(scale, target_label="that model's prediction"))
for cell, (method, reading) in zip(wrapping_columns("model_cards", len(readings), min_px=260), readings.items()):
    with cell:  # 260 px: narrower, a highlighted utterance wraps every word or two
        st.html(explore.card_html(reading, scale=scale, swapped=swapped.get(method), truth=truth))

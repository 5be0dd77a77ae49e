"""The analyst's workbench, pure parts: Explore's right/wrong marks, listed top words, language note and word
removal (core.dashboard.explore), and the view as URL query parameters (core.dashboard.links)."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pandas as pd

from core.dashboard import explore, links
from core.data.lexicons import GenderLexicon, LexiconEntry
from core.data.words import split_words
from core.pipeline.metrics import explanation_set

LEXICON = GenderLexicon((LexiconEntry(("i",), "first_person", "F"), LexiconEntry(("wife",), "gendered_term", "M")))
PROBS = {"low": 0.1, "mid": 0.2, "high": 0.7}


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_top_words_leave_out_punctuation_and_function_words_but_not_gender_cues():
    text = "the , i loved my wife ."
    words = split_words(text)
    weights = [0.9, 0.8, 0.7, 0.5, 0.6, 0.4, 0.3]
    card = explore.card("Gen", text, words, weights, PROBS, LEXICON, k=3)
    assert explanation_set([w.text for w in words], weights, k=3) == {"the": 0.9, ",": 0.8, "i": 0.7}  # E(M) as is
    assert card.top_words == {"i": 0.7, "loved": 0.5, "wife": 0.4}  # "my" is a function word, "i" a first-person cue
    shown = visible(explore.card_html(explore.Reading(card, {}), scale=1.0))
    assert "“i” · “loved” · “wife”" in shown and "(punctuation and function words left out)" in shown


def test_marks_compare_the_prediction_with_gold_and_each_attacker_with_the_speaker():
    card = explore.card("Gen", "so happy", split_words("so happy"), [0.2, 0.5], PROBS, LEXICON)
    reading = explore.Reading(card, {"logreg": 0.8, "mlp": 0.3})
    shown = visible(explore.card_html(reading, scale=1.0, truth=explore.Truth("high", "F")))
    assert "predicts high valence ✓ (gold high)" in shown
    assert re.search(r"Linear attacker: 80% sure the speaker is female · P\(female\) = 0.80 ✓", shown)
    assert re.search(r"Nonlinear attacker: 70% sure the speaker is male · P\(female\) = 0.30 ✗", shown)
    wrong = visible(explore.card_html(reading, scale=1.0, truth=explore.Truth("low", "M")))
    assert "predicts high valence ✗ (gold low)" in wrong and wrong.count("✓") == 1  # the nonlinear attacker: M
    typed = visible(explore.card_html(reading, scale=1.0))
    assert "✓" not in typed and "✗" not in typed  # no gold label, no marks


def test_truth_of_reads_gold_and_speaker_from_the_plain_text():
    preds = pd.DataFrame({"method": ["ArtNoise", "Gen"], "role": ["cross"] * 2, "utt_id": ["u1"] * 2,
                          "valence_class": ["low"] * 2, "gender": ["M"] * 2, "text": ["sad zq1", "sad"]})
    assert explore.truth_of(preds, role="cross", utt_id="u1") == explore.Truth("low", "M", "cross", "u1", "sad")
    assert explore.truth_of(preds, role="primary", utt_id="u1") is None


def test_language_note_flags_other_scripts_and_sentences_without_english_function_words():
    assert explore.language_note("the day was lovely") is None
    assert explore.language_note("great!") is None and explore.language_note("<b>x</b> & y") is None
    assert explore.language_note("😀 🎉 great") is None and explore.language_note("café au lait, I said") is None
    assert "another language" in explore.language_note("مرحبا بالعالم الجميل")
    assert "another language" in explore.language_note("Привет мир")
    assert "another language" in explore.language_note("Je suis très content aujourd'hui")


def test_without_words_removes_words_and_tidies_the_spacing():
    text = "Well, the day was lovely, for her!"  # words: Well , the day was lovely , for her !
    assert explore.without_words(text, [5]) == "Well, the day was, for her!"
    assert explore.without_words(text, [0, 1]) == "the day was lovely, for her!"
    assert explore.without_words(text, [9]) == "Well, the day was lovely, for her"
    assert explore.without_words(text, []) == text


def test_a_url_restores_explores_filters_and_utterance_and_back():
    state = links.state_from_params({"experiment": "demo", "seed": "1", "role": "cross", "utt": "m_7",
                                     "gender": "F", "valence": "nonsense"}, seeds=[0, 1])
    assert state == {"seed": 1, "explore_mode": links.PICK, "explore_role": "cross", "explore_utt": "m_7",
                     "explore_gender": "F", "explore_valence": "any", "explore_agreement": "any"}
    assert links.params_from_state(state, experiment="demo", seed=1) == {
        "experiment": "demo", "seed": "1", "gender": "F", "role": "cross", "utt": "m_7"}
    assert links.state_from_params({"seed": "7", "role": "auxiliary"}, seeds=[0]) == {}  # nothing it can show
    assert links.state_from_params({}, seeds=[0]) == {}


def test_a_url_carries_typed_text_unless_it_is_a_corpus_utterance():
    state = links.state_from_params({"text": "I think so <b>"}, seeds=[0])
    assert state == {"explore_mode": links.TYPE, "explore_text": "I think so <b>"}
    assert links.params_from_state(state, experiment="x") == {"experiment": "x", "text": "I think so <b>"}
    assert links.params_from_state(state, experiment="x", source_utt=("cross", "m_7")) == {
        "experiment": "x", "role": "cross", "utt": "m_7"}
    long = {"explore_mode": links.TYPE, "explore_text": "word " * 1000}
    assert links.params_from_state(long, experiment="x") == {"experiment": "x"}  # too long for a URL


def test_explore_url_is_relative_and_round_trips():
    url = links.explore_url(role="cross", utt_id="a&b c", experiment="demo", seed=0)
    parsed = urlparse(url)
    assert parsed.path == "explore" and not parsed.netloc
    params = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert params == {"experiment": "demo", "seed": "0", "role": "cross", "utt": "a&b c"}
    assert links.state_from_params(params, seeds=[0])["explore_utt"] == "a&b c"


def test_arrival_order_kept_values_then_a_new_url_then_another_pages_pick():
    state = {"explore_kept": {"explore_mode": links.PICK, "explore_role": "cross", "explore_gender": "M"}}
    links.arrive(state, {}, seeds=[0])  # back from another page: the kept values return
    assert state["explore_role"] == "cross" and state["explore_gender"] == "M"
    links.keep(state, {"experiment": "x", "role": "cross", "gender": "M"})
    state["explore_gender"] = "F"  # the reader changes a filter; the URL still says M until Explore rewrites it
    links.arrive(state, {"experiment": "x", "role": "cross", "gender": "M"}, seeds=[0])
    assert state["explore_gender"] == "F"  # Explore's own URL is not a new link
    state["explore_source"] = "an edited utterance"
    links.arrive(state, {"role": "primary", "utt": "p_1", "seed": "1"}, seeds=[0, 1])  # a new link wins
    assert (state["explore_role"], state["explore_utt"], state["explore_gender"]) == ("primary", "p_1", "any")
    assert state["seed"] == state["seed_kept"] == 1 and "explore_source" not in state
    state["explore_pick"] = {"role": "cross", "utt_id": "c_2"}  # Lexicon overlap / Projector: wins over all
    links.arrive(state, {"role": "primary", "utt": "p_9"}, seeds=[0])
    assert (state["explore_role"], state["explore_utt"]) == ("cross", "c_2") and "explore_pick" not in state
    assert set(state["explore_kept"]) <= set(links.KEPT)


def test_typed_text_keeps_a_gold_label_only_while_it_is_the_utterances_own_text():
    source = explore.Truth("low", "M", "cross", "c_1", "it was sad")
    truth, note = explore.typed_truth(source, "it was sad")
    assert truth == source and "Gold valence **low** · speaker **M**" in note
    truth, note = explore.typed_truth(source, "it was")
    assert truth is None and "Edited from utterance `c_1`" in note
    assert explore.typed_truth(None, "hello")[1].startswith("Typed text has no gold label")


def test_unexplained_truth_only_for_corpus_utterances_the_build_did_not_explain():
    preds = pd.DataFrame({"method": ["Gen"] * 2, "seed": [0, 0], "role": ["cross"] * 2, "utt_id": ["c_1", "c_2"],
                          "valence_class": ["low", "high"], "gender": ["F", "M"], "text": ["sad", "great"]})
    utterances = preds.iloc[:1]  # c_1 explained
    assert explore.unexplained_truth(utterances, preds, seed=0, role="cross", utt_id="c_1") is None
    assert explore.unexplained_truth(utterances, preds, seed=0, role="cross", utt_id="c_2").text == "great"
    assert explore.unexplained_truth(utterances, preds, seed=0, role="cross", utt_id="c_9") is None
    assert explore.unexplained_truth(utterances, preds, seed=0, role="cross", utt_id=None) is None

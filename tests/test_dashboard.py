"""Every dashboard page (AppTest) on a tiny experiment built once (tests/conftest.py `artifacts`): content, bad
input, errors, no torch."""
from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.dashboard.experiment import Experiment
from core.methods import METHODS
from core.pipeline.artifacts import ExperimentPaths
from tests.conftest import record_as_built

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("home", "explore", "privacy_metrics", "projector", "lexicon_overlap", "cross_corpus", "slices", "models")


@pytest.fixture
def tiny(artifacts, monkeypatch) -> ExperimentPaths:
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    return ExperimentPaths(artifacts / "tiny")


def page(name: str, experiment: str = "tiny") -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=120)
    at.session_state["experiment"] = experiment
    return at.run()


def html_of(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def cards(at: AppTest) -> list[str]:
    """The visible text of each model card on the Explore page."""
    return [visible(e.proto.body) for e in at.get("html") if "attacker" in e.proto.body.lower()]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_renders_the_tiny_build(tiny, name):
    at = page(name)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Synthetic demo data" in i.value for i in at.info)  # built on generated corpora, labelled so
    if name == "home":  # a landing page: the findings first, then the path through the pages, status folded
        said = [m.value for m in at.markdown]
        first = next(i for i, m in enumerate(said) if "leaks least" in m or "Gen lets a gender probe" in m)
        assert first < next(i for i, m in enumerate(said) if m.startswith("**1. Privacy metrics**"))
        assert len(at.expander) == 1 and "Build status" in at.expander[0].label
    if name == "explore":
        cards = visible(html_of(at))
        assert all(method in cards for method in METHODS) and cards.count("Linear attacker") == len(METHODS)
        assert cards.count("Nonlinear attacker") == len(METHODS)
        assert "attention check" in cards and "pushes toward that model's prediction" in cards
    elif name == "privacy_metrics":
        assert "leaks least" in " ".join(m.value for m in at.markdown)
        assert at.dataframe[0].value.model.tolist()[-1] == "ArtNoise (attention check)"
        assert len(at.get("plotly_chart")) == 6  # MAD, Psc, the trade-off within and cross, the attacker curves
        assert any("Whiskers: 95% bootstrap intervals" in c.value for c in at.caption)
        assert "linear attacker, primary ↓" in at.dataframe[0].value.columns
        assert any("Read the gender columns against" in m.value and
                   re.search(r"primary: chance 0\.500 · untrained encoder [01]\.\d{3};", m.value) for m in at.markdown)
        at.radio(key="attacker_split").set_value("cross").run()
        assert not at.exception and len(at.get("plotly_chart")) == 6
    elif name == "lexicon_overlap":
        assert len(at.get("plotly_chart")) == 2 and set(at.dataframe[0].value.index) == set(METHODS)
    elif name == "cross_corpus":
        assert any(re.match(r"\*\*\d+ right, \d+ wrong\*\*", m.value) for m in at.markdown)
        assert "valence-lexicon words" in visible(html_of(at))


def test_explore_filters_pick_utterances(tiny):
    at = page("explore")
    at.selectbox(key="explore_role").set_value("cross").run()
    at.selectbox(key="explore_gender").set_value("M").run()
    options = at.selectbox(key="explore_utt").options
    assert options and all("speaker M" in o for o in options)
    at.selectbox(key="explore_valence").set_value("low")
    at.selectbox(key="explore_agreement").set_value("every model right").run()
    assert not at.exception


def test_arriving_from_lexicon_overlap_opens_the_chosen_utterance(tiny):
    utt = pd.read_parquet(tiny.explained).query("role == 'cross'").utt_id.iloc[-1]
    at = AppTest.from_file(str(ROOT / "pages" / "explore.py"), default_timeout=120)
    at.session_state["experiment"] = "tiny"
    at.session_state["explore_pick"] = {"role": "cross", "utt_id": utt}
    at.run()
    assert at.selectbox(key="explore_utt").value == utt and at.selectbox(key="explore_role").value == "cross"


def type_text(at: AppTest, text: str) -> AppTest:
    at.text_area[0].input(text)
    at.button[0].click()
    return at.run()


def test_typed_text_is_explained_escaped_and_bad_input_answered(tiny):
    at = page("explore")
    at.radio(key="explore_mode").set_value("Type a sentence").run()
    for typed in ("<script>alert(1)</script>", "<b>x</b> & y"):  # within the tiny model's 16 word pieces
        type_text(at, typed)
        markup = html_of(at)
        assert not at.exception and not at.warning
        assert typed not in markup and "<script" not in markup
        assert len(cards(at)) == len(METHODS) and all(typed in card for card in cards(at))

    type_text(at, "   \n ")
    assert any("Type a sentence first" in i.value for i in at.info) and not at.get("html")
    for text in ("😀 🎉 great", "مرحبا بالعالم الجميل", "ж"):  # emoji, right-to-left, one character
        type_text(at, text)
        assert not at.exception and len(cards(at)) == len(METHODS) and all(text in card for card in cards(at)), text
    type_text(at, "word " * 2000)  # 10,000 characters
    assert not at.exception
    notice = " ".join(w.value for w in at.warning)
    assert "at most 16 word pieces" in notice and re.search(r"\b19[89]\d word\(s\) after it were dropped", notice)


def test_gender_swap_explains_the_counterfactual_beside_the_original(tiny):
    at = page("explore")
    at.toggle[0].set_value(True).run()  # the tiny corpora all end "… for her"
    assert not at.exception
    cards = visible(html_of(at))
    assert cards.count("Gender-swapped") == len(METHODS) and "for him" in cards and "P(female)" in cards
    assert re.search(r"prediction \w+ → \w+ \((same|changed)\) · linear attacker P\(female\) [\d.]+ → [\d.]+", cards)


def test_read_only_pages_never_import_torch(artifacts):
    """A fresh interpreter runs every page on cached artifacts; Explore picks a cached utterance."""
    script = (
        "import json, sys\nfrom streamlit.testing.v1 import AppTest\n"
        f"for name in {list(PAGES)!r}:\n"
        f"    at = AppTest.from_file({str(ROOT / 'pages')!r} + f'/{{name}}.py', default_timeout=120)\n"
        "    at.session_state['experiment'] = 'tiny'\n    at.run()\n"
        "    assert not at.exception, (name, at.exception)\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'captum') if m in sys.modules)))\n")
    env = {"PRIVLENS_ARTIFACTS": str(artifacts), "PATH": "", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def copy_experiment(artifacts: Path, name: str) -> ExperimentPaths:
    target = ExperimentPaths(artifacts / name)
    shutil.copytree(artifacts / "tiny", target.root, ignore=shutil.ignore_patterns("models"))
    return target


def test_corrupt_and_older_artifacts_show_the_rebuild_command(artifacts, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    old = copy_experiment(artifacts, "older")
    table = pd.read_csv(old.metrics_table("table1"))
    table.drop(columns=["psc"]).to_csv(old.metrics_table("table1"), index=False)
    record_as_built(old, "metrics", old.metrics_table("table1"))
    at = page("privacy_metrics", "older")
    assert not at.exception and "no column psc" in at.error[0].value
    assert at.code[0].value.endswith("--stages metrics")

    at = page("explore", "older")  # the copy has no checkpoints: typing a sentence needs them
    at.radio(key="explore_mode").set_value("Type a sentence").run()
    type_text(at, "the day was lovely")
    assert not at.exception and "checkpoint (seed 0) is missing" in at.error[0].value
    assert at.code[0].value.endswith("--stages train")

    old.explained.unlink()
    for name in ("explore", "cross_corpus"):
        at = page(name, "older")
        assert not at.exception and "`explained.parquet` is missing" in at.error[0].value
        assert at.code[0].value.endswith("--stages explain")

    broken = copy_experiment(artifacts, "broken")
    broken.manifest.write_text('{"version": 2, "stag')
    for name in PAGES:
        at = page(name, "broken")
        assert not at.exception and "manifest.json is not readable JSON" in at.error[0].value, name
        assert at.code[0].value.startswith(".venv/bin/python -m scripts.build"), name


def test_a_build_before_the_attackers_shows_notes_not_errors(artifacts, monkeypatch):
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(artifacts))
    old = copy_experiment(artifacts, "before_attackers")
    for name in ("leakage_reference", "attacker_curve"):
        old.metrics_table(name).unlink()
    table = pd.read_csv(old.metrics_table("table1"))
    table.drop(columns=[c for c in table.columns if "_linear_" in c or "_mlp_" in c]).to_csv(
        old.metrics_table("table1"), index=False)
    record_as_built(old, "metrics", old.metrics_table("table1"))
    at = page("privacy_metrics", "before_attackers")
    assert not at.exception and not at.error, [e.value for e in at.error]
    notes = [c.value for c in at.caption if "Rebuild with" in c.value]
    assert len(notes) == 3 and all("--stages metrics" in note for note in notes)  # columns, references, curve
    assert "`gender_uar_linear_within`" in notes[0] and "leakage references" in notes[1]
    assert "attacker curve" in notes[2] and len(at.get("plotly_chart")) == 4


def test_trade_off_intervals_bracket_table1(tiny):
    from core.dashboard import experiment, privacy_metrics

    exp = experiment.open_experiment("tiny")
    intervals = privacy_metrics.trade_off_intervals(exp, experiment.predictions(exp), seed=0, resamples=200)
    table = pd.read_csv(tiny.metrics_table("table1")).set_index("model")
    for _, row in intervals.iterrows():
        for axis in ("gender", "valence"):
            value = table.loc[row.model, f"{axis}_uar_{row.split}"]  # one seed: Table 1 is that seed's UAR
            assert row[f"{axis}_low"] <= value + 1e-9 and value <= row[f"{axis}_high"] + 1e-9, (row.model, axis)


def test_live_reading_cuts_at_max_length(tiny):
    from core.dashboard import live

    model = live.load(tiny, "Gen", 0)
    assert model.n_steps == 8 and model.settings.n_steps == 8 and model.settings.batch_size == 8  # the build's
    short = live.run(model, "the day was lovely")
    assert short.dropped_words == 0 and [w.text for w in short.words] == ["the", "day", "was", "lovely"]
    long = live.run(model, " ".join(["lovely"] * 40))
    assert long.dropped_words == 40 - len(long.words) and 0 < len(long.words) <= 14  # 16 pieces − [CLS], [SEP]
    assert long.text_shown == " ".join(["lovely"] * len(long.words))
    assert sum(long.probs.values()) == pytest.approx(1.0, abs=1e-5) and long.z.ndim == 1


def test_the_manifest_says_which_machine_made_the_numbers_and_home_shows_it(tiny):
    stages = json.loads(tiny.manifest.read_text())["stages"]
    for stage in ("train", "predict", "explain", "metrics"):
        assert {"cpu", "native_cpu_bf16", "threads", "device", "torch"} <= set(stages[stage]["hardware"]), stage
    assert stages["explain"]["first_pass"] in ("bf16", "fp32")
    at = page("home")
    shown = " ".join(c.value for c in at.caption)
    assert "train on" in shown and "threads" in shown and "explanations' first pass in" in shown


def explore_at(params: dict[str, str]) -> AppTest:
    """Explore opened from a URL with these query parameters."""
    at = AppTest.from_file(str(ROOT / "pages" / "explore.py"), default_timeout=120)
    at.session_state["experiment"] = "tiny"
    at.query_params.update(params)
    return at.run()


def test_query_parameters_restore_explores_filters_and_utterance_and_follow_changes(tiny):
    explained = pd.read_parquet(tiny.explained).query("role == 'cross' and gender == 'F'")
    utt = explained.utt_id.iloc[-1]
    valence = explained.valence_class.iloc[-1]
    at = explore_at({"experiment": "tiny", "role": "cross", "utt": utt, "gender": "F", "valence": valence})
    assert not at.exception
    assert at.selectbox(key="explore_role").value == "cross" and at.selectbox(key="explore_utt").value == utt
    assert at.selectbox(key="explore_gender").value == "F" and at.selectbox(key="explore_valence").value == valence
    assert at.query_params == {"experiment": "tiny", "role": "cross", "utt": utt, "gender": "F", "valence": valence}
    at.selectbox(key="explore_valence").set_value("any").run()  # a change wins over the URL it came with
    assert at.selectbox(key="explore_valence").value == "any" and "valence" not in at.query_params
    at = explore_at({"role": "nowhere", "utt": "no such utterance", "gender": "X"})  # a stale link: defaults
    assert not at.exception and at.selectbox(key="explore_gender").value == "any"


def test_a_cross_corpus_case_link_opens_that_utterance_in_explore(tiny):
    at = page("cross_corpus")
    hrefs = re.findall(r'href="(explore\?[^"]+)"', html_of(at))
    assert hrefs and not at.exception
    params = {k: v[0] for k, v in parse_qs(urlparse(html.unescape(hrefs[0])).query).items()}
    assert params["role"] == "cross" and params["experiment"] == "tiny"
    at = explore_at(params)
    assert not at.exception and at.selectbox(key="explore_utt").value == params["utt"]
    case = next(e.proto.body for e in page("cross_corpus").get("html") if hrefs[0] in e.proto.body)
    text = pd.read_parquet(tiny.explained).query("role == 'cross'").set_index("utt_id").text[params["utt"]].iloc[0]
    shown = re.sub(r"\s+", "", visible(re.sub(r'href="[^"]*"', "", case)))
    assert re.sub(r"\s+", "", text) in shown  # the linked utterance's own words are in the case beside its link


def test_cross_corpus_opens_on_the_group_that_has_cases(tiny, monkeypatch):
    """A model right on every explained utterance (as a tiny model can be on another CPU) still shows its cases."""
    from core.dashboard import cross_corpus
    every_one_right = cross_corpus.error_cases
    monkeypatch.setattr(cross_corpus, "error_cases", lambda *a, **k: every_one_right(*a, **k).assign(right=True))
    at = page("cross_corpus")
    assert not at.exception and at.radio[0].value == "right" and re.findall(r'href="explore\?', html_of(at))
    assert any(re.match(r"\*\*\d+ right, 0 wrong\*\*", m.value) for m in at.markdown)
    at.radio[0].set_value("wrong").run()
    assert not at.exception and any("No wrong prediction" in i.value for i in at.info) and not html_of(at)


def test_a_page_started_without_the_app_reruns_through_it():
    """Streamlit runs a pages/ file on its own until st.navigation has run once (a link opened first on a new
    server): the first page's import of pages.common clears that flag and reruns, so app.py frames the page."""
    def linked_page():
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager

        from pages.common import run_inside_the_app
        st.session_state["runs"] = st.session_state.get("runs", 0) + 1
        if st.session_state["runs"] == 1:
            PagesManager.uses_pages_directory = True  # as Streamlit sets it on a new server with a pages/ folder
        run_inside_the_app()
        st.write("the page")

    at = AppTest.from_function(linked_page).run()
    from streamlit.runtime.pages_manager import PagesManager
    assert not at.exception and at.session_state["runs"] == 2 and at.markdown[0].value == "the page"
    assert PagesManager.uses_pages_directory is False


def test_marks_match_the_stored_predictions_of_a_known_utterance(tiny):
    explained = pd.read_parquet(tiny.explained).query("role == 'cross' and seed == 0")
    utt = explained.utt_id.iloc[0]
    at = explore_at({"role": "cross", "utt": utt})
    gold = explained[explained.utt_id == utt].valence_class.iloc[0]
    gender = explained[explained.utt_id == utt].gender.iloc[0]
    assert f"Gold valence **{gold}** · speaker **{gender}**" in " ".join(m.value for m in at.markdown)
    for method in METHODS:
        stored = pd.read_parquet(tiny.predictions(method, 0)).set_index(["role", "utt_id"]).loc[("cross", utt)]
        card = next(c for c in cards(at) if c.startswith(method))
        verdict = "✓" if stored.predicted == gold else "✗"
        assert f"predicts {stored.predicted} valence {verdict} (gold {gold})" in card, method
        guesses = re.findall(r"sure the speaker is (female|male) · P\(female\) = [\d.]+ ([✓✗])", card)
        assert len(guesses) == 2, card  # the linear and the nonlinear attacker
        for guess in guesses:
            assert guess[1] == ("✓" if guess[0][0].upper() == gender else "✗"), (method, guess)
        assert card.count("✓") + card.count("✗") == 3  # the prediction and both attackers
        assert "(punctuation and function words left out)" in card


def test_an_unexplained_utterance_and_an_edit_go_down_the_typed_path(tiny):
    explained = set(pd.read_parquet(tiny.explained).utt_id)
    preds = pd.read_parquet(tiny.predictions("Gen", 0)).query("role == 'primary' and split == 'test'")
    row = preds[~preds.utt_id.isin(explained)].iloc[0]
    at = explore_at({"role": "primary", "utt": row.utt_id})
    assert not at.exception and at.radio(key="explore_mode").value == "Type a sentence"
    assert at.text_area(key="explore_text").value == row.text and len(cards(at)) == len(METHODS)
    assert f"predicts {row.predicted} valence" in cards(at)[0] and ("✓" in cards(at)[0] or "✗" in cards(at)[0])
    assert at.query_params == {"experiment": "tiny", "role": "primary", "utt": row.utt_id}

    picked = explore_at({"role": "cross", "utt": sorted(explained)[0]})
    words = picked.multiselect[0].options
    picked.multiselect[0].select(words[-1]).run()  # remove the last word
    picked.button[0].click().run()
    assert not picked.exception and picked.radio(key="explore_mode").value == "Type a sentence"
    edited = picked.text_area(key="explore_text").value
    assert edited.split() == picked.session_state["explore_source"].text.split()[:-1]
    assert any("Edited from utterance" in c.value for c in picked.caption)
    assert all("✓" not in c and "✗" not in c for c in cards(picked))
    assert picked.query_params["text"] == edited


def test_explores_view_survives_a_visit_to_another_page(tiny):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["experiment"] = "tiny"  # other tests add broken copies beside it
    at.run().switch_page("pages/explore.py").run()
    at.selectbox(key="explore_role").set_value("cross").run()
    at.selectbox(key="explore_gender").set_value("M").run()
    utt = pd.read_parquet(tiny.explained).query("role == 'cross' and gender == 'M'").utt_id.iloc[-1]
    at.selectbox(key="explore_utt").set_value(utt).run()
    at.switch_page("pages/cross_corpus.py").run()
    assert not at.exception
    at.switch_page("pages/explore.py").run()
    assert not at.exception and at.selectbox(key="explore_role").value == "cross"
    assert at.selectbox(key="explore_gender").value == "M" and at.selectbox(key="explore_utt").value == utt


def test_the_sidebar_seed_is_kept_when_its_widget_key_is_dropped():
    def script():
        import streamlit as st

        from pages.common import seed_picker

        if st.session_state.get("draw", True):  # False: another page, which draws no seed picker
            st.write(f"seed {seed_picker([0, 1, 2])}")

    at = AppTest.from_function(script).run()
    at.sidebar.selectbox[0].set_value(2).run()
    at.session_state["draw"] = False
    at.run()  # Streamlit drops the key of a widget a run does not draw
    assert "seed" not in at.session_state and at.session_state["seed_kept"] == 2
    at.session_state["draw"] = True
    at.run()
    assert at.sidebar.selectbox[0].value == 2 and at.markdown[-1].value == "seed 2"


def test_the_encoder_named_is_the_one_the_train_stage_last_used(tmp_path):
    """A train-only rebuild with another encoder leaves the experiment's own config record behind."""
    manifest = {"config": {"model": {"encoder": "", "layers": 3}},
                "stages": {"train": {"config": {"model": {"encoder": "models/bert-base", "layers": 0}}}}}
    assert Experiment("x", ExperimentPaths(tmp_path), manifest).encoder == "models/bert-base"
    del manifest["stages"]["train"]
    assert Experiment("x", ExperimentPaths(tmp_path), manifest).encoder == "packaged all-MiniLM-L6-v2 (first 3 layers)"

"""Trust study: task selection, the attention rule, assignment and storage rules, simulated annotators, Table 2."""
from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pandas as pd
import pytest

from core.config import StudyConfig
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.pipeline.status import experiment_status
from core.study import analysis
from core.study.report import study_report
from core.study.simulate import choice_probabilities, simulate
from core.study.store import StudyStore, open_store
from core.study.tasks import PLANTED_TOKEN, model_order, planted_utterances, select_tasks, terciles, utterance_scores

MODELS = ["Gen", "PrivAdv", "PrivAug", "PrivBias", "GenderExp", "ArtNoise"]
VALID = {"trust_valence": "Gen", "trust_privacy": "PrivAdv", "trust_overall": "PrivAug"}


def mad_table(n_per_cell: int, *, seed: int = 0) -> pd.DataFrame:
    """A metrics-stage mad_utterances table with random MAD_i per model, utterance and cell."""
    rng = np.random.default_rng(seed)
    rows = []
    for gender, valence, i in itertools.product("FM", ("low", "mid", "high"), range(n_per_cell)):
        for method in MODELS[1:]:
            rows.append({"method": method, "seed": 0, "utt_id": f"{gender}_{valence}_{i:03d}", "gender": gender,
                         "valence_class": valence, "mad_i": float(rng.normal(0, 0.1))})
    return pd.DataFrame(rows)


def select(scores: pd.DataFrame, *, random_n: int, high_n: int = 0, low_n: int = 0, seed: int = 0,
           planted=None, attention_rule: str = "planted") -> tuple[pd.DataFrame, pd.DataFrame]:
    """select_tasks with every utterance planted unless told otherwise."""
    return select_tasks(scores, random_n=random_n, high_n=high_n, low_n=low_n, seed=seed,
                        planted=set(scores.utt_id) if planted is None else planted, attention_rule=attention_rule)


def make_store(tmp_path, n_per_cell: int = 10, *, planted=None, attention_rule: str = "planted",
               **kwargs) -> StudyStore:
    tasks, _ = select(utterance_scores(mad_table(n_per_cell), MODELS, seed=0), random_n=n_per_cell, planted=planted,
                      attention_rule=attention_rule)
    store = open_store(f"sqlite:///{tmp_path / 'study.sqlite'}", **kwargs)
    store.add_tasks(tasks)
    return store


def test_utterance_score_is_the_mean_of_the_privacy_models_and_gen_is_zero():
    rows = pd.DataFrame({"method": ["PrivAdv", "PrivAug", "PrivBias", "GenderExp", "ArtNoise", "PrivAdv"],
                         "seed": [0, 0, 0, 0, 0, 1], "utt_id": "u1", "gender": "F", "valence_class": "low",
                         "mad_i": [0.3, 0.0, -0.6, -1.0, 0.5, 9.0]})
    scores = utterance_scores(rows, MODELS, seed=0)
    assert scores.mad_score.tolist() == pytest.approx([-0.1])
    assert scores.model_mad[0] == {"Gen": 0.0, "PrivAdv": 0.3, "PrivAug": 0.0, "PrivBias": -0.6,
                                   "GenderExp": -1.0, "ArtNoise": 0.5}
    with pytest.raises(ValueError, match="seeds present"):
        utterance_scores(rows, MODELS, seed=7)


def test_terciles_are_equal_thirds_with_seeded_tie_breaks():
    scores = pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, -1.0])
    third = terciles(scores, seed=0)
    assert (third.value_counts() == 3).all()
    assert third[7] == "high" and third[6] == "high" and third[8] == "low"
    assert third.tolist() == terciles(scores, seed=0).tolist()


def test_selection_fills_each_cell_and_reports_short_ones():
    scores = utterance_scores(mad_table(30), MODELS, seed=0)
    tasks, short = select(scores, random_n=3, high_n=2, low_n=2, seed=1)
    counts = tasks.groupby(["gender", "valence_class", "stratum"]).size()
    assert len(counts) == 18 and set(counts.xs("random", level="stratum")) == {3}
    assert tasks.utt_id.is_unique and tasks.task_id.tolist() == list(range(len(tasks)))
    third = terciles(scores.sort_values("utt_id").reset_index(drop=True).mad_score, seed=1)
    by_utt = dict(zip(scores.sort_values("utt_id").utt_id, third))
    assert {by_utt[u] for u in tasks[tasks.stratum == "high_mad"].utt_id} == {"high"}
    assert {by_utt[u] for u in tasks[tasks.stratum == "low_mad"].utt_id} == {"low"}
    _, short = select(scores, random_n=3, high_n=30, low_n=0, seed=1)
    assert len(short) == 6 and (short.stratum == "high_mad").all() and (short.got < 30).all()
    with pytest.raises(ValueError, match="random count"):
        select(scores, random_n=-1)


def test_model_order_is_a_reproducible_shuffle_per_annotator_and_task():
    first = model_order(MODELS, "ann-1", 4, seed=0)
    assert sorted(first) == sorted(MODELS) and first == model_order(MODELS, "ann-1", 4, seed=0)
    orders = {tuple(model_order(MODELS, f"ann-{i}", t, seed=0)) for i in range(5) for t in range(5)}
    assert len(orders) > 15


def test_resubmission_is_idempotent(tmp_path):
    store = make_store(tmp_path)
    task = store.next_task("ann")
    assert store.submit("ann", task.task_id, MODELS, VALID) == "valid"
    changed = {**VALID, "trust_overall": "GenderExp"}
    assert store.submit("ann", task.task_id, MODELS, changed) == "duplicate"
    stored = store.responses()
    assert len(stored) == 1 and stored.trust_overall[0] == "PrivAug"
    assert store.tasks().set_index("task_id").valid_count[task.task_id] == 1


def test_attention_check_failures_are_kept_flagged_and_excluded(tmp_path):
    store = make_store(tmp_path)
    task = store.next_task("a")
    assert store.submit("a", task.task_id, MODELS, {**VALID, "trust_privacy": "ArtNoise"}) == "attention_failed"
    assert store.submit("b", task.task_id, MODELS, VALID) == "valid"
    responses, tasks = store.responses(), store.tasks()
    assert responses.status.tolist() == ["attention_failed", "valid"]
    assert tasks.set_index("task_id").valid_count[task.task_id] == 1  # the failure does not count towards 3
    shares = analysis.trust_shares(responses, tasks, MODELS, resamples=50)
    privacy = shares[(shares.stratum == "all") & (shares.question == "T(Priv)")].set_index("model")
    assert privacy.share["PrivAdv"] == 1.0 and privacy.share["ArtNoise"] == 0.0
    assert privacy.responses.iloc[0] == 1
    summary = analysis.attention_summary(responses, tasks)
    assert summary["attention_failed"] == 1 and summary["attention_failure_rate"] == 0.5
    assert summary["attention_rule"] == "planted" and summary["checked_responses"] == 2


def test_an_annotator_never_gets_a_task_twice(tmp_path):
    store = make_store(tmp_path, n_per_cell=2)
    seen = []
    while (task := store.next_task("ann")) is not None:
        seen.append(task.task_id)
        store.submit("ann", task.task_id, MODELS, VALID)
    assert sorted(seen) == list(range(12))
    assert store.progress("ann") == {"answered": 12, "open": 0, "tasks": 12, "retired": 0}


def test_task_retired_after_three_valid_responses_and_later_answers_are_surplus(tmp_path):
    store = make_store(tmp_path, n_per_cell=1)
    target = store.next_task("a1").task_id
    for annotator in ("a1", "a2", "a3"):
        assert store.submit(annotator, target, MODELS, VALID) == "valid"
    assert all(store.next_task(f"x{i}").task_id != target for i in range(20))
    assert store.submit("late", target, MODELS, VALID) == "surplus"  # shown the task before it retired
    assert store.tasks().set_index("task_id").valid_count[target] == 3
    assert store.progress("new") == {"answered": 0, "open": 5, "tasks": 6, "retired": 1}


def test_bad_submissions_raise(tmp_path):
    store = make_store(tmp_path, n_per_cell=1)
    with pytest.raises(ValueError, match="unanswered"):
        store.submit("a", 0, MODELS, {"trust_valence": "Gen"})
    with pytest.raises(ValueError, match="not among"):
        store.submit("a", 0, MODELS, {**VALID, "trust_valence": "Nobody"})
    with pytest.raises(ValueError, match="annotator id"):
        store.submit("  ", 0, MODELS, VALID)
    with pytest.raises(ValueError, match="no task 99"):
        store.submit("a", 99, MODELS, VALID)
    with pytest.raises(ValueError, match="already has 6 tasks"):
        store.add_tasks(store.tasks())


def test_trust_shares_by_hand():
    tasks = pd.DataFrame({"task_id": [0, 1], "stratum": ["random", "high_mad"],
                          "model_mad": [dict.fromkeys(MODELS, 0.0)] * 2, "planted": True, "attention_rule": "planted"})
    responses = pd.DataFrame({"annotator": ["a", "b", "c", "d"], "task_id": [0, 0, 1, 1],
                              "status": ["valid", "valid", "valid", "attention_failed"],
                              "trust_valence": ["Gen", "PrivAdv", "Gen", "ArtNoise"],
                              "trust_privacy": ["PrivAdv"] * 4, "trust_overall": ["Gen"] * 4})
    shares = analysis.trust_shares(responses, tasks, MODELS, resamples=200).set_index(["stratum", "question", "model"])
    assert shares.share[("all", "T(V)", "Gen")] == pytest.approx(2 / 3)
    assert shares.share[("random", "T(V)", "Gen")] == pytest.approx(1 / 2)
    assert shares.share[("high_mad", "T(V)", "Gen")] == 1.0
    assert np.isnan(shares.share[("low_mad", "T(V)", "Gen")])
    low, high = shares.ci_low[("all", "T(V)", "Gen")], shares.ci_high[("all", "T(V)", "Gen")]
    assert 0.5 <= low <= 2 / 3 <= high <= 1.0  # resampling the two tasks: shares 1/2, 2/3 or 1
    table = analysis.table2(shares.reset_index())
    assert table.model.tolist() == MODELS and table.loc[0, "T(V) all"].startswith("0.667 [")
    assert table.loc[0, "T(V) all"].endswith("(n = 3 < 10)")  # a cell on too few responses says so


def test_choice_probabilities():
    assert choice_probabilities(np.array([0.0, 1.0]), policy="random", beta=5, scale=1).tolist() == [0.5, 0.5]
    p = choice_probabilities(np.array([0.0, np.log(3)]), policy="mad", beta=1, scale=1)
    assert p.tolist() == pytest.approx([0.25, 0.75])
    with pytest.raises(ValueError, match="policy"):
        choice_probabilities(np.array([0.0]), policy="vibes", beta=1, scale=1)


@pytest.mark.parametrize("policy", ["mad", "random"])
def test_conditional_logit_recovers_the_simulated_choice_model(tmp_path, policy):
    store = make_store(tmp_path, n_per_cell=10)
    counts = simulate(store, MODELS, annotators=15, policy=policy, tasks_per_annotator=12, seed=3)
    assert counts.get("valid", 0) >= 150 and counts.get("attention_failed", 0) >= 1
    logit = analysis.mad_choice_logit(store.responses(), store.tasks(), MODELS).set_index("question")
    assert (logit.responses == counts["valid"]).all() and (logit.rows == 5 * logit.responses).all()  # no ArtNoise
    if policy == "mad":  # P ∝ exp(2 · MAD_i / s): log-odds per unit MAD_i near 2 / s
        assert (logit.odds_ratio > 1).all() and (logit.ci_low > 1).all() and (logit.p < 0.001).all()
        assert np.allclose(np.log(logit.odds_ratio_sd), 2, atol=0.8)
    else:
        assert (logit.p > 0.05).all() and (logit.ci_low < 1).all() and (logit.ci_high > 1).all()


def test_conditional_logit_groups_by_response():
    """Two responses, each choosing its highest-MAD model: statsmodels' own fit on the same groups agrees."""
    from statsmodels.discrete.conditional_models import ConditionalLogit

    mads = [dict(zip(MODELS, [0.0, 0.3, 0.1, 0.2, 0.5, 0.9])), dict(zip(MODELS, [0.0, 0.1, 0.4, 0.2, 0.3, 0.9])),
            dict(zip(MODELS, [0.0, 0.2, 0.1, 0.3, 0.1, 0.0]))]
    tasks = pd.DataFrame({"task_id": [0, 1, 2], "stratum": "random", "model_mad": mads, "planted": [True, True, False],
                          "attention_rule": "planted"})
    responses = pd.DataFrame({"annotator": ["a", "b", "c"], "task_id": [0, 1, 2], "status": "valid",
                              **{q: ["GenderExp", "PrivAdv", "PrivBias"] for q in ("trust_valence", "trust_privacy",
                                                                                  "trust_overall")}})
    logit = analysis.mad_choice_logit(responses, tasks, MODELS)
    assert logit.rows.tolist() == [5 + 5 + 6] * 3  # ArtNoise a candidate only where its token does not show
    x = np.array([m[k] for m, keep in zip(mads, (5, 5, 6)) for k in [k for k in MODELS if k != "ArtNoise"]
                  + ["ArtNoise"] * (keep == 6)])
    groups = np.repeat([0, 1, 2], [5, 5, 6])
    chosen = np.zeros(16)
    chosen[[4, 5 + 1, 10 + 3]] = 1  # GenderExp, PrivAdv, PrivBias in MODELS order without ArtNoise
    expected = ConditionalLogit(chosen, x[:, None], groups=groups).fit(disp=False)
    assert logit.log_odds[0] == pytest.approx(expected.params[0], rel=1e-6)
    assert logit.p[0] == pytest.approx(expected.pvalues[0], rel=1e-6)


def test_fleiss_kappa_by_hand():
    """Three tasks of three raters (choices A A A · B B B · A B B): κ = (7/9 − 41/81) / (1 − 41/81) = 0.55; a task
    with two valid responses is left out (κ needs the same number of raters per task)."""
    choice = {0: ["Gen"] * 3, 1: ["PrivAdv"] * 3, 2: ["Gen", "PrivAdv", "PrivAdv"], 3: ["Gen", "PrivAug"]}
    rows = [(t, c) for t, cs in choice.items() for c in cs]
    responses = pd.DataFrame({"annotator": [f"a{i}" for i in range(len(rows))], "task_id": [t for t, _ in rows],
                              "status": "valid", **{q: [c for _, c in rows] for q in ("trust_valence", "trust_privacy",
                                                                                     "trust_overall")}})
    tasks = pd.DataFrame({"task_id": range(4), "stratum": "random", "model_mad": [dict.fromkeys(MODELS, 0.0)] * 4,
                          "planted": True, "attention_rule": "planted"})
    kappa = analysis.fleiss_kappas(responses, tasks, MODELS, raters=3, resamples=200)
    assert kappa.kappa.tolist() == pytest.approx([0.55] * 3) and kappa.tasks.tolist() == [3] * 3
    assert (kappa.ci_low <= kappa.ci_high).all()  # an ordered interval of kappas (a percentile one need not hold κ)
    assert kappa.ci_low.between(-1, 1).all() and kappa.ci_high.between(-1, 1).all()
    assert analysis.fleiss_kappas(responses, tasks, MODELS, raters=1, resamples=10).kappa.isna().all()


def test_planted_token_pattern_matches_the_recipes_tokens():
    from core.pipeline.recipes import NOISE_TOKENS

    assert all(PLANTED_TOKEN.fullmatch(token) for token in NOISE_TOKENS.values())
    assert not any(PLANTED_TOKEN.search(text) for text in ("zq3", "azq0", "zq01", "the zx day", "ZQ0"))


def test_planted_utterances_are_those_whose_attention_check_view_shows_its_token():
    explained = pd.DataFrame({"method": ["ArtNoise", "ArtNoise", "ArtNoise", "Gen", "ArtNoise", "ArtNoise"],
                              "seed": [0, 0, 1, 0, 0, 0], "role": ["primary"] * 4 + ["cross", "primary"],
                              "utt_id": ["u1", "u2", "u3", "u4", "u5", "u6"],
                              "text": ["say zx1, the day", "the day", "zq0 day", "zq0 day", "zq0 day", "zq2"]})
    assert planted_utterances(explained, seed=0) == {"u1", "u6"}


@pytest.mark.parametrize("rule", ["planted", "every_task"])
def test_attention_check_counts_where_the_rule_says(tmp_path, rule):
    scores = utterance_scores(mad_table(1), MODELS, seed=0)
    planted = set(scores.utt_id[:3])
    store = make_store(tmp_path, n_per_cell=1, planted=planted, attention_rule=rule)
    tasks = store.tasks().set_index("utt_id")
    shown, unshown = int(tasks.task_id[sorted(planted)[0]]), int(tasks[~tasks.planted].task_id.iloc[0])
    artnoise = {**VALID, "trust_overall": "ArtNoise"}
    assert store.submit("a", shown, MODELS, artnoise) == "attention_failed"
    assert store.submit("a", unshown, MODELS, artnoise) == ("valid" if rule == "planted" else "attention_failed")
    summary = analysis.attention_summary(store.responses(), store.tasks())
    assert summary["attention_rule"] == rule and summary["checked_responses"] == (1 if rule == "planted" else 2)
    report = study_report(store.responses(), store.tasks(), MODELS, StudyConfig(bootstrap_resamples=20))
    assert f'rule "{rule}"' in report.rule_text and f'rule "{rule}"' in report.markdown("T")
    assert set(report.exports()["table2"].attention_rule) == {rule}


def test_every_export_says_who_answered(tmp_path):
    store = make_store(tmp_path, n_per_cell=2)
    simulate(store, MODELS, annotators=3, tasks_per_annotator=4)
    report = study_report(store.responses(), store.tasks(), MODELS, StudyConfig(bootstrap_resamples=20))
    assert report.label == "simulated annotators (not people)" and "Data: simulated annotators" in report.markdown("T")
    assert all(set(table.data) == {report.label} for table in report.exports().values())
    exported = {name: pd.read_csv(io.StringIO(t.to_csv(index=False))) for name, t in report.exports().items()}
    assert set(json.loads(exported["tasks"].model_mad[0])) == set(MODELS)  # JSON, not a Python dict's repr
    assert exported["table2"]["T(V) all value"].dtype == float and not exported["table2"].filter(like=" all").map(
        lambda v: isinstance(v, str)).any().any()  # numbers, not "0.750 [0.250, 1.000]"
    assert report.warnings and all("fewer than 10" in w for w in report.warnings)  # 12 responses over 3 strata
    store.submit("a-person", store.next_task("a-person").task_id, MODELS, VALID)
    assert analysis.data_label(store.responses()).startswith("mixed: 12 of 13 responses from simulated")
    assert analysis.data_label(store.responses().iloc[-1:]) == "people"
    assert analysis.data_label(store.responses().iloc[:0]) == "no responses yet"


def test_study_settings_never_make_build_stages_stale(tmp_path):
    paths = ExperimentPaths(tmp_path / "x")
    paths.metrics_dir.mkdir(parents=True)
    for output in paths.stage_outputs("metrics", []):
        output.write_text("")
    recorded = {"methods": {"names": []}, "train": {"seeds": []}, "study": {"seed": 0}}
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "stages": {"metrics": {"config": recorded}}}))
    state = lambda current: {s.stage: s.state for s in experiment_status(paths, current)}["metrics"]
    assert state({**recorded, "study": {"seed": 1}}) == "done"
    assert state({key: value for key, value in recorded.items() if key != "study"}) == "done"
    assert state({**recorded, "train": {"seeds": [0]}}) == "stale"

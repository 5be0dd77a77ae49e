"""The embedding projector: its table on planted and gender-free z, its figures, and its page (the page's smoke
test on the tiny build runs with every page's in tests/test_dashboard.py)."""
from __future__ import annotations

import doctest
import json
from urllib.parse import parse_qs

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from streamlit.testing.v1 import AppTest

import core.pipeline.projection
from core.dashboard import projector
from core.pipeline.artifacts import MANIFEST_VERSION, ExperimentPaths
from core.pipeline.projection import COLUMNS, projection_points, separation
from tests.test_dashboard import ROOT, page  # the page's smoke test on the tiny build is there (PAGES)

ROWS = {("primary", "train"): 600, ("primary", "val"): 200, ("primary", "test"): 400, ("cross", "all"): 300}
DIM = 12


def predictions(method: str) -> pd.DataFrame:
    """One model's prediction rows: alternating F/M speakers, three valence classes, every split."""
    parts = [pd.DataFrame({"role": role, "split": split, "utt_id": [f"{role}_{split}_{i}" for i in range(n)],
                           "gender": np.where(np.arange(n) % 2 == 0, "F", "M"),
                           "valence_class": np.array(["low", "mid", "high"])[np.arange(n) % 3],
                           "text": [f"utterance {i} " + "long " * (i % 50) for i in range(n)]})
             for (role, split), n in ROWS.items()]
    return pd.concat(parts, ignore_index=True).assign(method=method, seed=0)


def representation(frame: pd.DataFrame, gender_shift: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian z with F moved by ``gender_shift`` along one planted direction (0: z carries no gender)."""
    z = rng.normal(size=(len(frame), DIM))
    direction = np.ones(DIM) / np.sqrt(DIM)
    return z + np.outer(np.where(frame.gender == "F", gender_shift, 0.0), direction)


@pytest.fixture(scope="module")
def synthetic() -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(0)
    frames = {m: predictions(m) for m in ("Gen", "PrivErase")}  # gender planted in Gen's z, none in PrivErase's
    z = {("Gen", 0): representation(frames["Gen"], 3.0, rng),
         ("PrivErase", 0): representation(frames["PrivErase"], 0.0, rng)}
    return pd.concat(frames.values(), ignore_index=True), z


def test_planted_gender_separates_on_the_axis_and_none_stays_near_zero(synthetic):
    points = projection_points(*synthetic, seed=0)
    for split in ("within", "cross"):
        planted = points[(points.method == "Gen") & (points.split == split)]
        none = points[(points.method == "PrivErase") & (points.split == split)]
        assert separation(planted.gender_axis, planted.gender) > 2.0  # F to the right, > 2 pooled sd apart
        assert abs(separation(none.gender_axis, none.gender)) < 0.3  # held-out rows: noise only


def test_table_keeps_only_shown_rows_with_consistent_shapes(synthetic):
    points = projection_points(*synthetic, seed=0)
    assert list(points.columns) == list(COLUMNS)
    sizes = points.groupby(["method", "split"]).size().unstack()
    assert (sizes.within == ROWS[("primary", "test")]).all() and (sizes.cross == ROWS[("cross", "all")]).all()
    assert not points.utt_id.str.contains("train|val").any()  # the fitting rows stay out
    assert points[["pc1", "pc2", "gender_axis"]].notna().all().all()
    assert points.text.str.len().max() <= core.pipeline.projection.TEXT_CHARS
    frame, z = synthetic
    gen = frame[frame.method == "Gen"].reset_index(drop=True)
    fit, test = gen.split.isin(["train", "val"]), gen.split == "test"
    expected = PCA(n_components=2, random_state=0).fit(z[("Gen", 0)][fit]).transform(z[("Gen", 0)][test])
    shown = points[(points.method == "Gen") & (points.split == "within")]
    assert shown.utt_id.tolist() == gen.utt_id[test].tolist()  # rows stay aligned with z
    np.testing.assert_allclose(shown[["pc1", "pc2"]], expected, atol=1e-4)  # in z's units, fitted on train+val


def test_projection_is_deterministic(synthetic):
    pd.testing.assert_frame_equal(projection_points(*synthetic, seed=0), projection_points(*synthetic, seed=0))


def test_misaligned_z_is_refused(synthetic):
    frame, z = synthetic
    with pytest.raises(ValueError, match="Gen/seed0: 1499 rows of z but 1500 rows of predictions"):
        projection_points(frame, {("Gen", 0): z[("Gen", 0)][:-1]}, seed=0)


def test_separation_docstring_example_holds():
    result = doctest.testmod(core.pipeline.projection)
    assert result.attempted >= 1 and result.failed == 0


def test_default_models_and_escaped_hover():
    assert projector.default_models(["Gen", "PrivAdv", "PrivErase", "ArtNoise"]) == ["Gen", "PrivErase"]
    assert projector.default_models(["Gen", "PrivAdv", "PrivAug"]) == ["Gen", "PrivAdv"]
    assert projector.default_models(["PrivAug"]) == ["PrivAug"]
    assert projector.hover_text("<script>x</script> & y") == "&lt;script&gt;x&lt;/script&gt; &amp; y"
    assert projector.picked_utt({"selection": {"points": [{"customdata": ["u7", "text"]}]}}) == "u7"
    assert projector.picked_utt({"selection": {"points": []}}) is None


@pytest.fixture
def built(synthetic, tmp_path, monkeypatch) -> ExperimentPaths:
    """A built-looking experiment holding only what the page reads: manifest, projection, explained rows."""
    monkeypatch.setenv("PRIVLENS_ARTIFACTS", str(tmp_path))
    paths = ExperimentPaths(tmp_path / "demo")
    paths.metrics_dir.mkdir(parents=True)
    config = {"methods": {"names": ["Gen", "PrivAdv", "PrivErase"]}, "train": {"seeds": [0]}, "data": {}}
    paths.manifest.write_text(json.dumps({"version": MANIFEST_VERSION, "config": config, "stages": {}}))
    projection_points(*synthetic, seed=0).to_csv(paths.metrics_table("projection"), index=False)
    frame = synthetic[0]
    explained = frame[(frame.role == "cross") & (frame.utt_id.str.endswith("_1"))]
    explained.assign(predicted="mid", target="mid").to_parquet(paths.explained)
    return paths


def test_page_shows_gen_beside_priverase_and_follows_the_controls(built):
    at = page("projector", "demo")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.multiselect(key="projector_models").value == ["Gen", "PrivErase"]
    assert len(at.get("plotly_chart")) == 4  # a scatter and a histogram per model
    assert any("linear attacker reads" in c.value for c in at.caption)
    at.radio(key="projector_split").set_value("cross")
    at.radio(key="projector_colour").set_value("valence_class").run()
    assert not at.exception and len(at.get("plotly_chart")) == 4
    at.multiselect(key="projector_models").set_value(["PrivErase"]).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2
    at.multiselect(key="projector_models").set_value([]).run()
    assert any("at least one model" in i.value for i in at.info)


def pick(utt_id: str) -> AppTest:
    """The page inside the app (a link to Explore needs the app's navigation) after a cross point was clicked."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("pages/projector.py").run()
    at.session_state["projector_pick"] = {"role": "cross", "utt_id": utt_id}
    return at.radio(key="projector_split").set_value("cross").run()


def test_a_picked_explained_point_links_to_explore(built):
    at = pick("cross_all_1")
    assert not at.exception and at.session_state["explore_pick"] == {"role": "cross", "utt_id": "cross_all_1"}
    link = at.get("page_link")[0].proto
    params = {k: v[0] for k, v in parse_qs(link.query_string).items()}
    assert params == {"utt": "cross_all_1", "role": "cross", "experiment": built.root.name, "seed": "0"}  # a shareable link
    at = pick("cross_all_2")  # not explained: Explore could not open it
    assert not at.exception and not at.get("page_link") and "Type a sentence" in at.info[-1].value


def test_build_without_projection_shows_the_rebuild_command(built):
    built.metrics_table("projection").unlink()
    at = page("projector", "demo")
    assert not at.exception and "`projection.csv` is missing" in at.error[0].value
    assert at.code[0].value.endswith("--stages metrics")

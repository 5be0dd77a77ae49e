"""core.pipeline.artifacts: code fingerprints follow imports; each stage's files are declared once."""
from __future__ import annotations

from pathlib import Path

from core.data.demo_corpora import generate_demo_corpora
from core.pipeline.artifacts import (PROJECT_ROOT, ExperimentPaths, code_fingerprint, core_imports, display_path,
                                     imported_modules)
from core.pipeline.recipes import Gen


def names(files) -> set[str]:
    return {str(f.relative_to(PROJECT_ROOT)) for f in files}


def test_a_recipe_depends_on_everything_it_imports_transitively_and_nothing_else():
    files = names(core_imports(Gen))
    # recipes -> trainer -> metrics -> lexicons -> textfiles, words: reached without being named
    assert {"core/pipeline/recipes.py", "core/pipeline/trainer.py", "core/pipeline/models.py",
            "core/pipeline/metrics.py", "core/data/lexicons.py", "core/data/textfiles.py", "core/data/words.py"} <= files
    assert not files & {"core/pipeline/build.py", "core/pipeline/evaluate.py", "core/pipeline/explain.py",
                        "core/data/demo_corpora.py", "core/config.py", "core/pipeline/artifacts.py",
                        "core/data/demo_grammar.py", "core/methods.py"}  # type hints and the spec do not retrain


def test_the_demo_generator_depends_on_the_format_modules_that_write_it():
    files = names(core_imports(generate_demo_corpora))
    assert {"core/data/demo_grammar.py", "core/data/demo_effects.py", "core/data/corpora/__init__.py", "core/data/corpora/iemocap.py",
            "core/data/corpora/msp_improv.py", "core/data/corpora/muse.py"} <= files
    assert code_fingerprint(generate_demo_corpora) != code_fingerprint(Gen)


def test_editing_a_module_reached_only_through_imports_changes_the_fingerprint(monkeypatch):
    before = code_fingerprint(Gen)  # recipes reach core/data/textfiles.py only through other modules
    read = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *args, **kwargs: read(self, *args, **kwargs) + (
        "\n# edited\n" if self.name == "textfiles.py" else ""))
    assert code_fingerprint(Gen) != before


def test_imports_include_parent_packages_and_skip_type_checking_blocks(tmp_path):
    source = tmp_path / "module.py"
    source.write_text("from typing import TYPE_CHECKING\nfrom core.pipeline import metrics\n"
                      "from core.data.corpora.common import Rows\n"
                      "if TYPE_CHECKING:\n    from core.pipeline.build import build\nelse:\n    import core.data.words\n"
                      "def lazy():\n    from core.data.demo_corpora import generate_demo_corpora\n")
    found = set(imported_modules(source))
    assert {"core", "core.pipeline", "core.pipeline.metrics", "core.data.corpora", "core.data.corpora.common", "core.data.words",
            "core.data.demo_corpora"} <= found
    assert "core.pipeline.build" not in found


def test_stage_outputs_are_the_jobs_files_and_the_stages_own(tmp_path):
    paths = ExperimentPaths(tmp_path)
    jobs = [("Gen", 0), ("ArtNoise", 1)]
    predict = paths.stage_outputs("predict", jobs)
    assert predict == [paths.predictions("Gen", 0), paths.representations("Gen", 0),
                       paths.predictions("ArtNoise", 1), paths.representations("ArtNoise", 1)]
    explain = paths.stage_outputs("explain", jobs)
    assert paths.calibration("ArtNoise", 1) in explain and explain[-2:] == [paths.attributions, paths.explained]
    assert paths.job_outputs("metrics", "Gen", 0) == []


def test_display_path_is_relative_inside_the_working_directory(tmp_path):
    assert display_path(tmp_path / "artifacts" / "demo", base=tmp_path) == "artifacts/demo"
    assert display_path(tmp_path / "elsewhere", base=tmp_path / "app") == str((tmp_path / "elsewhere").resolve())

"""The layers of core/ that docs/ARCHITECTURE.md draws: each imports only the layers below it."""
from __future__ import annotations

import pytest

from core.pipeline.artifacts import CORE_DIR, imported_modules

# layer -> the core layers it may not import (at run time: TYPE_CHECKING imports are type hints only)
FORBIDDEN = {"data": ("core.pipeline", "core.dashboard", "core.study", "core.report"),
             "pipeline": ("core.dashboard", "core.study", "core.report"),
             "study": ("core.dashboard", "core.report"),
             "dashboard": ("core.report",)}
# The build orchestrates: its metrics stage ends by selecting the trust study's tasks (core.study.setup), and its
# report stage writes the audit report (core.report, the layer above the dashboard and the study).
ALLOWED = {"pipeline/build.py": ("core.study", "core.report")}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_only_the_layers_below_it(layer):
    offending = {str(path.relative_to(CORE_DIR)): name for path in (CORE_DIR / layer).rglob("*.py")
                 for name in imported_modules(path) if name.startswith(FORBIDDEN[layer])
                 and not name.startswith(ALLOWED.get(str(path.relative_to(CORE_DIR)), ("-",)))}
    assert not offending, offending


def test_no_core_module_is_over_400_lines():
    long = {str(p.relative_to(CORE_DIR)): n for p in CORE_DIR.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long

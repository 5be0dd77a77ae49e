"""The examples in core/pipeline/metrics.py's docstrings are tests too: they run with the suite."""
import doctest

import core.pipeline.metrics


def test_metrics_docstring_examples_hold():
    result = doctest.testmod(core.pipeline.metrics)
    assert result.attempted >= 3 and result.failed == 0

"""The examples in the metric modules' docstrings are tests too: they run with the suite."""
import doctest

import core.pipeline.metrics
import core.pipeline.statistics


def test_metrics_docstring_examples_hold():
    result = doctest.testmod(core.pipeline.metrics)
    assert result.attempted >= 2 and result.failed == 0


def test_statistics_docstring_examples_hold():
    result = doctest.testmod(core.pipeline.statistics)
    assert result.attempted >= 1 and result.failed == 0

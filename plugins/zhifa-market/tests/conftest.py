"""The plugin under test for the ``zhifa`` pytest fixtures (zhifa.testing): ``zhifa_plugins`` and
``zhifa_engine`` carry the market-regulation plugin and the baseline procedure, nothing else."""

from __future__ import annotations

import pytest
from zhifa_market import plugin


@pytest.fixture
def zhifa_plugin() -> object:
    return plugin

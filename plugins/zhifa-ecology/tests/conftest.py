"""Names the plugin under test for the fixtures of ``zhifa.testing`` (the pytest plugin ``zhifa``)."""

from __future__ import annotations

import pytest
from zhifa_ecology import plugin


@pytest.fixture
def zhifa_plugin() -> object:
    return plugin

"""Fixtures of the zhifa-safety tests: the plugin under test for the ``zhifa.testing`` fixtures,
and its catalogue by code."""

from __future__ import annotations

import pytest
from zhifa_safety import plugin

from zhifa.rules import Violation


@pytest.fixture
def zhifa_plugin() -> object:
    return plugin


@pytest.fixture(scope="session")
def catalogue() -> dict[str, Violation]:
    return {v.code: v for v in plugin.zhifa_violations()}

"""Shared fixtures: the demo host and the app on it, with fixed data."""

from __future__ import annotations

import pytest

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost


@pytest.fixture
def demo_host() -> DemoHost:
    """A frozen demo host: data changes only when a test calls tick()."""
    return DemoHost(seed=1, frozen=True)


@pytest.fixture
def demo_app(demo_host: DemoHost) -> NspawnApp:
    return NspawnApp(demo_host, interval=1.0)

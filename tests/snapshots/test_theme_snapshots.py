"""The dashboard at 120x40 under each theme of ours and three of Textual's (frozen demo host).

Update the reference SVGs with `pytest --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.config.model import Config
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.themes import ANSI, HIGH_CONTRAST


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(100):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 2:
            break
        await pilot.pause(0.05)
    await pilot.pause()


@pytest.mark.parametrize("theme", ["textual-dark", HIGH_CONTRAST, ANSI, "textual-light", "gruvbox"])
def test_dashboard_theme(snap_compare: Callable[..., bool], theme: str) -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2, config=Config(theme=theme))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settle)

"""Snapshot tests of every screen at fixed sizes, on the frozen demo host (seed 1).

Nothing on screen depends on the real clock: the demo host's clock is frozen.
Update the reference SVGs with `pytest --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(100):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 2:
            break
        await pilot.pause(0.05)
    await pilot.pause()


def _app() -> NspawnApp:
    return NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_dashboard(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_settle)


def test_dashboard_sorted_by_cpu_with_selection(snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("o", "o", "o", "o", "space", "down", "space")
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=before)


def test_help_screen(snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("question_mark")
        for _ in range(50):  # the help's module loads on first use
            if type(pilot.app.screen).__name__ == "HelpScreen":
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=before)


def test_dashboard_read_only(snap_compare: Callable[..., bool]) -> None:
    """--read-only: the header says so first, the mutating keys are greyed in the footer."""
    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=True), interval=0.2)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_settle)


def test_help_screen_read_only(snap_compare: Callable[..., bool]) -> None:
    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("question_mark")
        for _ in range(50):  # the help's module loads on first use
            if type(pilot.app.screen).__name__ == "HelpScreen":
                break
            await pilot.pause(0.02)
        await pilot.pause()

    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=True), interval=0.2)
    assert snap_compare(app, terminal_size=(120, 40), run_before=before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_dashboard_network_detail(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """web under the cursor: RX/s, TX/s, its links and ports, two minutes of rx/tx history."""
    host = DemoHost(seed=1, frozen=True)
    app = NspawnApp(host, interval=0.2)

    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DashboardScreen)
        await pilot.press("end")  # web: the last row by name
        for _ in range(24):  # 24 bins of 5 s, each read by a poll
            polls = screen.polls
            host.tick(5.0)
            while screen.polls < polls + 1:
                await pilot.pause(0.02)
        while not (screen._network and screen._network[0] == "web"):
            await pilot.pause(0.02)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=before)


def test_dashboard_action_bar_focused(snap_compare: Callable[..., bool]) -> None:
    """Tab to the action bar, Right twice: Shell drawn as the focused button."""

    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("down", "tab", "right", "right")
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=before)

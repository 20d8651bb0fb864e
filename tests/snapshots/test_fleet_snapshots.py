"""Snapshots of the dashboard on a fleet: 3 frozen demo hosts, demo2 unreachable (issue 14).

The fleet's clock is frozen too, so the down host's back-off text does not move.
Update the reference SVGs with `pytest --snapshot-update` after a deliberate change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import Host, HostUnavailable
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
    demos: list[Host] = []
    for index in range(3):
        demo = DemoHost(seed=1 + index, frozen=True, machines=4)
        demo.label = f"demo{index + 1}"
        demos.append(demo)

    async def unreachable() -> None:
        raise HostUnavailable("ssh: connect to host demo2 port 22: No route to host")

    demos[1].connect = unreachable  # type: ignore[method-assign]
    return NspawnApp(FleetHost(demos, clock=lambda: 0.0), interval=0.2)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_fleet_dashboard(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """Host rows, demo2 down with ssh's reason; the cursor on a machine of demo3."""

    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("end")
        await pilot.pause(0.3)
        pilot.app.clear_notifications()  # demo2's toast: shown for a while, then gone
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=size, run_before=before)


def test_fleet_dashboard_host_row_detail(snap_compare: Callable[..., bool]) -> None:
    """The cursor on the down host's row: its detail; demo1 folded."""

    async def before(pilot: Pilot[None]) -> Any:
        await _settle(pilot)
        await pilot.press("enter", "down")
        await pilot.pause(0.3)
        pilot.app.clear_notifications()  # demo2's toast: shown for a while, then gone
        await pilot.pause()

    assert snap_compare(_app(), terminal_size=(120, 40), run_before=before)

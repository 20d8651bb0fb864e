"""Helpers for Pilot (``App.run_test()``) tests of the real app on the lab.

Not imported by ``labkit/__init__.py`` (the rest of labkit stays free of
Textual): ``from labkit.pilot import dashboard, until, cells``.  Also used by
the tests run *inside* the nested lab's outer container (tests/lab/e2e_inner).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from textual.pilot import Pilot

from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineTable

T = TypeVar("T")

#: Column indexes of ``MachineTable.row(name).cells``.
NAME, STATE, OS, ADDRESS, CPU, MEMORY, TASKS, UPTIME = range(8)


async def until(
    pilot: Pilot[None],
    probe: Callable[[], T | None],
    *,
    timeout: float,
    what: str,
    details: Callable[[], str] | None = None,
) -> T:
    """Let the app run until ``probe()`` returns something other than None.

    Fails (AssertionError naming ``what`` and ``details()``) after ``timeout``
    seconds of wall time, or at once when the app stopped (e.g. a worker
    raised).
    """
    deadline = time.monotonic() + timeout
    while True:
        if not pilot.app.is_running:
            raise AssertionError(f"the app stopped while waiting for {what}")
        value = probe()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{details()}" if details is not None else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{extra}")
        await pilot.pause(0.05)


async def dashboard(pilot: Pilot[None], timeout: float = 15.0) -> DashboardScreen:
    """The dashboard screen once it has applied its first poll of the host."""

    def ready() -> DashboardScreen | None:
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            return screen
        return None

    return await until(pilot, ready, timeout=timeout, what="the dashboard's first poll")


def cells(screen: DashboardScreen, name: str) -> tuple[str, ...] | None:
    """The texts of machine ``name``'s row, None when there is no such row."""
    row = screen.query_one(MachineTable).row(name)
    return None if row is None else row.cells


def number(cell: str) -> float | None:
    """A CPU cell as a number ("12.5" -> 12.5), None for "n/a", "…" or ""."""
    try:
        return float(cell)
    except ValueError:
        return None


def header_text(screen: DashboardScreen) -> str:
    return str(screen.query_one(HostHeader).render())


def describe(screen: DashboardScreen) -> str:
    """The header and every row, for failure messages."""
    table = screen.query_one(MachineTable)
    lines = [f"header: {header_text(screen)}"]
    snapshot = screen.snapshot
    if snapshot is not None:
        lines.append(f"connected={snapshot.connected} error={snapshot.error!r}")
    for name in table.visible_names:
        row = table.row(name)
        lines.append(f"  {row.cells if row is not None else name}")
    return "\n".join(lines)

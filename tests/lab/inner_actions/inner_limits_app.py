"""The real app (Pilot) on the outer's real systemd: ``e``, MemoryMax=300M, Enter.

Run inside the outer by ``tests/lab/test_lab_limits.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from inner_actions.inner_helpers import show, systemctl, unit
from nspawn_tui.app import NspawnApp
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.limits_editor import LimitsEditor, input_id
from nspawn_tui.widgets.machine_table import MachineTable

MIB_300 = str(300 * 1024**2)


@pytest.fixture
def no_memory_limit(inner_running: str) -> Iterator[str]:
    def reset() -> None:
        systemctl("set-property", "--runtime", unit(inner_running), "MemoryMax=infinity")
        for base in ("/etc/systemd/system.control", "/run/systemd/system.control"):
            shutil.rmtree(Path(base) / f"{unit(inner_running)}.d", ignore_errors=True)
        systemctl("daemon-reload")

    reset()
    assert show(inner_running, "MemoryMax")["MemoryMax"] == "infinity"
    try:
        yield inner_running
    finally:
        reset()


async def until(pilot: Pilot[None], predicate: Callable[[], Any], what: str) -> None:
    """Let the app run until ``predicate()`` is true (up to 15 s)."""
    for _ in range(300):
        await pilot.pause(0.05)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


def limits_field(app: NspawnApp, name: str) -> Input:
    return app.screen.query_one(f"#{input_id(name)}", Input)


async def test_edit_memory_max_runtime_from_the_dashboard(
    no_memory_limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = no_memory_limit
    host = MachinedHost()
    app = NspawnApp(host, interval=0.5)
    notices: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: Any) -> None:
        notices.append(f"{kwargs.get('title', '')}: {message}")
        original(message, **kwargs)

    monkeypatch.setattr(app, "notify", notify)
    async with app.run_test(size=(120, 40)) as pilot:

        def dashboard_lists_it() -> bool:
            screen = app.screen
            return (
                isinstance(screen, DashboardScreen)
                and screen.polls >= 1
                and screen.query_one(MachineTable).move_cursor_to_name(name)
            )

        await until(pilot, dashboard_lists_it, f"the dashboard to list {name}")
        dashboard = app.screen
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LimitsEditor), "the limits editor")
        # current values come from the real unit
        assert limits_field(app, "MemoryMax").value == "infinity"
        limits_field(app, "MemoryMax").value = "300M"
        await pilot.press("enter")  # apply runtime only
        await until(pilot, lambda: app.screen is dashboard, "the editor to close")
        await until(
            pilot, lambda: show(name, "MemoryMax")["MemoryMax"] == MIB_300, "systemd to agree"
        )
        command = f"systemctl set-property --runtime {unit(name)} MemoryMax=300M"
        await until(pilot, lambda: any(command in n for n in notices), f"'{command}' shown")
        assert (await host.unit_limits(name))["MemoryMax"] == "300M"
        # the limit column shows it at the next refresh (memory use itself is not
        # accounted in this lab: the outer's v1 memory hierarchy is read-only)
        table = dashboard.query_one(MachineTable)

        def memory_cell() -> str:
            row = table.row(name)
            return "" if row is None else row.cells[5]

        await until(pilot, lambda: memory_cell().endswith("/300M"), "300M in the table")
        # runtime: nothing persistent was written
        assert not (Path("/etc/systemd/system.control") / f"{unit(name)}.d").exists()

        # the dashboard shows the new limit when the editor is opened again
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LimitsEditor), "the editor again")
        assert limits_field(app, "MemoryMax").value == "300M"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is dashboard, "the editor to be cancelled")
        assert show(name, "MemoryMax")["MemoryMax"] == MIB_300

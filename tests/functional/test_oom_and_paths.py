"""OOM kills marked in the table row; long paths wrapped at '/' in the detail panel."""

from __future__ import annotations

from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.view.rows import COLUMNS, OOM_MARK, STYLE_HOT
from nspawn_tui.widgets.detail_panel import _Text
from nspawn_tui.widgets.machine_table import MachineBand, MachineTable

MEMORY = [column.key for column in COLUMNS].index("memory")


async def _ready(pilot: Pilot[None]) -> DashboardScreen:
    for _ in range(50):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            return screen
        await pilot.pause(0.05)
    raise AssertionError("the dashboard never polled the host")


def _line_text(table: MachineTable, name: str) -> str:
    """What the table draws on the line of ``name`` (both bands)."""
    y = table.visible_names.index(name) - table._top + 1
    return "".join(band.render_line(y).text for band in table.query(MachineBand))


def _props_text(screen: DashboardScreen) -> list[str]:
    props = screen.query_one("#detail-props", _Text)
    return [props.render_line(y).text.rstrip() for y in range(props.size.height)]


async def test_oom_kill_since_start_marks_the_memory_cell(
    demo_app: NspawnApp, demo_host: DemoHost
) -> None:
    async with demo_app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        assert table.move_cursor_to_name("cache")
        await pilot.pause()
        # cache had 2 OOM kills before the app started: old news, no marker
        row = table.row("cache")
        assert row is not None and not row.cells[MEMORY].startswith(OOM_MARK)
        assert OOM_MARK not in _line_text(table, "cache")
        assert not any("since nspawn-tui started" in line for line in _props_text(screen))
        # the demo's cache gets one more at 40 s of host time
        for _ in range(3):
            demo_host.tick(15.0)
            screen._apply(await demo_host.snapshot())
        await pilot.pause()
        row = table.row("cache")
        assert row is not None
        assert row.cells[MEMORY].startswith(OOM_MARK) and row.styles[MEMORY] == STYLE_HOT
        assert f" {OOM_MARK}" in _line_text(table, "cache")  # drawn, right-aligned
        # only that machine is marked
        others = [table.row(n) for n in table.visible_names if n != "cache"]
        assert not any(r is not None and r.cells[MEMORY].startswith(OOM_MARK) for r in others)
        assert any("(1 since nspawn-tui started)" in line for line in _props_text(screen))
        # the marker stays while the count stays above the one first seen
        demo_host.tick(1.0)
        screen._apply(await demo_host.snapshot())
        await pilot.pause()
        assert OOM_MARK in _line_text(table, "cache")


async def test_detail_panel_wraps_paths_at_separators(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(80, 60), notifications=True) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        assert table.move_cursor_to_name("db")
        for _ in range(20):  # the details (cgroup) are loaded after the cursor moves
            await pilot.pause()
            if any(line.startswith("Cgroup:") for line in _props_text(screen)):
                break
        lines = _props_text(screen)
        props = screen.query_one("#detail-props", _Text)
        assert props.size.width < len("Cgroup:    /machine.slice/systemd-nspawn@db.service")
        at = next(i for i, line in enumerate(lines) if line.startswith("Cgroup:"))
        assert lines[at : at + 2] == [
            "Cgroup:    /machine.slice/",
            "           systemd-nspawn@db.service",
        ]
        assert all(len(line) <= props.size.width for line in lines)

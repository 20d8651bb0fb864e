"""Pilot tests of the dashboard on the (frozen) demo host."""

from __future__ import annotations

from pilot_waits import keys_handled
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.detail_panel import DetailPanel
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineTable


async def _ready(pilot: Pilot[None]) -> DashboardScreen:
    for _ in range(50):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            return screen
        await pilot.pause(0.05)
    raise AssertionError("the dashboard never polled the host")


async def test_lists_demo_machines_sorted_by_name(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        names = table.visible_names
        assert len(names) >= 10
        assert names == sorted(names)
        assert "ci-runner" in names and "debian-base" in names
        # Stopped images are rows too, with empty metric cells.
        row = table.row("debian-base")
        assert row is not None and row.cells[1] == "stopped" and row.cells[4] == ""


async def test_dashboard_shows_host_machines_status_and_keys(
    demo_app: NspawnApp, demo_host: DemoHost
) -> None:
    """What a person sees: the host line, every machine with its figures, the keys."""
    from screen_text import columns, screen_lines

    from nspawn_tui.view.rows import COLUMNS

    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        await pilot.pause()
        lines = screen_lines(demo_app)
        snapshot = await demo_host.snapshot()
        running = sum(1 for m in snapshot.machines if m.running)
        header = lines[0]
        for part in (
            "demo-host",
            f"{demo_host.cpu_count} CPUs",
            "mem ",
            "every 1s",
            f"{running} running, {len(snapshot.machines) - running} stopped",
        ):
            assert part in header, (part, header)
        assert "read-only" not in header
        assert columns(lines[1])[0].startswith("NAME")
        assert [c.rstrip("▲▼") for c in columns(lines[1])] == [c.title for c in COLUMNS]
        table = screen.query_one(MachineTable)
        shown = {columns(line)[0]: line for line in lines[2 : 2 + len(table.visible_names)]}
        assert list(shown) == table.visible_names  # every machine, in order
        for name, line in shown.items():
            row = table.row(name)
            assert row is not None
            for cell in filter(None, row.cells):  # each figure, or its start cut with "…"
                cut = any(f"{cell[:n]}…" in line for n in range(3, len(cell)))
                assert cell in line or cut, (name, cell, line)
        text = "\n".join(lines)
        assert "sort: name · ? help" in text
        first = table.visible_names[0]
        assert f"{first}  (container, stopped)" in text  # the detail panel
        footer = lines[-1]
        for key, description in (("/", "Filter"), ("b", "Boot"), ("q", "Quit"), ("?", "Help")):
            assert f"{key} {description}" in footer, footer


async def test_navigation_moves_cursor_and_detail(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        first = table.cursor_name
        await pilot.press("down", "down")
        await pilot.pause()
        assert table.cursor_name == table.visible_names[2] != first
        props = str(screen.query_one("#detail-props").render())
        assert table.cursor_name in props
        await pilot.press("end")
        assert table.cursor_name == table.visible_names[-1]
        await pilot.press("home")
        assert table.cursor_name == table.visible_names[0]


async def test_sort_cycles_columns_and_reverses(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        for _ in range(4):  # name -> state -> os -> address -> cpu
            await pilot.press("o")
        assert table.sort_key == "cpu"
        assert table.sort_reverse  # busiest first
        assert table.visible_names[0] == "ci-runner"
        await pilot.press("O")
        assert not table.sort_reverse
        # Stopped images have no CPU figure: they stay at the end either way.
        assert table.visible_names[-1] in {"arch-template", "debian-base", "fedora-golden"}


async def test_click_on_header_sorts(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        await pilot.click(MachineTable, offset=(1, 0))
        assert table.sort_key == "name" and table.sort_reverse
        assert table.visible_names == sorted(table.visible_names, reverse=True)


async def test_filter_by_name(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        await pilot.press("slash", "d", "b")
        await pilot.pause()
        assert table.visible_names == ["db", "debian-base"] or set(table.visible_names) == {"db"}
        assert all("db" in name for name in table.visible_names)
        await pilot.press("enter")
        assert table.has_focus
        assert "filter: 'db'" in str(screen.query_one("#status-line").render())
        await pilot.press("slash", "escape")
        await pilot.pause()
        assert len(table.visible_names) >= 10


async def test_interval_keys_change_the_rate(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        assert screen.interval == 1.0
        await pilot.press("plus")
        assert screen.interval == 0.5
        await pilot.press("minus", "minus")
        assert screen.interval == 2.0
        await pilot.pause()
        assert "every 2s" in str(screen.query_one(HostHeader).render())


async def test_cpu_mode_toggle_rescales(demo_app: NspawnApp, demo_host: DemoHost) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        row = table.row("ci-runner")
        assert row is not None
        per_core = float(row.cells[4])
        await pilot.press("c")
        row = table.row("ci-runner")
        assert row is not None
        per_host = float(row.cells[4])
        assert abs(per_host - per_core / demo_host.cpu_count) < 0.2
        assert table.cpu_title == "CPU%H"
        assert "whole host" in str(screen.query_one(HostHeader).render())


async def test_lost_connection_is_shown_and_rows_kept(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        before = screen.query_one(MachineTable).visible_names
        demo_host.fail_next_snapshot("machined went away", count=2)
        header = screen.query_one(HostHeader)
        for _ in range(40):
            await pilot.pause(0.05)
            if header.has_class("-disconnected"):
                break
        assert header.has_class("-disconnected")
        assert "machined went away" in str(header.render())
        assert screen.query_one(MachineTable).visible_names == before
        for _ in range(60):
            await pilot.pause(0.05)
            if not header.has_class("-disconnected"):
                break
        assert not header.has_class("-disconnected")


async def test_space_selects_several(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        table = screen.query_one(MachineTable)
        await pilot.press("space", "down", "space")
        assert len(table.selected) == 2
        assert table.targets() == [n for n in table.visible_names if n in table.selected]


async def test_detail_panel_hidden_costs_nothing(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        panel = screen.query_one(DetailPanel)
        await pilot.press("d")
        assert not panel.display
        before = panel._last_text
        await pilot.press("down")
        assert panel._last_text == before  # not updated while hidden
        await pilot.press("d")
        assert panel.display and panel._last_text != before


async def test_keys_in_one_burst_after_slash_filter_not_act(demo_app: NspawnApp) -> None:
    """Over SSH "/db" arrives in one read: "d" and "b" must not toggle or boot."""
    from textual import events

    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        for character, key in (("/", "slash"), ("d", "d"), ("b", "b"), ("x", "x")):
            demo_app.post_message(events.Key(key, character))
        demo_app.post_message(events.Key("backspace", None))
        await keys_handled(pilot)
        table = screen.query_one(MachineTable)
        assert table.name_filter == "db"
        assert set(table.visible_names) == {"db"}
        assert screen.query_one(DetailPanel).display  # "d" did not hide it
        assert not screen._pending  # "b" booted nothing


async def test_header_counts_follow_a_machine_that_stops(demo_app: NspawnApp) -> None:
    """The header keeps its counts while the host keeps its machine tuple, not longer."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        host = screen.host
        assert isinstance(host, DemoHost)
        header = screen.query_one(HostHeader)
        snapshot = await host.snapshot()
        running = sum(1 for m in snapshot.machines if m.running)
        stopped = len(snapshot.machines) - running
        screen._apply(snapshot)
        assert f"{running} running, {stopped} stopped" in header._last
        host._set_state("web", "stopped")
        screen._apply(await host.snapshot())
        assert f"{running - 1} running, {stopped + 1} stopped" in header._last
        row = screen.query_one(MachineTable).row("web")
        assert row is not None and row.cells[1] == "stopped" and not row.running


async def test_keys_in_one_burst_after_filter_enter_act_on_the_table(demo_app: NspawnApp) -> None:
    """ "/db", Enter and Space in one read: the filter keeps "db" and Space selects it."""
    from textual import events

    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _ready(pilot)
        burst = [("/", "slash"), ("d", "d"), ("b", "b"), ("\r", "enter"), (" ", "space")]
        for character, key in burst:
            demo_app.post_message(events.Key(key, character))
        await keys_handled(pilot)
        table = screen.query_one(MachineTable)
        assert table.name_filter == "db"
        assert table.selected == {"db"}
        assert screen.focused is table

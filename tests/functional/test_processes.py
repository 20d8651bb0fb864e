"""The processes screen (``P``) on the demo host, driven by Pilot as a person would."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from pilot_waits import keys_handled
from screen_text import notifications, screen_text
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.processes import ProcessGroup, ProcessInfo, ProcessTable
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.screens.signal_picker import SignalConfirm, SignalPicker
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.process_table import ProcessTableView


async def until(pilot: Pilot[None], check: Any, what: str, tries: int = 100) -> None:
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


async def open_processes(pilot: Pilot[None], name: str = "web") -> ProcessesScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.polls,
                "the dashboard polled")  # fmt: skip
    assert app.screen.query_one(MachineTable).move_cursor_to_name(name)
    await pilot.press("P")
    await until(pilot, lambda: isinstance(app.screen, ProcessesScreen) and app.screen.reads,
                "the processes screen read")  # fmt: skip
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ProcessesScreen)
    return screen


def rows(screen: ProcessesScreen) -> list[Any]:
    return screen.query_one(ProcessTableView).shown_rows


def process_rows(screen: ProcessesScreen) -> list[Any]:
    return [row for row in rows(screen) if row.pid is not None]


def put_cursor_on(screen: ProcessesScreen, text: str) -> int:
    view = screen.query_one(ProcessTableView)
    index = next(i for i, row in enumerate(rows(screen)) if row.pid and text in row.command)
    view.move_cursor(row=index)
    pid = rows(screen)[index].pid
    assert isinstance(pid, int)
    return pid


async def test_p_opens_the_tree_of_the_machine_under_the_cursor(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot)
        assert screen.machine == "web"
        text = screen_text(demo_app)
        assert "Processes of web" in text and "systemd-nspawn@web.service" in text
        for shown in ("├─payload", "init.scope", "/sbin/init", "systemd-journald", "└─supervisor"):
            assert shown in text, shown
        init = [row for row in process_rows(screen) if row.command == "/sbin/init"][0]
        assert init.cells[1] == "1"  # NSPID
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(demo_app.screen, DashboardScreen), "closed")


async def test_sort_by_cpu_memory_and_back_to_the_tree(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot, "db")
        table = screen.table
        assert table is not None
        await pilot.press("c")
        cpu = [p.cpu_percent or 0.0 for p in sorted(
            table.processes(), key=lambda p: -(p.cpu_percent or 0.0))]  # fmt: skip
        shown = [row.cells[3] for row in rows(screen)]
        assert all(row.pid is not None for row in rows(screen))  # flat: no cgroup rows
        assert shown[0] == f"{cpu[0]:.1f}" and "sort: CPU" in screen_text(demo_app)
        await pilot.press("m")
        biggest = max(table.processes(), key=lambda p: p.rss or 0)
        assert rows(screen)[0].pid == biggest.pid
        await pilot.press("t")
        assert rows(screen)[0].pid is None and "sort: cgroup tree" in screen_text(demo_app)


async def test_only_changed_cells_are_updated_and_the_cursor_follows(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot)
        view = screen.query_one(ProcessTableView)
        pid = put_cursor_on(screen, "php-fpm: master")
        reads = screen.reads
        demo_host.tick(30.0)
        await until(pilot, lambda: screen.reads > reads, "a read")
        assert 0 < view.cells_updated < len(rows(screen)) * 9  # CPU% and RSS, not the rest
        await until(pilot, lambda: screen.reads > reads + 1, "another read")
        assert view.cells_updated == 0  # the frozen clock did not move: nothing changed
        assert view.cursor_item() is not None and view.cursor_item().pid == pid  # type: ignore[union-attr]
        await pilot.press("c")  # re-sorted: the cursor stays on its process
        assert view.cursor_item().pid == pid  # type: ignore[union-attr]


async def test_filter_like_the_dashboard(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot)
        await pilot.press("/", "n", "g", "i", "n", "x", "enter")  # one burst, as over SSH
        assert screen.needle == "nginx"
        assert {row.command.split()[0] for row in process_rows(screen)} == {"nginx:"}
        assert len(process_rows(screen)) == 5
        assert "filter: 'nginx' (5 shown)" in screen_text(demo_app)
        await pilot.press("escape")  # clears the filter first
        assert screen.needle == "" and demo_app.screen is screen
        assert len(process_rows(screen)) == 16
        await pilot.press("q")
        await until(pilot, lambda: isinstance(demo_app.screen, DashboardScreen), "closed")


async def test_signal_with_picker_and_confirmation(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_processes(pilot)
        pid = put_cursor_on(screen, "nginx: master")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, SignalPicker), "the picker")
        assert f"process {pid}" in screen_text(app)
        await pilot.press("enter")  # SIGTERM, the first
        await until(pilot, lambda: isinstance(app.screen, SignalConfirm), "the confirmation")
        text = screen_text(app)
        assert "Send SIGTERM to this process?" in text
        assert f"web: PID {pid}" in text and "nginx: master process" in text
        assert f"$ kill -s TERM {pid}" in text
        await pilot.press("y")
        await until(pilot, lambda: not any(r.pid == pid for r in rows(screen)), "it ended")
        titles = [n.title for n in notifications(app)]
        assert f"SIGTERM sent to {pid}" in titles
        assert not any("nginx" in row.command for row in rows(screen))  # workers too


async def test_a_cancelled_signal_sends_nothing(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot)
        pid = put_cursor_on(screen, "cron")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, SignalPicker), "the picker")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, SignalConfirm), "the confirmation")
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.screen is screen and any(r.pid == pid for r in rows(screen))
        assert pid in [p.pid for p in (await demo_host.processes("web")).processes()]


async def test_read_only_refuses_at_once_without_a_dialog(monkeypatch: pytest.MonkeyPatch) -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    calls: list[object] = []

    async def spy(*args: object) -> None:
        calls.append(args)

    monkeypatch.setattr(host, "signal_process", spy)
    app = NspawnApp(host, interval=0.25)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_processes(pilot)
        put_cursor_on(screen, "nginx: master")
        app.clear_notifications()
        await pilot.press("K")
        shown = notifications(app)
        assert len(shown) == 1 and shown[0].title == "Read-only"
        assert shown[0].message.startswith("send a signal to a process refused")
        assert "--read-only" in shown[0].message
        await pilot.pause(0.2)
        assert app.screen is screen and calls == []
        assert screen.check_action("signal", ()) is None  # shown disabled


async def test_a_vanished_machine_is_said_on_screen(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot, "dns")
        demo_host._set_state("dns", "stopped")
        await until(pilot, lambda: bool(screen.error), "the error")
        await pilot.pause()
        assert "dns is not running any more" in screen_text(app)
        assert rows(screen) == []
        await pilot.press("K")  # nothing under the cursor: no dialog, no crash
        await pilot.pause(0.1)
        assert app.screen is screen


async def test_a_process_that_ends_under_the_cursor_is_said(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.25)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_processes(pilot)
        pid = put_cursor_on(screen, "/usr/sbin/cron")
        await demo_host._do_signal_process("web", pid, int(signal.SIGKILL))  # from elsewhere
        await until(pilot, lambda: any(f"process {pid}" in n.message
                                       for n in notifications(app)), "the notice")  # fmt: skip


class HostileHost(DemoHost):
    async def processes(self, name: str) -> ProcessTable:
        evil = ProcessInfo(4242, 7, 1, "[b]root[/b]", "sleeping",
                           "[@click=app.quit]x[/] \x1b]0;pwned\x07 [/]", 1.0, 4096)  # fmt: skip
        group = ProcessGroup("/payload/[red]x[/red].service", (evil,), 1)
        return ProcessTable(name, "/machine.slice/[/]", (ProcessGroup("/", ()), group))


async def test_texts_from_the_container_are_never_markup() -> None:
    app = NspawnApp(HostileHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_processes(pilot)
        put_cursor_on(screen, "click")
        await pilot.pause()
        text = screen_text(app)
        assert "[@click=app.quit]x[/] ^[]0;pwned^G [/]" in text
        assert "[red]x[/red].service" in text and "[b]root" in text
        assert "\x1b" not in text


async def test_keys_in_one_burst_after_the_processes_filter_enter_go_to_the_table() -> None:
    """As on the dashboard: text, Enter and a key in one read."""
    from textual import events
    from textual.widgets import Input

    from nspawn_tui.app import NspawnApp
    from nspawn_tui.host.demo.host import DemoHost
    from nspawn_tui.screens.processes import ProcessesScreen
    from nspawn_tui.widgets.process_table import ProcessTableView

    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(app.screen, "polls", 0) >= 1:
                break
        await pilot.press("end", "P")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ProcessesScreen):
                break
        screen = app.screen
        assert isinstance(screen, ProcessesScreen)
        await pilot.press("slash")
        box = screen.query_one("#proc-filter", Input)
        assert screen.focused is box
        for character, key in (("s", "s"), ("h", "h"), ("\r", "enter"), ("j", "j")):
            app.post_message(events.Key(key, character))
        await keys_handled(pilot)
        assert box.value == "sh" and screen.needle == "sh"
        assert screen.focused is screen.query_one(ProcessTableView)

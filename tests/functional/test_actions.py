"""Actions from the dashboard on the (frozen) demo host: boot, power off, kill, shell, limits."""

from __future__ import annotations

import os
import select
import time
from typing import Any

import pytest
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import UNLIMITED
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.limits_editor import LimitsEditor, input_id
from nspawn_tui.terminal.relay import RelayResult
from nspawn_tui.widgets.machine_table import MachineTable


class Recorder:
    def __init__(self, app: NspawnApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[tuple[str, str, str]] = []
        original = app.notify

        def notify(
            message: str, *, title: str = "", severity: str = "information", **kw: Any
        ) -> None:
            self.messages.append((title, message, severity))
            original(message, title=title, severity=severity, **kw)  # type: ignore[arg-type]

        monkeypatch.setattr(app, "notify", notify)

    def text(self) -> str:
        return "\n".join(f"{t}: {m} [{s}]" for t, m, s in self.messages)


async def ready(pilot: Pilot[None], name: str) -> DashboardScreen:
    for _ in range(100):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            table = screen.query_one(MachineTable)
            assert table.move_cursor_to_name(name)
            return screen
    raise AssertionError("no poll")


async def until(pilot: Pilot[None], predicate: Any, what: str) -> None:
    for _ in range(100):
        await pilot.pause(0.03)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


def state(host: DemoHost, name: str) -> str:
    return host._get(name).state


async def test_boot_a_stopped_image(demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch) -> None:
    app = NspawnApp(demo_host, interval=0.2)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "debian-base")
        await pilot.press("b")
        await until(pilot, lambda: state(demo_host, "debian-base") == "running", "boot")
        await until(pilot, lambda: "machinectl start debian-base" in rec.text(), "notice")
        table = screen.query_one(MachineTable)
        await until(pilot, lambda: table.row("debian-base").cells[1] == "running", "row")


async def test_poweroff_asks_and_can_be_cancelled(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = NspawnApp(demo_host, interval=0.2)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "web")
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.names == ["web"] and app.screen.command == "machinectl poweroff web"
        await pilot.press("n")
        await pilot.pause(0.1)
        assert state(demo_host, "web") == "running"
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        await pilot.press("y")
        await until(pilot, lambda: state(demo_host, "web") == "stopped", "power off")
        assert "machinectl poweroff web" in rec.text()


async def test_several_selected_are_acted_on(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "arch-template")
        await pilot.press("space")
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.query_one(MachineTable).move_cursor_to_name("fedora-golden")
        await pilot.press("space", "b")
        await until(
            pilot,
            lambda: (
                state(demo_host, "arch-template") == state(demo_host, "fedora-golden") == "running"
            ),
            "both booted",
        )


async def test_kill_with_a_picked_signal(demo_host: DemoHost) -> None:
    app = NspawnApp(demo_host, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "mail")
        await pilot.press("K")
        await until(pilot, lambda: isinstance(app.screen, KillPicker), "picker")
        await pilot.press("down", "enter")  # SIGKILL, to the leader
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "confirmation")
        assert isinstance(app.screen, ConfirmScreen)
        assert "--signal=KILL" in app.screen.command
        await pilot.press("y")
        await until(pilot, lambda: state(demo_host, "mail") == "stopped", "killed")


async def test_read_only_refuses_in_the_host_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    """An action that gets past the dashboard's own refusal (here: run directly,
    not by its key) is still refused by the Host, and said so."""
    host = DemoHost(seed=1, frozen=True, read_only=True)
    app = NspawnApp(host, interval=0.2)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "debian-base")
        screen._action("start")  # the key "b" would be refused before this
        await until(pilot, lambda: "Boot failed" in rec.text(), "refusal")
        assert state(host, "debian-base") == "stopped"
        assert ("Boot failed", "boot refused: nspawn-tui runs with --read-only", "error") in (
            rec.messages
        )


async def test_shell_attach_runs_and_dashboard_returns(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, bytes] = {}

    def fake_runner(app: NspawnApp, fd: int, login: bool) -> RelayResult:
        os.write(fd, b"hostname\n")
        data = b""
        deadline = time.monotonic() + 10
        while b"\nweb" not in data.replace(b"\r", b"") and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.2)[0]:
                data += os.read(fd, 4096)
        seen["output"] = data
        return RelayResult("escaped", "escaped with ^]^]^]")

    app = NspawnApp(demo_host, interval=0.2, attach_runner=fake_runner)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "web")
        await pilot.press("space")
        await pilot.press("s")
        await until(pilot, lambda: "Back from web" in rec.text(), "return")
        assert b"web" in seen["output"]
        assert isinstance(app.screen, DashboardScreen)
        assert screen.query_one(MachineTable).selected == {"web"}  # state kept


async def test_edit_memory_limit_runtime(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = NspawnApp(demo_host, interval=0.2)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "web")
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, LimitsEditor), "editor")
        field = app.screen.query_one(f"#{input_id('MemoryMax')}")
        field.value = "12X"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, LimitsEditor)  # refused, nothing sent
        assert demo_host._get("web").memory_max != 300 * 1024**2
        field.value = "300M"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: demo_host._get("web").memory_max == 300 * 1024**2, "applied")
        await until(pilot, lambda: "set-property --runtime" in rec.text(), "command shown")
        table = screen.query_one(MachineTable)
        await until(pilot, lambda: "/300M" in table.row("web").cells[5], "limit shown")
        assert demo_host._get("web").memory_max != UNLIMITED


async def test_logs_of_selected_machines_merged(demo_host: DemoHost) -> None:
    from nspawn_tui.screens.logs import LogsScreen
    from nspawn_tui.widgets.log_view import LogView

    app = NspawnApp(demo_host, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "web")
        await pilot.press("space")
        screen.query_one(MachineTable).move_cursor_to_name("db")
        await pilot.press("space", "l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "log view")
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: {r.machine for r in view.store.records} == {"web", "db"},
                    "lines of both")  # fmt: skip
        stamps = [r.timestamp for r in view.store.records if r.timestamp is not None]
        assert stamps == sorted(stamps)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "back")
        assert screen.query_one(MachineTable).selected == {"web", "db"}


async def test_logs_app_mode_exits_on_escape(demo_host: DemoHost) -> None:
    from nspawn_tui.screens.logs import LogsScreen

    app = NspawnApp(demo_host, logs=["web", "mail", "debian-base"])
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "log view")
        await pilot.press("q")
        await pilot.pause(0.2)
    assert app.return_code == 0


async def test_scrollback_setting_bounds_the_log_view(demo_host: DemoHost) -> None:
    from nspawn_tui.screens.logs import LogsScreen
    from nspawn_tui.widgets.log_view import LogView

    app = NspawnApp(demo_host, logs=["web", "db"], scrollback=50)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "log view")
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: len(view.store.records) == 50, "a full scrollback")
        await pilot.pause(0.5)
        assert len(view.store.records) == 50  # more lines arrived; still 50 kept


async def test_every_key_on_every_kind_of_machine_never_crashes(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running, stopped image and VM rows; every action key; modals dismissed."""
    app = NspawnApp(demo_host, interval=0.2, attach_runner=lambda a, fd, login: RelayResult(
        "escaped", "escaped"))  # fmt: skip
    rec = Recorder(app, monkeypatch)
    keys = ["l", "s", "S", "L", "b", "p", "r", "t", "K", "a", "A", "e", "N", "c", "d", "o", "?"]
    async with app.run_test(size=(100, 30)) as pilot:
        for name in ("fedora-vm", "debian-base", "dns"):
            screen = await ready(pilot, name)
            for key in keys:
                assert isinstance(app.screen, DashboardScreen), f"{key} on {name}"
                screen.query_one(MachineTable).move_cursor_to_name(name)
                await pilot.press(key)
                await pilot.pause(0.05)
                while not isinstance(app.screen, DashboardScreen):
                    await pilot.press("escape")
                    await pilot.pause(0.05)
        assert app.is_running
    assert not any("Traceback" in message for _, message, _ in rec.messages)

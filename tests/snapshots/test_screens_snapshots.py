"""Snapshot tests of every other screen, with fixed data (no clocks, fixed size).

The log view is fed a fixed backlog from the demo journal (seeded, frozen
clock, UTC) and does not follow, so nothing on screen depends on time.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from nspawn_tui.app import styles_dir
from nspawn_tui.host.demo.journal import DemoJournal
from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, SourceStatus
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.limits_editor import LimitsEditor
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.record import RecordScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt

UTC = datetime.UTC
NAMES = ["web", "db", "mail"]
EPOCH = 1_768_467_600.0  # 2026-01-15 09:00 UTC, the demo host's epoch


def _journal() -> DemoJournal:
    return DemoJournal(seed=3, clock=lambda: EPOCH)


async def _fixed_source(options: LogOptions) -> AsyncIterator[LogEvent]:
    journal = _journal()
    for name in NAMES:
        yield SourceStatus(name, "joined", "demo journal")
        yield LogBatch(name, journal.backlog(name, 30, options))
        yield SourceStatus(name, "stopped", "end of the journal")


class Harness(App[None]):
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, make: Callable[[], Screen[object]]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        yield Static("background")

    def on_mount(self) -> None:
        self.push_screen(self.make())


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause(0.3)
    await pilot.pause()


def test_logs_screen(snap_compare: Callable[..., bool]) -> None:
    app = Harness(lambda: LogsScreen(_fixed_source, NAMES, tz=UTC))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settle)


def test_record_screen(snap_compare: Callable[..., bool]) -> None:
    record = _journal().backlog("web", 5)[-1]
    app = Harness(lambda: RecordScreen(record, tz=UTC))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)


def test_confirm_screen(snap_compare: Callable[..., bool]) -> None:
    app = Harness(lambda: ConfirmScreen("Power off", ["web", "db"], "machinectl poweroff web db"))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)


def test_kill_picker(snap_compare: Callable[..., bool]) -> None:
    app = Harness(lambda: KillPicker(["web"]))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)


def test_shell_prompt(snap_compare: Callable[..., bool]) -> None:
    app = Harness(lambda: ShellPrompt("web"))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)


def test_limits_editor(snap_compare: Callable[..., bool]) -> None:
    current = {"MemoryMax": "1G", "TasksMax": "512", "CPUWeight": "100"}
    usage = {"MemoryMax": "using 310M", "CPUQuota": "CPU 4.8 %", "TasksMax": "22 tasks"}
    app = Harness(lambda: LimitsEditor(["web"], current, usage))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settle)


def test_settings_editor(snap_compare: Callable[..., bool]) -> None:
    text = "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Network]\nVirtualEthernet=yes\n"
    path = Path("/etc/systemd/nspawn/web.nspawn")
    app = Harness(lambda: SettingsEditor("web", path, text))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)

"""What each screen must show, read from the drawn frame (a snapshot only proves
that nothing changed, not that the screen is right).

The dashboard's text is asserted in ``test_dashboard.py``, help's in
``test_help.py``; here are the others, with the data of the snapshot tests.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from screen_text import columns, screen_text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from nspawn_tui.app import styles_dir
from nspawn_tui.host.demo.journal import DemoJournal
from nspawn_tui.journal.sources import (
    PRIORITY_NAMES,
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceStatus,
    format_time,
)
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.limits_editor import LimitsEditor
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.record import RecordScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt
from nspawn_tui.units.limits import LIMIT_FIELDS
from nspawn_tui.units.names import KILL_SIGNALS

UTC = datetime.UTC
NAMES = ["web", "db", "mail"]
EPOCH = 1_768_467_600.0  # 2026-01-15 09:00 UTC


def journal() -> DemoJournal:
    return DemoJournal(seed=3, clock=lambda: EPOCH)


class Harness(App[None]):
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, make: Callable[[], Screen[object]]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        yield Static("background")

    def on_mount(self) -> None:
        self.push_screen(self.make())


async def shown(pilot: Pilot[None]) -> str:
    await pilot.pause(0.2)
    await pilot.pause()
    return screen_text(pilot.app)


async def test_logs_screen_shows_the_last_lines_and_the_sources() -> None:
    records: list[LogRecord] = []

    async def source(options: LogOptions) -> AsyncIterator[LogEvent]:
        for name in NAMES:
            batch = journal().backlog(name, 30, options)
            records.extend(batch)
            yield SourceStatus(name, "joined", "demo journal")
            yield LogBatch(name, batch)
            yield SourceStatus(name, "stopped", "end of the journal")

    app = Harness(lambda: LogsScreen(source, NAMES, tz=UTC))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        lines = (await shown(pilot)).splitlines()
        status = lines[-1]
        assert status.startswith("web, db, mail")
        assert "90 lines" in status and "db: stopped end of the journal" in status
        last = sorted(records, key=lambda r: (r.timestamp or 0, r.seq))[-len(lines) + 1 :]
        body = lines[:-1]
        for record, line in zip(last[-5:], body[-5:], strict=True):
            # time, machine, identifier[pid]: message (cut at the right edge)
            assert line.startswith(f"{format_time(record.timestamp, UTC)} {record.machine}")
            assert f"{record.identifier}[{record.pid}]: " in line
            assert record.message.splitlines()[0][:40] in line


async def test_record_screen_shows_every_field() -> None:
    record = journal().backlog("web", 5)[-1]
    app = Harness(lambda: RecordScreen(record, tz=UTC))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        text = await shown(pilot)
        assert "web: journal record" in text
        assert "fields shown by the log view" in text
        rows = {cells[0]: cells[1:] for cells in map(columns, text.splitlines()) if cells}
        for key, value in record.fields().items():
            assert key in rows, key
            if len(value) < 60:  # long ones fold onto the next line
                assert rows[key][0] == value, (key, rows[key])
        assert record.priority is not None  # explained: "6  (info)"
        assert rows["PRIORITY"][1] == f"({PRIORITY_NAMES[record.priority]})"


async def test_confirm_screen_names_the_action_machines_and_command() -> None:
    app = Harness(lambda: ConfirmScreen("Power off", ["web", "db"], "machinectl poweroff web db"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        text = await shown(pilot)
        assert "Power off 2 machines?" in text
        assert "• web" in text and "• db" in text
        assert "$ machinectl poweroff web db" in text
        assert "Power off (y)" in text and "Cancel (n)" in text


async def test_kill_picker_offers_every_signal_and_the_target() -> None:
    app = Harness(lambda: KillPicker(["web"]))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        text = await shown(pilot)
        assert "Send a signal to web" in text
        assert "the leader (PID 1 of the container)" in text
        assert "all processes of the machine" in text
        for name, number in KILL_SIGNALS:
            assert f"SIG{name} ({number})" in text, name


async def test_shell_prompt_asks_for_user_and_command() -> None:
    app = Harness(lambda: ShellPrompt("web"))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        text = await shown(pilot)
        assert "Shell in web" in text
        assert "User:" in text and "root" in text
        assert "Command (empty: the user's login shell):" in text
        assert "/bin/bash -l" in text  # the placeholder


async def test_limits_editor_shows_every_field_with_value_usage_and_help() -> None:
    current = {"MemoryMax": "1G", "TasksMax": "512", "CPUWeight": "100"}
    usage = {"MemoryMax": "using 310M", "CPUQuota": "CPU 4.8 %", "TasksMax": "22 tasks"}
    app = Harness(lambda: LimitsEditor(["web"], current, usage))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        lines = (await shown(pilot)).splitlines()
        text = "\n".join(lines)
        assert "Resource limits: web" in text
        for field in LIMIT_FIELDS:
            row = next((line for line in lines if f"│ {field.label}  " in line), None)
            assert row is not None, field.label
            value = current.get(field.name, "(empty: reset to default)")
            assert value in row, (field.label, row)
            assert usage.get(field.name, "") in row, (field.label, row)
            assert field.help[:50] in text, field.label
        assert "Apply runtime (Enter)" in text and "Apply persistent (ctrl+s)" in text
        assert "Cancel (Esc)" in text


async def test_settings_editor_shows_the_file_and_its_path() -> None:
    text = "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Network]\nVirtualEthernet=yes\n"
    path = Path("/etc/systemd/nspawn/web.nspawn")
    app = Harness(lambda: SettingsEditor("web", path, text))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        lines = (await shown(pilot)).splitlines()
        drawn = "\n".join(lines)
        assert "Settings of web: /etc/systemd/nspawn/web.nspawn" in drawn
        assert "Changes take effect at the next boot" in drawn
        for number, content in enumerate(text.splitlines(), start=1):  # numbered lines
            assert any(f" {number}  {content}".rstrip() in line for line in lines), number
        assert "Save (ctrl+s)" in drawn and "Cancel (Esc)" in drawn

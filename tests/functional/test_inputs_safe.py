"""The inputs, case by case: markup typed is text, bad input is refused inline, export is safe.

The fuzz (test_inputs_fuzz.py) throws random text at every field; these are
the known cases, each with what the user must see.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from pathlib import Path

import pytest
from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Static, TextArea

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost, MachineSpec
from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, LogRecord, parse_record
from nspawn_tui.safe import is_clean
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.export_prompt import ExportDone, ExportPrompt
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt, ShellRequest
from nspawn_tui.widgets.machine_table import MachineTable

#: a warning is a failure: Python prints it on stderr, the terminal the UI draws on
pytestmark = pytest.mark.filterwarnings("error")

ESC = "\x1b"


async def settle(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 100) -> None:
    for _ in range(tries):
        await pilot.pause()
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition not reached")


# ------------------------------------------------------------------ dashboard filter


class BracketHost(DemoHost):
    """The frozen demo host with two machines whose names read as markup."""

    def __init__(self) -> None:
        super().__init__(seed=1, machines=4, frozen=True)
        self._add_machine(MachineSpec("odd[/]name", "debian", "idle"))
        self._add_machine(MachineSpec("[bold]x", "debian", "idle"))


async def test_markup_typed_in_the_filter_is_text() -> None:
    """The issue: "[/]" in the name filter raised MarkupError and the app exited."""
    app = NspawnApp(BracketHost(), interval=10.0)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await settle(
            pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.polls > 0
        )
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one(MachineTable)
        await pilot.press("slash", "[", "/", "]")
        assert app.is_running and app.return_code is None
        assert table.name_filter == "[/]"
        assert table.visible_names == ["odd[/]name"]  # filtered by the literal text
        status = str(screen.query_one("#status-line", Static).render())
        assert "'[/]' (1 shown)" in status
        await pilot.press("enter")
        assert screen.focused is table
        for text in ("[@click=app.quit]", "[bold]", "[link=x]", f"{ESC}]0;title\x07"):
            await pilot.press("slash", "ctrl+u")
            screen.query_one("#filter", Input).insert_text_at_cursor(text)
            await pilot.press("enter")
            assert app.is_running and app.return_code is None
        assert table.name_filter == "^[]0;title^G"  # a control character is shown, not sent
        await pilot.press("slash", "ctrl+u", *"[bold]", "enter")
        assert table.visible_names == ["[bold]x"]


# ------------------------------------------------------------------ log search


def record(message: str | list[int], i: int = 0) -> LogRecord:
    line = json.dumps(
        {
            "MESSAGE": message,
            "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + i),
            "SYSLOG_IDENTIFIER": "app",
            "_SYSTEMD_UNIT": "app.service",
        }
    )
    parsed = parse_record(line, "web")
    assert parsed is not None
    return parsed


HOSTILE_BYTES = b"bad \xff\xfe and \x1b]0;pwned\x07 \xc2\x9b2J \xe2\x80\xae end"
RECORDS = [
    record("plain line", 1),
    record(f"title {ESC}]0;pwned\x07 [/] \u202egnp.exe", 2),
    record(list(HOSTILE_BYTES), 3),
    record("first\nsecond\twith a tab\r", 4),
]


class LogsApp(App[None]):
    def on_mount(self) -> None:
        async def source(options: LogOptions) -> AsyncIterator[LogEvent]:
            yield LogBatch("web", RECORDS, 0)

        self.push_screen(LogsScreen(source, ["web"], options=LogOptions(follow=False), tz=UTC))


async def logs_ready(pilot: Pilot[None]) -> LogsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, LogsScreen)
    await settle(pilot, lambda: len(screen.log_view.store) == len(RECORDS))
    return screen


async def test_bad_regex_is_refused_under_the_prompt() -> None:
    async with LogsApp().run_test(size=(100, 20), notifications=True) as pilot:
        screen = await logs_ready(pilot)
        prompt = screen.query_one("#log-prompt", Input)
        error = screen.query_one("#log-prompt-error", Static)
        await pilot.press("slash", *"plain", "enter")
        assert screen.search_text == "plain"
        for bad in ("re:(", "re:a{99999999999}", "re:" + "(" * 2000 + ")" * 2000):
            await pilot.press("slash", "ctrl+u")
            prompt.insert_text_at_cursor(bad)
            await pilot.press("enter")
            assert app_alive(pilot)
            assert prompt.has_class("-shown") and screen.focused is prompt  # still open
            assert error.has_class("-shown")
            shown = str(error.render())
            assert shown.startswith("bad regular expression") and "Escape keeps /plain" in shown
            assert screen.search_text == "plain"  # unchanged
            await pilot.press("escape")
            assert not prompt.has_class("-shown") and not error.has_class("-shown")
        # "[[" makes re warn (FutureWarning) on stderr, the terminal: not any more
        await pilot.press("slash", "ctrl+u", *"re:[[/]", "enter")
        assert screen.search_text == "re:[[/]"
        await pilot.press("slash", "ctrl+u", *"re:(", "enter", *"x)", "enter")  # fixed in place
        assert screen.search_text == "re:(x)" and not prompt.has_class("-shown")


def app_alive(pilot: Pilot[None]) -> bool:
    return pilot.app.is_running and pilot.app.return_code is None


async def test_pasted_control_characters_are_shown_not_sent() -> None:
    async with LogsApp().run_test(size=(100, 20)) as pilot:
        screen = await logs_ready(pilot)
        prompt = screen.query_one("#log-prompt", Input)
        await pilot.press("slash")
        prompt.value = f"{ESC}[2J\u202e\x9b\x00"
        assert prompt.value == "^[[2J\ufffd\ufffd^@"
        await pilot.press("ctrl+u")
        prompt.post_message(events.Paste(f"a{ESC}]52;c;eA==\x07b\u2066\nsecond line"))
        await pilot.pause()
        assert prompt.value == "a^[]52;c;eA==^Gb\ufffd"  # the first line, cleaned
        assert prompt.cursor_position == len(prompt.value)
        await pilot.press("enter")
        assert screen.search_text == prompt.value


# ------------------------------------------------------------------ export


class ExportApp(App[None]):
    def __init__(self, path: str, records: list[LogRecord] = RECORDS) -> None:
        super().__init__()
        self.path = path
        self.records = records
        self.results: list[ExportDone | None] = []

    def on_mount(self) -> None:
        self.push_screen(ExportPrompt(self.records, self.path, UTC), self.results.append)


def said(app: App[None]) -> str:
    dialog = app.screen
    assert isinstance(dialog, ExportPrompt)
    return str(dialog.query_one("#export-message", Static).render())


async def export(pilot: Pilot[None], path: str) -> None:
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportPrompt)
    dialog.query_one("#export-path", Input).value = path
    await pilot.press("enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_default_export_is_clean_text(tmp_path: Path) -> None:
    target = tmp_path / "view.log"
    app = ExportApp(str(target))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app.results))
    done = app.results[0]
    assert done == ExportDone(str(target), len(RECORDS), raw=False)
    data = target.read_bytes()
    text = data.decode("utf-8")  # valid UTF-8: invalid bytes became U+FFFD
    assert is_clean(text, lines=True)
    assert ESC.encode() not in data and b"\xc2\x9b" not in data and b"\x07" not in data
    assert "title ^[]0;pwned^G [/] \ufffdgnp.exe" in text  # visible, inert
    assert "bad \ufffd\ufffd and ^[]0;pwned^G" in text
    assert re.search(r"\n    second +with a tab\^M\n", text)  # indented, tab expanded


async def test_raw_export_gives_the_bytes_back(tmp_path: Path) -> None:
    target = tmp_path / "raw.log"
    app = ExportApp(str(target))
    async with app.run_test(size=(100, 20)) as pilot:
        dialog = app.screen
        assert isinstance(dialog, ExportPrompt)
        dialog.query_one("#export-raw", Checkbox).value = True  # asked for explicitly
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app.results))
    done = app.results[0]
    assert done is not None and done.raw
    data = target.read_bytes()
    assert HOSTILE_BYTES in data  # the message's bytes, as the container wrote them
    assert f"title {ESC}]0;pwned\x07 [/] \u202egnp.exe".encode() in data


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("", "give a file name"),
        ("   ", "give a file name"),
        ("{tmp}", "that is a directory"),
        ("{tmp}/", "that is a directory"),
        ("{tmp}/missing/x.log", "no such directory: {tmp}/missing"),
        ("{tmp}/file.txt/x.log", "not a directory: {tmp}/file.txt"),
        ("{tmp}/" + "n" * 300, "longer than 255 bytes"),
        ("{tmp}/" + "d/" * 2100 + "x", "path too long"),
        ("/sys/kernel/nspawn-tui-x.log", "Permission denied"),
        ("/dev/null", "not a regular file"),
    ],
)
async def test_bad_paths_are_refused_inline(tmp_path: Path, path: str, expected: str) -> None:
    (tmp_path / "file.txt").write_text("x")
    path, expected = path.format(tmp=tmp_path), expected.format(tmp=tmp_path)
    if path.startswith("/sys/") and not os.path.isdir("/sys/kernel"):
        pytest.skip("no /sys/kernel here")
    app = ExportApp(str(tmp_path / "default.log"))
    async with app.run_test(size=(100, 20)) as pilot:
        await export(pilot, path)
        assert app_alive(pilot)
        assert isinstance(app.screen, ExportPrompt)  # still open, to fix the path
        message = said(app)
        assert message.startswith("Not written: ") and expected in message
        assert not app.results
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


async def test_existing_file_is_replaced_only_when_asked_twice(tmp_path: Path) -> None:
    target = tmp_path / "old.log"
    target.write_text("keep me\n")
    app = ExportApp(str(target))
    async with app.run_test(size=(100, 20)) as pilot:
        await export(pilot, str(target))
        assert "exists: Enter again replaces it" in said(app)
        assert target.read_text() == "keep me\n"
        await export(pilot, str(target) + ".x")  # another name: written at once
        await settle(pilot, lambda: bool(app.results))
    assert app.results == [ExportDone(str(target) + ".x", len(RECORDS), raw=False)]
    assert target.read_text() == "keep me\n"

    app = ExportApp(str(target))
    async with app.run_test(size=(100, 20)) as pilot:
        await export(pilot, str(target))
        assert "Enter again" in said(app)
        dialog = app.screen
        assert isinstance(dialog, ExportPrompt)
        dialog.query_one("#export-raw", Checkbox).value = True  # a change: asked again
        await pilot.pause()
        assert said(app) == ""
        await export(pilot, str(target))
        assert "Enter again" in said(app) and target.read_text() == "keep me\n"
        await pilot.press("enter")
        await settle(pilot, lambda: bool(app.results))
    assert app.results == [ExportDone(str(target), len(RECORDS), raw=True)]
    assert b"keep me" not in target.read_bytes()


async def test_export_from_the_log_view(tmp_path: Path) -> None:
    target = tmp_path / "from-view.log"
    async with LogsApp().run_test(size=(100, 20), notifications=True) as pilot:
        screen = await logs_ready(pilot)
        await pilot.press("w")
        assert isinstance(pilot.app.screen, ExportPrompt)
        await export(pilot, str(target))
        await settle(pilot, lambda: pilot.app.screen is screen)
        assert screen.message == f"wrote {len(RECORDS)} lines to {target}"
        await pilot.press("w", "escape")  # cancelled: nothing written, nothing said
        assert pilot.app.screen is screen and screen.message.startswith("wrote")
    assert is_clean(target.read_text(), lines=True)


# ------------------------------------------------------------------ dialogs


class DialogApp(App[None]):
    def __init__(self, dialog: Screen[object]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


async def test_shell_prompt_refuses_a_bad_user_inline() -> None:
    app = DialogApp(ShellPrompt("web[/]"))
    async with app.run_test(size=(100, 20)) as pilot:
        prompt = app.screen
        user = prompt.query_one("#shell-user", Input)
        error = prompt.query_one("#shell-error", Static)
        for bad, why in (("a b", "no spaces"), ("..", "not a user name"), ("x" * 300, "at most")):
            user.value = bad
            await pilot.press("enter")
            assert app.screen is prompt and why in str(error.render())
        user.value = f"root{ESC}\x00"
        assert user.value == "root^[^@"  # never a NUL or an ESC on the bus
        user.value = "root"
        prompt.query_one("#shell-command", Input).value = "/bin/sh -c '[/] $(x)'"
        await pilot.press("enter")
    assert app.results == [ShellRequest("root", ("/bin/sh", "-c", "[/] $(x)"))]


async def test_settings_file_with_control_characters_is_read_only() -> None:
    text = f"[Exec]\nBoot=yes\n# {ESC}]0;pwned\x07 \u202e\x00\n"
    app = DialogApp(SettingsEditor("web", Path("/var/lib/machines/web.nspawn"), text))
    async with app.run_test(size=(100, 24)) as pilot:
        editor = app.screen
        area = editor.query_one(TextArea)
        assert area.read_only
        assert area.text == "[Exec]\nBoot=yes\n# ^[]0;pwned^G \ufffd^@\n"
        errors = editor.query_one("#settings-errors", Static)
        assert "Read only" in str(errors.render())
        await pilot.press("ctrl+s")
        assert app.screen is editor and str(errors.render()).startswith("Not saved. Read only")
        await pilot.press("escape")
    assert app.results == [None]  # never written back, cleaned or not


async def test_settings_editor_cleans_what_is_pasted() -> None:
    app = DialogApp(SettingsEditor("web", Path("/etc/systemd/nspawn/web.nspawn"), "[Exec]\n"))
    async with app.run_test(size=(100, 24)) as pilot:
        area = app.screen.query_one(TextArea)
        area.move_cursor(area.document.end)
        area.insert(f"# note {ESC}[2J\u202e\tx\r\nBoot=yes\n")
        assert area.text == "[Exec]\n# note ^[[2J\ufffd\tx\nBoot=yes\n"
        await pilot.press("ctrl+s")
    assert app.results == ["[Exec]\n# note ^[[2J\ufffd\tx\nBoot=yes\n"]

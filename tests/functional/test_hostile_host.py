"""Every screen and key of the app on a hostile host: nothing raises, nothing unsafe is drawn.

The host (``tests/hostile.py``) puts escape sequences, C1 controls, bidi
overrides, zero-width, combining and wide characters, undecodable bytes,
markup and 10,000-character strings in every field a container controls.
After every key, the whole frame (screens below a modal and toasts
included) is checked segment by segment (``tests/frame_check.py``): no
control or format character, no hyperlink or clickable quit, every line as
wide as the screen.  Problems are collected for the whole walk and reported
together, by screen and key, so one run names every leak.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from frame_check import Problem, forbidden_chars, frame_problems, segment_problems
from hostile import (
    ALL_NAMES,
    MIX,
    NAME_FAIL,
    NAME_LONG,
    NAME_MARKUP,
    NAME_MIX,
    NAME_PLAIN,
    NAME_STOPPED,
    NAME_VM,
    NO_FETCH,
    VALID_SETTINGS,
    HostileHost,
    relay_result,
)
from rich.segment import Segment
from rich.text import Text
from screen_text import screen_text
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static, TextArea
from textual.widgets._toast import Toast

from nspawn_tui.app import NspawnApp
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.limits_editor import LimitsEditor
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.screens.record import RecordScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt
from nspawn_tui.widgets.machine_table import MachineTable

SIZES = [(120, 40), (80, 24)]


class Walk:
    """Presses keys, checks the frame after each, and collects what is wrong."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.app = pilot.app
        self.problems: dict[str, list[Problem]] = {}
        self.steps = 0
        self.screens: set[str] = set()

    async def settle(self) -> None:
        await self.pilot.pause()
        await self.pilot.pause(0.02)

    async def check(self, step: str) -> None:
        await self.settle()
        self.steps += 1
        screen = type(self.app.screen).__name__
        self.screens.add(screen)
        found = frame_problems(self.app)
        if found:
            self.problems.setdefault(f"{screen}: {step}", found)

    async def press(self, *keys: str) -> None:
        for key in keys:
            await self.pilot.press(key)
            await self.check(f"after {key!r}")

    async def type(self, text: str) -> None:
        """Type ``text`` (a user's own, harmless) without checking after each character."""
        await self.pilot.press(*text)
        await self.check(f"after typing {text!r}")

    def toasts(self) -> list[str]:
        """The text of the notifications on screen (to know hostile text reached them)."""
        return [str(toast.render()) for toast in self.app.screen.query(Toast)]

    @property
    def dashboard(self) -> DashboardScreen:
        screen = self.app.screen_stack[1] if len(self.app.screen_stack) > 1 else self.app.screen
        assert isinstance(screen, DashboardScreen)
        return screen

    @property
    def table(self) -> MachineTable:
        return self.dashboard.query_one(MachineTable)

    async def ready(self) -> None:
        for _ in range(200):
            await self.pilot.pause(0.02)
            screen = self.app.screen
            if isinstance(screen, DashboardScreen) and screen.polls >= 1:
                await self.check("first poll")
                return
        raise AssertionError("the dashboard never polled the host")

    async def cursor_to(self, name: str) -> None:
        assert self.table.move_cursor_to_name(name), f"no row {name!r}"
        await self.check(f"cursor on {name[:12]!r}")

    async def deselect_all(self) -> None:
        for name in list(self.table.selected):
            assert self.table.move_cursor_to_name(name)
            await self.press("space")
        assert not self.table.selected

    async def select(self, *names: str) -> None:
        await self.deselect_all()
        for name in names:
            assert self.table.move_cursor_to_name(name), f"no row {name!r}"
            await self.press("space")
        assert set(self.table.selected) == set(names)

    async def until(self, what: str, predicate: object, tries: int = 200) -> None:
        for _ in range(tries):
            await self.pilot.pause(0.02)
            if callable(predicate) and predicate():
                return
        raise AssertionError(f"timed out waiting for {what}")

    def assert_clean(self) -> None:
        """Fail naming every step whose frame was unsafe, grouped by widget."""
        if not self.problems:
            return
        by_widget: dict[str, tuple[str, Problem]] = {}
        for step, problems in self.problems.items():
            for problem in problems:
                key = f"{problem.widget}: {problem.what.split(' in ')[0].split(' on ')[0]}"
                by_widget.setdefault(key, (step, problem))
        lines = [f"{len(self.problems)} of {self.steps} frames are unsafe; first of each kind:"]
        for _key, (step, problem) in sorted(by_widget.items()):
            lines.append(f"  [{step}] {problem}")
        raise AssertionError("\n".join(lines))


def hostile_app(host: HostileHost, logs: list[str] | None = None) -> NspawnApp:
    app = NspawnApp(host, interval=0.25, attach_runner=relay_result, logs=logs)
    app.animation_level = "none"  # scrolling at once: the walk checks the final frames
    return app


# ------------------------------------------------------------------ dashboard


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_dashboard_keys_and_detail_panel(size: tuple[int, int]) -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=size, notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        assert set(walk.table.visible_names) == set(ALL_NAMES)
        # every machine under the cursor: its row highlighted, its details in the panel
        for name in ALL_NAMES:
            await walk.cursor_to(name)
            screen = walk.dashboard
            await walk.until(
                "details", lambda n=name, s=screen: s._details and s._details.machine.name == n
            )
            if screen.snapshot is not None and name in screen.snapshot.samples:  # running
                await walk.until(
                    "network", lambda n=name, s=screen: s._network and s._network[0] == n
                )
                mode = screen._network[1].mode  # type: ignore[index]
                assert mode == "host" or "Links:" in screen._panel._last_text, mode
            await walk.check(f"details of {name[:12]!r}")
        await walk.press("home", "down", "down", "pagedown", "pageup", "end", "up", "home")
        await walk.press(*["o"] * 9, "O", "O")
        await walk.press("c", "c", "plus", "plus", "minus", "equals_sign", "minus")
        await walk.press("d", "d")
        await walk.press("space", "down", "space", "space")
        # the filter
        await walk.press("slash")
        await walk.type("ct")
        await walk.press("enter", "down", "slash", "backspace", "backspace", "escape")
        await walk.press("slash")
        await walk.type("[/]")
        await walk.press("enter", "escape")
        # help, closed with each of its keys
        await walk.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await walk.press("escape", "question_mark", "q", "question_mark", "question_mark")
        assert isinstance(app.screen, DashboardScreen)
        # the host goes away with a hostile reason, and comes back
        host.fail_next_snapshot("bus lost: " + MIX, count=2)
        await walk.until("disconnection", lambda: not walk.dashboard.snapshot.connected)  # type: ignore[union-attr]
        await walk.check("disconnected")
        await walk.until("reconnection", lambda: walk.dashboard.snapshot.connected)  # type: ignore[union-attr]
        await walk.check("reconnected")
        walk.assert_clean()
        await pilot.press("q")
    assert app.return_code == 0


# ------------------------------------------------------------------ processes and images


async def test_processes_and_images_screens() -> None:
    """Hostile commands, users, cgroups, image names, types and paths: every frame clean."""
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        running = [n for n in ALL_NAMES if n in (walk.dashboard.snapshot.samples or {})]  # type: ignore[union-attr]
        assert len(running) >= 3, running
        for name in running:
            await walk.cursor_to(name)
            await walk.press("P")
            assert isinstance(app.screen, ProcessesScreen), name
            await walk.until("processes", lambda s=app.screen: s.reads >= 1)  # type: ignore[attr-defined]
            await walk.check(f"processes of {name[:12]!r}")
            if name != NAME_PLAIN:  # the hostile texts are there, cleaned
                assert "user:" in screen_text(app), name
            await walk.press("c", "m", "t", "down", "down", "end", "home")
            await walk.press("slash")
            await walk.type("[b]")
            await walk.press("enter", "escape", "K", "escape")
            await walk.press("escape")
            assert isinstance(app.screen, DashboardScreen)
        await walk.press("i")
        assert isinstance(app.screen, ImagesScreen)
        await walk.until("images", lambda s=app.screen: s.refreshes >= 1)  # type: ignore[attr-defined]
        await walk.check("images")
        assert "^[]0;PWNED^G" in screen_text(app)  # a hostile name, in caret notation
        await walk.press("down", "down", "end", "home", "d", "escape", "n", "escape", "l")
        await walk.type("nonsense")
        await walk.press("enter", "escape", "escape")
        walk.assert_clean()
        await pilot.press("q")
    assert app.return_code == 0


# ------------------------------------------------------------------ actions


async def test_lifecycle_actions_confirm_and_kill_picker() -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        await walk.select(NAME_MIX, NAME_FAIL, NAME_MARKUP, NAME_LONG)
        await walk.press("a")
        assert any("PWNED" in t for t in walk.toasts()), walk.toasts()  # the hostile error
        await walk.press("A", "r")
        await walk.press("p")
        assert isinstance(app.screen, ConfirmScreen)
        await walk.press("n", "p", "escape", "t", "n")
        await walk.press("K")
        assert isinstance(app.screen, KillPicker)
        await walk.press("a", "a", "down", "escape", "K", "enter")
        if isinstance(app.screen, ConfirmScreen):  # a signal that asks first
            await walk.press("n")
        await walk.press("p")
        assert isinstance(app.screen, ConfirmScreen)
        await walk.press("y")
        await walk.until("power off", lambda: host._get(NAME_MIX).state == "stopped")
        await walk.check("powered off")
        await walk.press("b", "b")
        await walk.until("boot", lambda: host._get(NAME_MIX).state == "running")
        await walk.check("booted")
        await walk.press("K", "down", "enter")
        if isinstance(app.screen, ConfirmScreen):
            await walk.press("y")
        await walk.press("t")
        if isinstance(app.screen, ConfirmScreen):
            await walk.press("y")
        # the stopped image and the VM, alone
        for name in (NAME_STOPPED, NAME_VM):
            await walk.deselect_all()
            await walk.cursor_to(name)
            await walk.press("b", "a", "A", "r", "p")
            if isinstance(app.screen, ConfirmScreen):
                await walk.press("y")
        await walk.pilot.pause(0.5)  # every pending action settles or times out
        await walk.check("settled")
        walk.assert_clean()


async def test_shell_login_and_shell_prompt() -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        for name in (NAME_MIX, NAME_LONG, NAME_FAIL, NAME_STOPPED):
            await walk.cursor_to(name)
            await walk.press("s")
            assert any("PWNED" in t for t in walk.toasts()), walk.toasts()
            await walk.press("L")
            await walk.press("S")
            if name in (NAME_STOPPED,):
                continue
            assert isinstance(app.screen, ShellPrompt)
            await walk.press("escape", "S", "enter")  # root, no command: a shell
            await walk.press("S")
            await walk.type("\t")
            await walk.type("ls")
            await walk.press("enter")  # refused inline: not an absolute path
            await walk.press("escape")
        assert host.opened_fds, "no shell was opened"
        walk.assert_clean()


# ------------------------------------------------------------------ editors


async def test_limits_editor() -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        # hostile current values (MIX, LONG): shown, and whatever the editor does with them
        for name in (NAME_MIX, NAME_LONG):
            await walk.deselect_all()
            await walk.cursor_to(name)
            await walk.press("e")
            assert isinstance(app.screen, LimitsEditor)
            await walk.press("enter", "ctrl+u")
            await walk.type("bogus")
            await walk.press("ctrl+s", "tab", "tab", "shift+tab", "shift+tab", "ctrl+u")
            await walk.type("50%")
            await walk.press("enter")
            if isinstance(app.screen, LimitsEditor):
                await walk.press("escape")
        # plain values on several hostile machines: applied, refused with a hostile error
        await walk.select(NAME_FAIL, NAME_MARKUP, NAME_VM, NAME_PLAIN)
        await walk.press("e")
        assert isinstance(app.screen, LimitsEditor)
        await walk.press("enter")  # nothing changed
        await walk.press("ctrl+u")
        await walk.type("bogus")
        await walk.press("ctrl+s")  # refused inline
        assert isinstance(app.screen, LimitsEditor)
        await walk.press("ctrl+u")
        await walk.type("50%")
        await walk.press("enter")  # runtime
        assert not isinstance(app.screen, LimitsEditor)
        await walk.press("e", "escape", "e", "ctrl+u")
        await walk.type("20%")
        await walk.press("ctrl+s")  # persistent
        assert not isinstance(app.screen, LimitsEditor)
        await walk.check("applied")
        walk.assert_clean()


async def test_settings_editor() -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        for name in (NAME_MIX, NAME_LONG, NAME_STOPPED):  # hostile files: shown, never saved
            await walk.cursor_to(name)
            await walk.press("N")
            assert isinstance(app.screen, SettingsEditor)
            await walk.press("ctrl+s")
            assert isinstance(app.screen, SettingsEditor)
            await walk.press("down", "end", "escape")
        for name in (NAME_FAIL, NAME_MARKUP, NAME_VM):  # written, or refused with hostile text
            await walk.cursor_to(name)
            await walk.press("N")
            assert isinstance(app.screen, SettingsEditor)
            await walk.press("escape", "N")
            app.screen.query_one(TextArea).load_text(
                VALID_SETTINGS + "Evil[/]Key=[@click=app.quit]\n"
            )
            await walk.check("a problem in the text")
            await walk.press("ctrl+s")  # the unknown key is listed, not saved
            assert isinstance(app.screen, SettingsEditor)
            app.screen.query_one(TextArea).load_text(VALID_SETTINGS)
            await walk.check("valid text")
            await walk.press("ctrl+s")
            assert not isinstance(app.screen, SettingsEditor)
            await walk.check(f"saved {name[:12]!r}")
        walk.assert_clean()


# ------------------------------------------------------------------ journals


def _logs(walk: Walk) -> LogsScreen:
    screen = walk.app.screen
    assert isinstance(screen, LogsScreen)
    return screen


async def _records(walk: Walk, count: int = 13) -> None:
    """Open the record view of ``count`` records, closing it with each of its keys.

    The first 13 records of a machine differ in every field (message, unit,
    identifier, PID, no timestamp, no priority, no cursor, a failing fetch).
    """
    screen = _logs(walk)
    view = screen.log_view
    await walk.until("records", lambda: len(view.store) > 40)
    await walk.check("records shown")
    closers = ("escape", "q", "enter")
    for i in range(min(len(view.store), count)):
        view.move_cursor(i)
        await walk.check(f"cursor on record {i}")
        await walk.press("enter")
        record = walk.app.screen
        assert isinstance(record, RecordScreen)
        if record.fetch is not None and record.record.cursor:
            await walk.until(
                "the full record",
                lambda r=record: "loading" not in str(r.query_one("#record-note").render()),
            )
            await walk.check(f"record {i} fetched ({NO_FETCH in record.record.cursor=})")
        if i in (3, 4):
            await walk.press("pagedown", "end")
        await walk.press(closers[i % 3])
        assert walk.app.screen is screen


async def test_merged_logs_record_view_and_every_key(tmp_path: Path) -> None:
    host = HostileHost()
    app = hostile_app(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.ready()
        await walk.select(NAME_MIX, NAME_LONG, NAME_MARKUP)
        await walk.press("l")
        screen = _logs(walk)
        await _records(walk)
        await walk.press("up", "k", "down", "j", "pageup", "pagedown", "home", "g")
        await walk.press("end", "up", "G", "up", "F")
        await walk.press("p", "p", "p", "P", "P", "P")
        await _records(walk, 2)
        await walk.press("b", "b", "b")
        await _records(walk, 2)
        # search, and n/N through the matches
        await walk.press("n", "N", "slash")
        await walk.type("evil")
        await walk.press("enter", "n", "n", "N", "slash", "ctrl+u")
        await walk.type("re:[")
        await walk.press("enter", "n", "slash", "escape")
        # the unit prompt lists the units of the view
        await walk.press("u")
        await walk.type("plain.service")
        await walk.press("enter")
        await walk.check("unit filter")
        await walk.press("u", "ctrl+u", "enter")
        # export
        target = tmp_path / "export.log"
        await walk.press("w", "ctrl+u")
        await walk.type(str(target))
        await walk.press("enter")
        await walk.until("the export", lambda: target.exists() and "wrote" in screen.message)
        await walk.check("exported")
        await walk.press("w", "escape", "escape")
        assert isinstance(app.screen, DashboardScreen)
        # one stopped machine alone (its journal from the image), closed with q
        await walk.deselect_all()
        await walk.cursor_to(NAME_STOPPED)
        await walk.press("l")
        await _records(walk, 2)
        await walk.press("q")
        assert isinstance(app.screen, DashboardScreen)
        # the exported file is read in a terminal too (less, cat): as inert as the screen
        exported = target.read_text(encoding="utf-8")
        bad = sorted({f"U+{ord(c):04X}" for c in forbidden_chars(exported.replace("\n", ""))})
        if bad:
            problem = Problem(0, 0, str(target), f"control/format characters {', '.join(bad)}")
            walk.problems["export file"] = [problem]
        walk.assert_clean()


async def test_logs_command_view(tmp_path: Path) -> None:
    """``nspawn-tui logs NAME...``: the journal view alone."""
    host = HostileHost()
    app = hostile_app(host, logs=[NAME_MIX, NAME_FAIL, NAME_STOPPED])
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        walk = Walk(pilot)
        await walk.until("the journal view", lambda: isinstance(app.screen, LogsScreen))
        await _records(walk)
        await walk.press("u")
        assert isinstance(app.screen.focused, Input)
        await walk.press("escape", "escape")
        walk.assert_clean()


def test_the_hostile_strings_are_hostile() -> None:
    """The fixture itself: every kind of attack is in MIX, and the checker sees them."""
    categories = {unicodedata.category(c) for c in MIX}
    assert {"Cc", "Cf", "Cs", "Mn", "Zl", "Zp"} <= categories
    assert "\x1b]0;" in MIX and "\x1b]52;" in MIX and "\x1b]8;;" in MIX and "\x9b" in MIX
    assert "[@click=app.quit]" in MIX and "[/]" in MIX
    assert any(unicodedata.east_asian_width(c) == "W" for c in MIX)
    assert set(forbidden_chars(MIX)) >= {"\x1b", "\x9b", "\u202e", "\u200b", "\udcff"}


async def test_the_checker_sees_every_kind_of_leak() -> None:
    """frame_check itself: raw controls, bidi, markup links and clicks are all reported."""

    class Leaky(App[None]):
        def compose(self) -> ComposeResult:
            yield Static(Text("title " + MIX[:40]), id="raw")
            yield Static("[@click=app.quit]quit[/] [link=x]link[/link]", id="markup")
            yield Label("\u202eevil\x9b2J", id="bidi")
            yield Static("plain text", id="plain")

    app = Leaky()
    async with app.run_test(size=(60, 8)) as pilot:
        await pilot.pause()
        problems = frame_problems(app)
    text = "\n".join(str(p) for p in problems)
    assert "Static#raw" in text and "U+001B" in text, text
    assert "a clickable action 'app.quit'" in text and "a hyperlink 'x'" in text, text
    assert "Label#bidi" in text and "U+009B" in text and "U+202E" in text, text
    assert "Static#plain" not in text, text
    line = [Segment("x" * 10)]
    assert segment_problems(line, 10) == []
    assert segment_problems(line, 12) == [(0, "the line is 10 cells wide, not 12")]

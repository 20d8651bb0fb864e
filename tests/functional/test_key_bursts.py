"""Keys that arrive in one burst (one read over SSH) take effect in the order typed.

The keys are posted to the app the way its driver does, all before the app
handles the first (``burst``); Pilot's ``press`` waits after each key and
would hide the fault.  Textual runs a widget's bindings only after the key
has bubbled up to the app, and hands each key to the widget focused when
the app takes it: in a burst, ``abc`` Backspace ``d`` left ``abc``,
``ct-00`` Ctrl+U ``build`` an empty filter, ``/boot`` on the journal view
cycled the boot instead of searching, and ``l/sshd`` on the dashboard opened
the dashboard's filter, not the journal's search
(:mod:`nspawn_tui.widgets.key_queue`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC

import pytest
from pilot_waits import dashboard_polled, keys_handled
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import Input, Static

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.demo.journal import DemoJournal
from nspawn_tui.journal.sources import LogEvent, LogOptions
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.detail_panel import DetailPanel
from nspawn_tui.widgets.key_queue import KeyQueue, QueuedKey
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text_area import SafeTextArea

#: named keys and the character a terminal sends for them
NAMED = {
    "backspace": "\x08",
    "ctrl+u": "\x15",
    "enter": "\r",
    "escape": "\x1b",
    "tab": "\t",
    "left": None,
}


def keys(*parts: str) -> list[events.Key]:
    """Key events for ``parts``: a named key (``NAMED``) or text, one key per character."""
    found = []
    for part in parts:
        if part in NAMED:
            found.append(events.Key(part, NAMED[part]))
        else:
            found.extend(events.Key(_character_to_key(char), char) for char in part)
    return found


async def pasted(pilot: Pilot[None], *parts: str | events.Paste) -> None:
    """As :func:`burst`, with pastes (the terminal's bracketed paste) among the keys."""
    for part in parts:
        for event in [part] if isinstance(part, events.Paste) else keys(part):
            pilot.app.post_message(event)
    await keys_handled(pilot)


async def burst(pilot: Pilot[None], *parts: str) -> None:
    """Post every key before the app handles the first, as one read from the terminal."""
    for key in keys(*parts):
        pilot.app.post_message(key)
    await keys_handled(pilot)


class KeysInOrder(App[None]):
    """Keys handed out as NspawnApp hands them out."""

    def __init__(self) -> None:
        super().__init__()
        self.key_queue = KeyQueue(self)

    async def on_event(self, event: events.Event) -> None:
        await self.key_queue.on_event(event, super().on_event)


class Inputs(KeysInOrder):
    def compose(self) -> ComposeResult:
        yield SafeInput(id="line")
        yield SafeTextArea(id="area")


@pytest.mark.parametrize(
    ("focused", "typed", "line", "area"),
    [
        ("#line", ("abc", "backspace", "d"), "abd", ""),
        ("#line", ("ct-00", "ctrl+u", "build"), "build", ""),
        ("#line", ("abc", "left", "left", "X"), "aXbc", ""),
        ("#line", ("abc", "tab", "xyz"), "abc", "xyz"),  # after Tab: the next field's
        ("#area", ("abc", "backspace", "d", "left", "left", "X"), "", "aXbd"),
    ],
)
async def test_the_keys_of_an_input_keep_their_place(
    focused: str, typed: tuple[str, ...], line: str, area: str
) -> None:
    app = Inputs()
    async with app.run_test() as pilot:
        app.query_one(focused).focus()
        await pilot.pause()
        await burst(pilot, *typed)
        assert app.query_one("#line", SafeInput).value == line
        assert app.query_one("#area", SafeTextArea).text == area


async def test_a_paste_keeps_its_place_among_the_keys() -> None:
    app = Inputs()
    async with app.run_test() as pilot:
        app.query_one("#line").focus()
        await pilot.pause()
        await pasted(pilot, "abc", events.Paste("XY"), "d", "tab", events.Paste("zz"), "!")
        assert app.query_one("#line", SafeInput).value == "abcXYd"
        assert app.query_one("#area", SafeTextArea).text == "zz!"
        await pasted(pilot, events.Paste("alone"))  # nothing before it: at once, as Textual's
        assert app.query_one("#area", SafeTextArea).text == "zz!alone"
        assert app.key_queue.idle


async def test_a_paste_after_slash_goes_to_the_filter_it_opens() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        dashboard = await dashboard_polled(pilot)
        await pasted(pilot, "/", events.Paste("build"), "-1")
        assert dashboard.query_one("#filter", Input).value == "build-1"
        await pasted(pilot, "escape", "l", "/", events.Paste("sshd"))  # behind a new screen
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        assert screen.query_one("#log-prompt", Input).value == "sshd"


async def test_the_keys_after_slash_go_to_the_dashboards_filter() -> None:
    host = DemoHost(seed=2, machines=20)
    app = NspawnApp(host, interval=5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await dashboard_polled(pilot)
        panel = screen.query_one(DetailPanel)
        shown, mode = panel.display, screen._cpu_mode_text()
        # c: CPU mode, t: terminate, d: detail, b: boot, l: logs, ctrl+u: half a page up
        await burst(pilot, "/", "ct-00", "ctrl+u", "build")
        box = screen.query_one("#filter", Input)
        assert box.value == "build"
        assert app.screen is screen  # no dialog, no journal view
        assert panel.display == shown and screen._cpu_mode_text() == mode
        await burst(pilot, "enter", "d")  # Enter hands the keys after it to the table
        assert box.value == "build" and screen.focused is not box
        assert panel.display != shown
        await burst(pilot, "/", "escape", "d")
        assert box.value == "" and not box.display
        assert panel.display == shown


class Journal(KeysInOrder):
    def __init__(self) -> None:
        super().__init__()
        self.journal = DemoJournal(seed=5)

    def source(self, options: LogOptions) -> AsyncIterator[LogEvent]:
        return self.journal.follow(["web", "db"], options)

    def on_mount(self) -> None:
        options = LogOptions(lines=100, follow=False)
        self.push_screen(LogsScreen(self.source, ["web", "db"], options=options, tz=UTC))


async def test_the_keys_after_slash_go_to_the_journal_search() -> None:
    app = Journal()
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, LogsScreen) and len(app.screen.log_view.store) == 200:
                break
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        boot = screen.options.boot
        await burst(pilot, "/", "sshd boot", "ctrl+u", "sshd")
        prompt = screen.query_one("#log-prompt", Input)
        assert prompt.value == "sshd"
        assert screen.options.boot == boot and screen._prompt_mode == "search"  # b, u: typed
        cursor = screen.log_view.cursor
        await burst(pilot, "enter", "N")  # searched, then N: the match before, in the view
        assert screen.search_text == "sshd" and screen._prompt_mode is None
        assert prompt.value == "sshd"  # N was not typed into the closed prompt
        matches = [i for i, r in enumerate(screen.log_view.store.visible) if "sshd" in r.identifier]
        assert screen.log_view.cursor == matches[-2] and cursor != matches[-2]
        await burst(pilot, "u", "q", "escape", "p")  # the unit prompt: q typed, Escape closes
        assert screen._prompt_mode is None
        assert screen.options.priority is not None  # p cycled the priority after it


async def test_the_keys_after_slash_go_to_the_processes_filter() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await dashboard_polled(pilot)
        await pilot.press("end", "P")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, ProcessesScreen) and app.screen.reads:
                break
        screen = app.screen
        assert isinstance(screen, ProcessesScreen)
        order = screen.sort
        # c, m: sort by CPU or memory on the table; ctrl+u: half a page up
        await burst(pilot, "/", "cm", "ctrl+u", "sh")
        box = screen.query_one("#proc-filter", Input)
        assert box.value == "sh" and screen.sort == order
        await burst(pilot, "escape", "c")  # closed at once: c sorts the table
        assert box.value == "" and not box.display
        assert app.screen is screen and screen.sort != order


async def test_the_keys_after_a_key_that_opens_a_screen_are_the_new_screens() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        dashboard = await dashboard_polled(pilot)
        box = dashboard.query_one("#filter", Input)
        # l: the journal view; / opens its search there, not the dashboard's filter
        await burst(pilot, "l", "/", "sshd")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        assert screen.query_one("#log-prompt", Input).value == "sshd"
        assert box.value == "" and not box.display
        await burst(pilot, "escape", "escape", "?", "escape", "/", "web")
        assert app.screen is dashboard  # help opened and closed before the /
        assert box.value == "web" and box.display


class Deaf(Static, can_focus=True):
    """Takes no keys: one handed to it is dropped, as one handed to a widget removed meanwhile."""

    def on_mount(self) -> None:
        self.disable_messages(QueuedKey)
        self.screen.set_focus(self)


class Lossy(KeysInOrder):
    BINDINGS = [Binding("ctrl+x", "count", priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self.counted = 0

    def compose(self) -> ComposeResult:
        yield SafeInput(id="line")
        yield Deaf("drops keys", id="deaf")

    def action_count(self) -> None:
        self.counted += 1


async def test_a_key_lost_on_its_way_holds_the_next_ones_only_a_while() -> None:
    app = Lossy()
    async with app.run_test() as pilot:
        await pilot.pause()
        await burst(pilot, "x", "ab")  # x: dropped, never done
        assert app.query_one("#line", SafeInput).value == ""
        app.query_one("#line").focus()  # by the mouse, say
        await burst(pilot, "cd")
        assert app.query_one("#line", SafeInput).value == "cd"
        assert app.key_queue.idle


async def test_a_key_the_app_keeps_does_not_hold_the_next_one() -> None:
    app = Lossy()
    async with app.run_test() as pilot:
        app.query_one("#line").focus()
        await pilot.pause()
        app.post_message(events.Key("ctrl+x", "\x18"))  # a priority binding: never forwarded
        await pilot.pause(0.05)
        assert app.counted == 1
        assert app.key_queue.idle  # not held for MAX_HOLD

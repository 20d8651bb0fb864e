"""A search too slow for the lines it meets is refused or dropped, with a message: never a freeze.

The journal view of three machines gets lines from a queue the test fills.
A catastrophic expression (``re:(a|aa)+$``) typed in the search prompt, with
a hostile line among those shown (a run of a's that ends in "!"), is refused
under the prompt, which stays open, and the search before it is kept; the
same expression accepted while no such line was in the way, then met on a
line being drawn or by ``n``, is dropped with a toast and the status line
says why.  Drawn toasts are checked for raw text (``notifications=True``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC

from pilot_waits import until
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, LogRecord, next_seq
from nspawn_tui.screens.logs import LogsScreen

HOSTILE = "a" * 64 + "!"
CATASTROPHIC = "re:(a|aa)+$"


class QueueApp(App[None]):
    """A journal view whose lines come from ``lines`` (a batch at a time)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: asyncio.Queue[list[str]] = asyncio.Queue()
        self.stamp = 1_700_000_000_000_000

    async def source(self, options: LogOptions) -> AsyncIterator[LogEvent]:
        while True:
            messages = await self.lines.get()
            records = []
            for message in messages:
                self.stamp += 1000
                records.append(
                    LogRecord("web", self.stamp, 6, "u", "app", "1", message, "", "", next_seq())
                )
            yield LogBatch("web", records)

    def on_mount(self) -> None:
        self.push_screen(LogsScreen(self.source, ["web"], options=LogOptions(), tz=UTC))


def logs(app: App[None]) -> LogsScreen:
    assert isinstance(app.screen, LogsScreen)
    return app.screen


async def shown(app: QueueApp, pilot: Pilot[None], messages: list[str]) -> None:
    screen = logs(app)
    count = len(screen.log_view.store)
    app.lines.put_nowait(messages)
    await until(pilot, lambda: len(screen.log_view.store) == count + len(messages), "lines shown")
    await pilot.pause()


def toasts(app: App[None]) -> str:
    return " ".join(str(toast.render()) for toast in app.screen.query("Toast"))


async def test_a_too_slow_search_is_refused_and_the_last_one_kept() -> None:
    app = QueueApp()
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        screen = logs(app)
        await shown(app, pilot, ["disk full", HOSTILE, "all good"])
        await pilot.press("slash", *"disk", "enter")
        assert screen.search_text == "disk"
        assert screen.log_view.cursor == 0
        await pilot.press("slash", "ctrl+u", *CATASTROPHIC, "enter")
        prompt = screen.query_one("#log-prompt", Input)
        assert prompt.has_class("-shown")  # stays open to fix the expression
        error = str(screen.query_one("#log-prompt-error", Static).render())
        assert "too slow (over 0.25 s on one line)" in error
        assert "Escape keeps /disk" in error
        assert screen.search_text == "disk"
        assert screen.log_view.store.search is not None
        assert screen.log_view.store.search.text == "disk"
        await pilot.press("escape")
        await pilot.press("n")  # the kept search still works
        assert screen.log_view.cursor == 0
        assert "/disk" in screen.status_text()


async def test_a_search_met_by_a_hostile_line_later_is_dropped_with_a_message() -> None:
    app = QueueApp()
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        screen = logs(app)
        await shown(app, pilot, ["aaa", "ok"])
        await pilot.press("slash", *CATASTROPHIC, "enter")
        assert screen.search_text == CATASTROPHIC  # nothing slow in the way: accepted
        await shown(app, pilot, [HOSTILE])  # drawn with the search: too slow, dropped
        await until(pilot, lambda: not screen.search_text, "the search dropped")
        assert screen.log_view.store.search is None
        assert "is too slow" in screen.status_text()
        await until(pilot, lambda: "is too slow" in toasts(app), "the toast")
        await pilot.press("slash", *CATASTROPHIC, "enter")  # typed again: refused at once
        assert not screen.search_text
        await pilot.press("escape")
        await pilot.press("n")
        assert "no search: press /" in screen.status_text()
        await shown(app, pilot, ["more lines keep coming"])  # the view goes on

"""LogsScreen + LogView driven by the demo journal through Pilot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static

from nspawn_tui.host.demo.journal import DemoJournal
from nspawn_tui.journal.sources import LogEvent, LogOptions
from nspawn_tui.screens.export_prompt import ExportPrompt
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.record import RecordScreen
from nspawn_tui.widgets.log_view import LogView

NAMES = ["web", "db", "cache"]


class LogsApp(App[None]):
    def __init__(self, journal: DemoJournal, options: LogOptions) -> None:
        super().__init__()
        self.journal = journal
        self.options = options

    def source(self, options: LogOptions) -> AsyncIterator[LogEvent]:
        return self.journal.follow(NAMES, options)

    def on_mount(self) -> None:
        self.push_screen(LogsScreen(self.source, NAMES, options=self.options, tz=UTC))


async def wait_for(pilot: Pilot[None], condition: object, tries: int = 100) -> None:
    for _ in range(tries):
        if callable(condition) and condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached")


def screen_of(app: App[None]) -> LogsScreen:
    screen = app.screen
    assert isinstance(screen, LogsScreen)
    return screen


def visible_text(view: LogView) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.size.height))


async def test_merged_view_shows_three_machines_in_time_order() -> None:
    app = LogsApp(DemoJournal(seed=3, rate=30), LogOptions(lines=100))
    async with app.run_test(size=(120, 30)) as pilot:
        view = screen_of(app).log_view
        await wait_for(pilot, lambda: {r.machine for r in view.store.visible} == set(NAMES))
        stamps = [r.timestamp or 0 for r in view.store.visible]
        assert stamps == sorted(stamps)
        await wait_for(pilot, lambda: len(view.store) > 300)
        view.move_cursor(0)  # the backlog of all three is at the top
        await pilot.pause()
        text = "\n".join(view.render_line(y).text for y in range(25))
        shown = {name for name in NAMES if f" {name} " in text}
        assert len(shown) >= 2
        assert "web, db, cache" in screen_of(app).status_text()


async def test_follow_pauses_on_scroll_up_and_resumes_with_end() -> None:
    app = LogsApp(DemoJournal(seed=4, rate=40), LogOptions(lines=200))
    async with app.run_test(size=(100, 20)) as pilot:
        screen = screen_of(app)
        view = screen.log_view
        await wait_for(pilot, lambda: len(view.store) >= 600)
        assert view.follow
        assert view.cursor == len(view.store) - 1
        await pilot.press("up", "up", "up")
        assert not view.follow
        assert "PAUSED" in screen.status_text()
        selected = view.selected
        count = len(view.store)
        await wait_for(pilot, lambda: len(view.store) > count)  # lines keep coming
        assert view.selected is selected  # the paused view stays on its line
        await pilot.press("end")
        assert view.follow
        await wait_for(pilot, lambda: view.cursor == len(view.store) - 1)
        assert view.scroll_y == view.max_scroll_y
        assert "FOLLOW" in screen.status_text()
        await pilot.press("pageup")
        assert not view.follow
        await pilot.press("F")
        assert view.follow


async def test_search_jumps_with_n_and_shift_n() -> None:
    app = LogsApp(DemoJournal(seed=5), LogOptions(lines=300, follow=False))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = screen_of(app)
        view = screen.log_view
        await wait_for(pilot, lambda: len(view.store) == 900)
        matches = [i for i, r in enumerate(view.store.visible) if "sshd" in r.identifier]
        assert len(matches) >= 3
        await pilot.press("slash", *"sshd", "enter")
        assert view.cursor == matches[-1]  # newest match first
        assert not view.follow
        await pilot.press("N")
        assert view.cursor == matches[-2]
        await pilot.press("N")
        assert view.cursor == matches[-3]
        await pilot.press("n")
        assert view.cursor == matches[-2]
        assert "sshd" in visible_text(view)
        assert "/sshd" in screen.status_text()


async def test_priority_cycle_hides_lower_priorities() -> None:
    app = LogsApp(DemoJournal(seed=6), LogOptions(lines=300, follow=False))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = screen_of(app)
        view = screen.log_view
        await wait_for(pilot, lambda: len(view.store) == 900)
        assert any((r.priority or 0) > 4 for r in view.store.visible)
        await pilot.press("p", "p", "p", "p")  # info, notice, warning, err
        await wait_for(pilot, lambda: len(view.store) == 900)
        assert screen.options.priority == 3
        assert "prio ≤err" in screen.status_text()
        assert {r.priority for r in view.store.visible} <= {0, 1, 2, 3}
        await pilot.press("p", "p", "p", "p")  # crit, alert, emerg, all
        assert screen.options.priority is None


async def test_enter_opens_record_and_export_writes_file(tmp_path: Path) -> None:
    app = LogsApp(DemoJournal(seed=7), LogOptions(lines=20, follow=False))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = screen_of(app)
        view = screen.log_view
        await wait_for(pilot, lambda: len(view.store) == 60)
        await pilot.press("enter")
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record is view.selected
        await pilot.press("escape")
        assert app.screen is screen
        target = tmp_path / "out.log"
        await pilot.press("w", "ctrl+u")
        await pilot.press(*str(target), "enter")
        await wait_for(pilot, lambda: target.exists() and "wrote 60 lines" in screen.message)
        lines = [line for line in target.read_text().splitlines() if not line.startswith("    ")]
        assert len(lines) == 60
        await pilot.press("w", "ctrl+u", *str(tmp_path / "missing" / "x.log"), "enter")
        # refused in the export dialog, which stays open (tests/functional/test_inputs_safe.py)
        await wait_for(pilot, lambda: "no such directory" in export_message(app))
        await pilot.press("escape")
        assert app.screen is screen


def export_message(app: App[None]) -> str:
    dialog = app.screen
    if not isinstance(dialog, ExportPrompt):
        return ""
    return str(dialog.query_one("#export-message", Static).render())

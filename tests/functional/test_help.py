"""The ``?`` screen shows every key in force, with its description (not an empty box)."""

from __future__ import annotations

from typing import Any

from pilot_waits import dashboard_polled
from screen_text import columns, screen_text
from textual.app import App
from textual.binding import Binding

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.help import HelpScreen, help_sections
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.widgets.log_view import LogView


def shown_rows(text: str) -> dict[str, set[str]]:
    """Description -> the keys shown for it, from the help's tables."""
    rows: dict[str, set[str]] = {}
    for line in text.splitlines():
        cells = columns(line)
        if len(cells) >= 2:
            rows.setdefault(cells[1], set()).update(cells[0].split())
    return rows


def assert_listed(app: App[Any], bindings: list[Binding], text: str) -> None:
    rows = shown_rows(text)
    for binding in bindings:
        display = app.get_key_display(binding)
        assert binding.description in rows, f"{binding.description!r} not in help:\n{text}"
        assert display in rows[binding.description], (binding.description, display)


async def test_help_lists_every_binding_of_the_dashboard_and_the_app(
    demo_app: NspawnApp,
) -> None:
    async with demo_app.run_test(size=(120, 80)) as pilot:
        screen = await dashboard_polled(pilot)
        in_force = [bound.binding for bound in screen.active_bindings.values()]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(demo_app.screen, HelpScreen)
        text = screen_text(demo_app)
        assert "nspawn-tui keys" in text and "Escape closes" in text
        keys, journal = text.split("In the journal view (l)")
        # every binding in force: the dashboard's, its table's and the app's
        assert {"b", "?", "q", "↑"} <= {demo_app.get_key_display(b) for b in in_force}
        assert_listed(demo_app, in_force, keys)
        assert "start systemd-nspawn@NAME.service" in keys  # a binding's tooltip
        assert "(disabled" not in text  # a writable host
        # the journal view's keys, from its own bindings
        assert_listed(demo_app, Binding.make_bindings(LogsScreen.BINDINGS), journal)
        assert_listed(demo_app, Binding.make_bindings(LogView.BINDINGS), journal)
        assert "^] ^] ^]" in journal and "back to the dashboard" in journal
        await pilot.press("escape")
        await pilot.pause()
        assert demo_app.screen is screen


async def test_help_scrolls_in_a_small_terminal(demo_app: NspawnApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await dashboard_polled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        text = screen_text(demo_app)
        assert "nspawn-tui keys" in text
        assert "Page up" in text  # the first rows, not an empty box
        assert "Record" not in text  # the last row is further down
        for _ in range(5):
            await pilot.press("pagedown")
        await pilot.pause()
        assert "Record" in screen_text(demo_app)


async def test_help_over_the_journal_view_lists_its_keys() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), logs=["web", "db"])
    async with app.run_test(size=(120, 60)) as pilot:
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(app.screen, LogsScreen):
                break
        logs = app.screen
        in_force = [bound.binding for bound in logs.active_bindings.values()]
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert_listed(app, in_force, text)
        assert "Priority" in shown_rows(text) and "Follow" in shown_rows(text)
        assert "In the journal view" not in text  # these are the keys in force
        assert "^] ^] ^]" not in text  # no shell from here
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is logs


async def test_help_over_the_dashboard_says_the_action_bar_keys() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await dashboard_polled(pilot)
        await pilot.pause(0.1)
        sections = {section.title: section for section in help_sections(screen)}
        bar = sections.get("In the action bar (tab)")
        assert bar is not None, list(sections)
        assert [(row.keys, row.description) for row in bar.rows] == [
            ("←", "Previous button"),
            ("→", "Next button"),
            ("⏎ space", "Press"),
        ]
        await pilot.press("tab")  # the bar focused: its keys are in the first section
        titles = [section.title for section in help_sections(screen)]
        assert "In the action bar (tab)" not in titles
        assert "Next button" in [row.description for row in help_sections(screen)[0].rows]

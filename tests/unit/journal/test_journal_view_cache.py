"""The log view's cache of rendered lines is bounded by the lines on screen, not the store."""

from __future__ import annotations

from textual.app import App, ComposeResult

from nspawn_tui.journal.sources import LogRecord, next_seq
from nspawn_tui.journal.store import LogStore
from nspawn_tui.widgets.log_view import LogView


class ViewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LogView(LogStore(scrollback=5000), id="log")


def records(count: int) -> list[LogRecord]:
    return [
        LogRecord(f"m{i % 3}", 1_000_000 + i, 6, "u", "app", "1", f"line {i}", "", "", next_seq())
        for i in range(count)
    ]


async def test_scrolling_through_thousands_of_lines_keeps_twice_the_screen() -> None:
    app = ViewApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(LogView)
        view.add_records(records(1200))
        await pilot.pause()
        height = view.size.height
        assert 32 <= view.cache_bound <= max(32, 2 * height)
        for at in range(0, 1200, height):  # page through every line
            view.move_cursor(at)
            await pilot.pause()
            assert view.cached_lines <= view.cache_bound
        assert view.cached_lines >= height  # the screen's lines are cached
        await pilot.resize_terminal(80, 60)
        await pilot.pause()
        assert view.cache_bound == 2 * view.size.height  # a taller view keeps more
        view.move_cursor(0)
        await pilot.pause()
        assert height < view.cached_lines <= view.cache_bound

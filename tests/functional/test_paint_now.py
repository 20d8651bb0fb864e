"""paint_now: a poll's changed lines drawn in its own step, or the usual way when anything waits.

The frames themselves are replayed against a full redraw in
``test_span_compositor.py``; here: when a batch is drawn at once (the screen
on top, nothing pending) and when its widgets are refreshed the usual way (a
layout pending, a modal on top, a nested batch, no batch, a Textual without
the internals).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.screen import Screen

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets import paint_now
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineBand
from nspawn_tui.widgets.paint_now import paint_batch, refresh_lines

LINE = Region(0, 1, 5, 1)


class Seen:
    """What a batch did: frames drawn at once, and the band's usual refreshes."""

    def __init__(self) -> None:
        self.frames = 0
        self.refreshes: list[tuple[Region, ...]] = []


@contextmanager
def watching(screen: DashboardScreen, band: MachineBand) -> Iterator[Seen]:
    seen = Seen()
    draw, refresh = screen._compositor_refresh, band.refresh

    def counted_draw() -> None:
        seen.frames += 1
        draw()

    def counted_refresh(*regions: Region, **kwargs: Any) -> Any:
        seen.refreshes.append(regions)
        return refresh(*regions, **kwargs)

    screen._compositor_refresh = counted_draw  # type: ignore[method-assign]
    band.refresh = counted_refresh  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        del screen._compositor_refresh, band.refresh


async def polled(pilot: Pilot[None]) -> tuple[DashboardScreen, MachineBand]:
    for _ in range(300):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            await pilot.pause()
            return screen, screen.query(MachineBand).first()
    raise AssertionError("the dashboard never polled")


def app() -> NspawnApp:
    return NspawnApp(DemoHost(seed=5, machines=8), interval=3600)  # no poll while testing


async def test_a_batch_is_drawn_at_once_when_nothing_waits() -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        with watching(screen, band) as seen:
            with paint_batch(screen):
                refresh_lines(band, LINE)
                assert seen.frames == 0  # held until the block ends
            assert seen.frames == 1 and seen.refreshes == []
            refresh_lines(band, LINE)  # no batch open: the usual refresh
            assert seen.frames == 1 and seen.refreshes == [(LINE,)]


async def test_a_nested_batch_is_drawn_by_the_outer_one() -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        with watching(screen, band) as seen:
            with paint_batch(screen):
                with paint_batch(screen):
                    refresh_lines(band, LINE)
                assert seen.frames == 0
            assert seen.frames == 1


async def test_a_pending_layout_gets_the_usual_refresh() -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        with watching(screen, band) as seen:
            screen._layout_required = True
            with paint_batch(screen):
                refresh_lines(band, LINE)
            assert seen.frames == 0 and seen.refreshes == [(LINE,)]
            await pilot.pause()  # the layout, then the frame, the usual way
            assert not screen._layout_required and seen.frames >= 1


async def test_a_widget_whose_size_may_change_gets_the_usual_refresh() -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        with watching(screen, band) as seen:
            screen.query_one(HostHeader).refresh(layout=True)  # its layout: not done yet
            with paint_batch(screen):
                refresh_lines(band, LINE)
            assert seen.frames == 0 and seen.refreshes == [(LINE,)]
            await pilot.pause()
            with paint_batch(screen):  # done: drawn at once again
                refresh_lines(band, LINE)
            assert seen.frames >= 1 and seen.refreshes == [(LINE,)]


async def test_under_a_modal_the_usual_refresh() -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert pilot.app.screen is not screen
        with watching(screen, band) as seen:
            with paint_batch(screen):
                refresh_lines(band, LINE)
            assert seen.frames == 0 and seen.refreshes == [(LINE,)]


async def test_a_textual_without_the_internals_refreshes_the_usual_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with app().run_test(size=(100, 30)) as pilot:
        screen, band = await polled(pilot)
        monkeypatch.setattr(paint_now, "_available", None)
        monkeypatch.delattr(Screen, "_compositor_refresh")
        assert not paint_now.available(screen)
        monkeypatch.undo()  # the frames of the test's end need Textual's own method
        monkeypatch.setattr(paint_now, "_available", False)
        with watching(screen, band) as seen:
            with paint_batch(screen):
                refresh_lines(band, LINE)
            assert seen.frames == 0 and seen.refreshes == [(LINE,)]

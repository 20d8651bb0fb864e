"""The span compositor sends what Textual's own would: every update replayed on a grid equals a full redraw.

Each frame the app would write is applied, cell by cell (text and style), to a
grid the size of the terminal, the way a terminal applies it; after a
sequence of frames the grid must equal a full redraw of the screen. Run on
the dashboard (cursor on a stopped and on a running machine, the panel's
graphs and figures moving, a modal over it), the merged journal view (lines
streaming in, scrolled) and the processes screen, with the span compositor
installed and, as a check of the replay itself, with Textual's own.  The
dashboard's lines are drawn in the poll's own step (:mod:`paint_now`) while it
is on top, the usual way under the modal: both are replayed.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from frame_replay import SIZE, Replay
from pilot_waits import dashboard_polled
from textual._compositor import Compositor
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens import span_compositor
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.screens.span_compositor import SpanCompositor
from nspawn_tui.widgets import paint_now
from nspawn_tui.widgets.machine_table import MachineTable


@pytest.fixture(params=["span", "textual"])
def compositor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs with the span compositor and, as a control, with Textual's own."""
    if request.param == "textual":
        monkeypatch.setattr(span_compositor, "_AVAILABLE", False)
    return str(request.param)


def installed(app: App[Any]) -> str:
    return type(app.screen._compositor).__name__


async def settle(pilot: Pilot[None], replay: Replay, seconds: float) -> None:
    """Let the app poll and draw for *seconds*, then compare the grid with a redraw."""
    await asyncio.sleep(seconds)
    await pilot.pause()
    replay.check()


async def opened(pilot: Pilot[None], key: str, kind: type[Screen[Any]], compositor: str) -> None:
    """Press *key* and wait for a screen of *kind*, drawn by the compositor expected."""
    await pilot.press(key)
    for _ in range(200):
        await pilot.pause(0.02)
        if isinstance(pilot.app.screen, kind):
            break
    assert isinstance(pilot.app.screen, kind)
    assert installed(pilot.app) == expected(compositor)


def expected(compositor: str) -> str:
    return SpanCompositor.__name__ if compositor == "span" else Compositor.__name__


async def test_dashboard_frames_equal_a_full_redraw(
    compositor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready = paint_now._ready
    batches: list[bool] = []  # per poll's batch: drawn at once, or refreshed the usual way

    def spy(screen: Screen[Any]) -> bool:
        batches.append(ready(screen))
        return batches[-1]

    monkeypatch.setattr(paint_now, "_ready", spy)
    app = NspawnApp(DemoHost(seed=3, machines=40), interval=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        replay = Replay(app)
        with replay.recording():
            screen = await dashboard_polled(pilot, polls=2)
            assert installed(app) == expected(compositor)
            table = screen.query_one(MachineTable)
            stopped = next(m.name for m in screen.snapshot.machines if not m.running)
            running = [m.name for m in screen.snapshot.machines if m.running]
            assert table.move_cursor_to_name(stopped)
            await settle(pilot, replay, 0.6)
            for name in running[:3]:
                assert table.move_cursor_to_name(name)
                await settle(pilot, replay, 0.8)
            for key in ("down", "down", "pagedown", "end", "home", "o", "O", "c"):
                await pilot.press(key)
                await settle(pilot, replay, 0.25)
            await pilot.press("question_mark")  # help over the dashboard: a modal
            await settle(pilot, replay, 0.5)
            await pilot.press("escape")
            await settle(pilot, replay, 0.5)
            app.notify("[b]not markup[/b] from a test", timeout=0.3)
            await settle(pilot, replay, 0.6)
    assert replay.partial >= 20, (replay.partial, replay.full)
    assert replay.partial_by.get(expected(compositor), 0) >= 20, replay.partial_by
    assert batches.count(True) >= 20 and batches.count(False) >= 3, batches  # the modal


#: a screen opened from the dashboard: its key, its class, the running machines
#: marked first (the journal merges them), the keys pressed once it shows
OPENED = {
    "merged journal": ("l", LogsScreen, 3, ("up", "up", "pageup", "pagedown", "end")),
    "processes": ("P", ProcessesScreen, 1, ("down", "down", "end")),
}


@pytest.mark.parametrize("case", sorted(OPENED))
async def test_opened_screens_frames_equal_a_full_redraw(compositor: str, case: str) -> None:
    key, kind, marked, keys = OPENED[case]
    app = NspawnApp(DemoHost(seed=4, machines=12), interval=0.2)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        replay = Replay(app)
        with replay.recording():
            screen = await dashboard_polled(pilot, polls=2)
            names = [m.name for m in screen.snapshot.machines if m.running][:marked]
            table = screen.query_one(MachineTable)
            for name in names:
                assert table.move_cursor_to_name(name)
                if marked > 1:
                    await pilot.press("space")
            await opened(pilot, key, kind, compositor)
            await settle(pilot, replay, 1.5)
            for pressed in keys:
                await pilot.press(pressed)
                await settle(pilot, replay, 0.3)
    assert replay.partial_by.get(expected(compositor), 0) >= 5, replay.partial_by


def test_a_textual_without_the_internals_keeps_its_own_compositor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(Compositor, "_regions_to_spans")
    assert not span_compositor.available()

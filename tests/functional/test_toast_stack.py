"""Toasts stacked taller than the screen leave nothing behind when they expire.

Textual scrolls a stack of toasts taller than the screen to its end.  After a
scroll, Textual 8 builds its map of the screen's widgets again when it is next
read; toasts removed after that were gone from the rebuilt map before the
layout compared old and new, so nothing marked their cells and their text
stayed on the terminal (seen in tmux: ``c`` pressed twelve times on the
dashboard left "CPU% now means…" over the rows).  The app's screens draw with
a :class:`~nspawn_tui.screens.span_compositor.MapCompositor`, which marks what
the rebuilt map lost.  Every frame is replayed on a grid of cells and compared
with a full redraw (:mod:`frame_replay`); with Textual's own compositor the
same steps leave cells behind (the control: the test sees the fault).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from frame_replay import SIZE, Replay
from pilot_waits import dashboard_polled, until
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets._toast import Toast

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens import span_compositor
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.screens.help import HelpScreen

#: more than fit in 40 lines (a toast takes 4): the stack scrolls
TOASTS = 14
TIMEOUT = 3.0


async def stack_and_expire(pilot: Pilot[None], replay: Replay) -> None:
    """Stack TOASTS toasts (taller than the screen), check the frame, wait until all expired."""
    app = pilot.app
    for number in range(TOASTS):
        app.notify(f"toast number {number} says [b]hello[/b]", timeout=TIMEOUT + number * 0.02)
        await pilot.pause(0.05)
    await pilot.pause(0.1)
    shown = app.screen.query(Toast)
    assert len(shown) == TOASTS  # all mounted
    assert min(toast.region.y for toast in shown) < 0  # the stack is taller than the screen
    replay.check()
    await asyncio.sleep(TIMEOUT + TOASTS * 0.02)
    await until(pilot, lambda: not app.screen.query(Toast), "every toast expired")
    await pilot.pause(0.3)


async def on_screen(pilot: Pilot[None], screen: Screen[Any], kind: type[Screen[Any]]) -> None:
    pilot.app.push_screen(screen)
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), kind.__name__)
    for box in pilot.app.screen.query("Input, TextArea"):
        # steady: a blink toggled but not yet drawn differs from a full redraw by one cell
        box.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause(0.2)


def app_with_demo() -> NspawnApp:
    # polls far apart: nothing else reads the map between the stack's scroll and the expiry
    return NspawnApp(DemoHost(seed=5, machines=30), interval=30)


@pytest.mark.parametrize("mended", [True, False], ids=["span-compositor", "textuals-own"])
async def test_expired_toasts_leave_nothing_on_the_dashboard(
    mended: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Textual's own compositor (the control) the same steps leave toasts behind.

    Written against Textual 8.2; if a Textual release mends its map itself,
    the control fails and ``MapCompositor`` can go.
    """
    if not mended:
        monkeypatch.setattr(span_compositor, "_AVAILABLE", False)
    app = app_with_demo()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        replay = Replay(app)
        with replay.recording():
            await dashboard_polled(pilot)
            kind = "SpanCompositor" if mended else "Compositor"
            assert type(app.screen._compositor).__name__ == kind
            await stack_and_expire(pilot, replay)
            left = any("toast number" in line for line in replay.text())
            assert left is not mended
            assert bool(replay.differences()) is not mended


@pytest.mark.parametrize("kind", [HelpScreen, ConfirmScreen, CreateForm])
async def test_expired_toasts_leave_nothing_on_the_other_screens(kind: type[Screen[Any]]) -> None:
    app = app_with_demo()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        replay = Replay(app)
        with replay.recording():
            screen = await dashboard_polled(pilot)
            made: dict[type[Screen[Any]], Any] = {
                HelpScreen: lambda: HelpScreen.over(screen, read_only=False),
                ConfirmScreen: lambda: ConfirmScreen("Power off", ["ct-0001"], "poweroff"),
                CreateForm: lambda: CreateForm(screen.host),
            }
            await on_screen(pilot, made[kind](), kind)
            assert type(app.screen._compositor).__name__ == "MapCompositor"
            await stack_and_expire(pilot, replay)
            replay.check()
            assert not any("toast number" in line for line in replay.text())


def test_without_the_internals_the_screens_keep_textuals_compositor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(span_compositor, "_AVAILABLE", False)
    assert not span_compositor.use_map_compositor(ConfirmScreen("Power off", ["ct"], "poweroff"))
    assert type(ConfirmScreen("Power off", ["ct"], "poweroff")._compositor).__name__ == "Compositor"

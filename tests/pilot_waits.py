"""Waits for functional tests: until a condition holds, the dashboard has polled, keys are handled.

Usable from any test (``tests/`` is on ``sys.path`` through its conftest)::

    from pilot_waits import dashboard_polled, until
    screen = await dashboard_polled(pilot)
    await until(pilot, lambda: screen.polls >= 3, "three polls")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from nspawn_tui.screens.dashboard import DashboardScreen


async def until(
    pilot: Pilot[Any], check: Callable[[], object], what: str, tries: int = 300
) -> None:
    """Pause 20 ms at a time until ``check()`` is true; AssertionError naming ``what`` if never."""
    for _ in range(tries):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}")


async def keys_handled(pilot: Pilot[Any]) -> None:
    """Until the app has handed out every key posted to it (its ``key_queue``, as
    NspawnApp's), then a few pauses for what their handling posted."""
    taken: list[bool] = []  # the app takes its messages in order: the keys come first
    pilot.app.call_later(taken.append, True)
    await until(pilot, lambda: taken, "the app took the keys")
    queue = getattr(pilot.app, "key_queue", None)
    if queue is not None:
        await until(pilot, lambda: queue.idle, "every key handed out")
    for _ in range(4):
        await pilot.pause(0.05)


async def dashboard_polled(pilot: Pilot[Any], polls: int = 1) -> DashboardScreen:
    """The dashboard, once on top and past ``polls`` polls of its host."""
    app = pilot.app
    await until(
        pilot,
        lambda: isinstance(app.screen, DashboardScreen) and app.screen.polls >= polls,
        f"the dashboard polled the host {polls} time(s)",
    )
    assert isinstance(app.screen, DashboardScreen)
    return app.screen

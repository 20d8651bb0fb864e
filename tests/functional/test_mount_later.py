"""The footer, the action bar and the graphs mount after the frame of the first poll.

Not before it (they were a fifth of the first frame's work: benchmarks/README.md),
and not never: a host whose first poll does not come back still gets them
within ``MOUNT_LATER_AT_MOST``; the footer shows its keys without a key press.
"""

from __future__ import annotations

import asyncio

from pilot_waits import until
from textual.pilot import Pilot
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import Snapshot
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import MOUNT_LATER_AT_MOST, DashboardScreen
from nspawn_tui.widgets.action_bar import ActionBar
from nspawn_tui.widgets.graph_column import GraphColumn
from nspawn_tui.widgets.mount_later import MountLater, mount_all_later

LATER = (Footer, ActionBar, GraphColumn)


class GatedHost(DemoHost):
    """A demo host whose polls wait until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__(seed=1, frozen=True)
        self.gate: asyncio.Event | None = None

    async def snapshot(self) -> Snapshot:
        if self.gate is None:
            self.gate = asyncio.Event()
        await self.gate.wait()
        return await super().snapshot()


def mounted(pilot: Pilot[None]) -> list[str]:
    return [kind.__name__ for kind in LATER if pilot.app.screen.query(kind)]


async def test_they_mount_after_the_first_poll_is_drawn() -> None:
    host = GatedHost()
    app = NspawnApp(host, interval=5.0)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        await until(pilot, lambda: host.gate is not None, "the first poll asked")
        await pilot.pause(0.1)
        assert mounted(pilot) == []  # waiting for the poll: only their places
        assert len(app.screen.query(MountLater)) == len(LATER)
        assert host.gate is not None
        host.gate.set()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        await until(pilot, lambda: screen.polls >= 1, "the first poll")
        await until(pilot, lambda: len(mounted(pilot)) == len(LATER), "all three mounted")
        assert not app.screen.query(MountLater)  # the places are gone
        # the footer's keys without a key press (it shows them at a change of bindings)
        await until(pilot, lambda: app.screen.query(FooterKey), "the footer's keys")


async def test_a_first_poll_that_never_comes_back_does_not_keep_them() -> None:
    host = GatedHost()
    app = NspawnApp(host, interval=5.0)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: host.gate is not None, "the first poll asked")
        await until(
            pilot, lambda: len(mounted(pilot)) == len(LATER), "mounted without a poll",
            tries=int(3 * MOUNT_LATER_AT_MOST / 0.02),
        )  # fmt: skip
        screen = app.screen
        assert isinstance(screen, DashboardScreen) and screen.polls == 0
        await until(pilot, lambda: app.screen.query(FooterKey), "the footer's keys")


async def test_mount_now_puts_the_widget_in_its_place_once() -> None:
    from textual.app import App, ComposeResult

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("before", id="before")
            yield MountLater(Static("later", id="later"))
            yield Static("after", id="after")

    app = Host()
    async with app.run_test() as pilot:
        assert [w.id for w in app.screen.children if w.display] == ["before", "after"]
        assert await mount_all_later(app.screen) is True
        await pilot.pause()
        assert [w.id for w in app.screen.children] == ["before", "later", "after"]
        assert await mount_all_later(app.screen) is False  # again: nothing
        assert [w.id for w in app.screen.children] == ["before", "later", "after"]

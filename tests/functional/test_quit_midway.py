"""Quitting while a screen's work is under way fails nothing.

When the app shuts down, Textual removes each screen's widgets (innermost
first) before it stops the screen's workers: a poll, a journal reader or a
transfer that reports in between finds its widgets gone.  A query for them
then failed the worker (``NoMatches``), and the app ended with a traceback
instead of quietly (the transfer bar did, in CI).  Each case here opens a
screen on the demo host, removes the screen's widgets as the shutdown does,
lets its work report a few times, and checks that no worker failed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from create_kit import DONE, RETRIEVING, CreateHost
from pilot_waits import dashboard_polled, until
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import WorkerState

from nspawn_tui.app import NspawnApp
from nspawn_tui.create.model import CreatePlan, CreateProgress
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.create_progress import CreateProgressScreen
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.transfer_bar import TransferBar

PLAN = CreatePlan("web1", "debian", "bookworm")
Opener = Callable[[Pilot[Any], DemoHost, Path], Awaitable[Callable[[], object]]]


def running(pilot: Pilot[Any], group: str) -> bool:
    return any(w.group == group and not w.is_finished for w in pilot.app.workers)


S = TypeVar("S", bound=Screen[Any])


async def opened(pilot: Pilot[Any], kind: type[S], *keys: str) -> S:
    """The screen ``keys`` open from the dashboard, once it is on top."""
    await dashboard_polled(pilot)
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(pilot.app.screen, kind), kind.__name__)
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    return screen


async def dashboard(pilot: Pilot[Any], host: DemoHost, tmp: Path) -> Callable[[], object]:
    screen = await dashboard_polled(pilot)
    start = screen.polls
    return lambda: screen.polls >= start + 3


async def logs(pilot: Pilot[Any], host: DemoHost, tmp: Path) -> Callable[[], object]:
    screen = await opened(pilot, LogsScreen, "end", "l")
    await until(pilot, lambda: len(screen.log_view.store) > 0, "lines")
    start = len(screen.log_view.store)
    return lambda: len(screen.log_view.store) > start


async def processes(pilot: Pilot[Any], host: DemoHost, tmp: Path) -> Callable[[], object]:
    screen = await opened(pilot, ProcessesScreen, "end", "P")
    await until(pilot, lambda: screen.reads, "a read")
    start = screen.reads
    # it stops polling once it sees its widgets gone (as when it is closed meanwhile)
    return lambda: screen.reads >= start + 3 or not running(pilot, "processes-poll")


async def transfer(pilot: Pilot[Any], host: DemoHost, tmp: Path) -> Callable[[], object]:
    screen = await opened(pilot, ImagesScreen, "i")
    await until(pilot, lambda: screen.refreshes, "the images listed")
    source = tmp / "root.tar"
    source.write_bytes(b"\0" * 100_000)
    host.transfer_rate = 200_000.0  # half a second: reports, then the end
    await pilot.press("i")
    await until(pilot, lambda: pilot.app.screen is not screen, "the import dialog")
    dialog = pilot.app.screen
    dialog.query_one("#transfer-path", Input).value = str(source)
    dialog.query_one("#transfer-name", Input).value = "late"
    await pilot.pause()
    await pilot.press("enter")
    bar = screen.query_one(TransferBar)
    await until(pilot, lambda: bar.last is not None, "the first report")
    return lambda: not bar.running  # reported to its end


@pytest.mark.parametrize("opener", [dashboard, logs, processes, transfer])
async def test_work_reporting_after_the_widgets_went_fails_nothing(
    opener: Opener, tmp_path: Path
) -> None:
    host = DemoHost(seed=1)  # live: its journal follows
    app = NspawnApp(host, interval=0.1)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        reported = await opener(pilot, host, tmp_path)
        screen: Screen[Any] = app.screen
        await screen.remove_children()  # what the shutdown does before it stops the workers
        await until(
            pilot,
            lambda: reported() or app._exception is not None,
            "reports after the widgets went",
        )
        failed = [
            worker
            for worker in app.workers
            if worker.error is not None and worker.state != WorkerState.CANCELLED
        ]
        assert not failed, [repr(worker.error) for worker in failed]
        assert app.return_code is None and app._exception is None


class Creating(App[None]):
    """The progress view of a scripted creation, alone."""

    def __init__(self, host: CreateHost) -> None:
        super().__init__()
        self.host = host

    def on_mount(self) -> None:
        self.push_screen(CreateProgressScreen(self.host, PLAN, self.host.creation))


@pytest.mark.parametrize("last", [RETRIEVING, DONE])
async def test_a_creation_reporting_after_the_widgets_went_fails_nothing(
    last: CreateProgress,
) -> None:
    host = CreateHost()
    app = Creating(host)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CreateProgressScreen), "the view")
        screen = app.screen
        assert isinstance(screen, CreateProgressScreen)
        host.creation.push(RETRIEVING)
        await until(pilot, lambda: screen.last is not None, "the first reading")
        await screen.remove_children()
        host.creation.push(last)  # a reading, or the end (result, buttons, focus)
        await until(pilot, lambda: screen.last is last, "a reading after the widgets went")
        await pilot.pause(1.1)  # and the clock's tick
        assert screen.finished == (last is DONE)
        assert app.return_code is None and app._exception is None

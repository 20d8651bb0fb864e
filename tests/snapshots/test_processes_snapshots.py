"""Snapshots of the processes screen with fixed data: a frozen demo host, UTC times."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from nspawn_tui.app import styles_dir
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.screens.signal_picker import SignalConfirm
from nspawn_tui.widgets.process_table import ProcessTableView


class Harness(App[None]):
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, name: str) -> None:
        super().__init__()
        self.host = DemoHost(seed=1, frozen=True)
        self.machine = name

    def compose(self) -> ComposeResult:
        yield Static("background")

    def on_mount(self) -> None:
        self.push_screen(ProcessesScreen(self.host, self.machine, 1.0, tz=datetime.UTC))


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(100):
        screen = pilot.app.screen
        if isinstance(screen, ProcessesScreen) and screen.reads:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.1)
    await pilot.pause()


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_processes_tree(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(Harness("web"), terminal_size=size, run_before=_settle)


def test_processes_by_cpu_filtered(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("c", "/", "p", "o", "s", "t", "enter")
        await pilot.pause()

    assert snap_compare(Harness("db"), terminal_size=(80, 24), run_before=run_before)


def test_signal_confirmation(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ProcessesScreen)
        view = screen.query_one(ProcessTableView)
        view.move_cursor(row=next(i for i, r in enumerate(view.shown_rows)
                                  if "nginx: master" in r.command))  # fmt: skip
        await pilot.press("K", "enter")
        for _ in range(100):
            if isinstance(pilot.app.screen, SignalConfirm):
                break
            await pilot.pause(0.02)
        await pilot.pause()

    assert snap_compare(Harness("web"), terminal_size=(120, 40), run_before=run_before)

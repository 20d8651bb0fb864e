"""Snapshot tests of the create form and the progress view, with fixed data (120x40 and 80x24).

The form: a fixed CreateSupport (debootstrap available, pacstrap and dnf
not), a name, a password and port forwards typed in.  The progress view: one
scripted reading during debootstrap's ``Retrieving`` stage, its clock
stopped so the elapsed time cannot move while the frame is taken.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from create_kit import RETRIEVING, SUPPORT, CreateHost, fake_hash
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, Static

from nspawn_tui.app import styles_dir
from nspawn_tui.create.model import CreatePlan
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.screens.create_progress import CreateProgressScreen

SIZES = [(120, 40), (80, 24)]


class Harness(App[None]):
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, make: Callable[[], Screen[None]]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        yield Static("background")

    def on_mount(self) -> None:
        self.push_screen(self.make())


def form() -> CreateForm:
    return CreateForm(CreateHost(), SUPPORT, hasher=fake_hash)


async def _fill(pilot: Pilot[None]) -> None:
    await pilot.pause(0.1)
    screen = pilot.app.screen
    assert isinstance(screen, CreateForm)
    for key, value in (
        ("password", "s3cret"),
        ("password_again", "s3cret"),
        ("ports", "tcp:8080:80, 2222:22"),
        ("name", "web"),  # taken: its message shows under the field
    ):
        box = screen.query_one(f"#f-{key}", Input)
        box.focus()
        await pilot.press(*value)
    await pilot.pause(0.1)


def progress() -> CreateProgressScreen:
    host = CreateHost()
    host.creation.push(RETRIEVING)
    plan = CreatePlan("web1", "debian", "bookworm", enable=True)
    return CreateProgressScreen(host, plan, host.creation, clock=lambda: 0.0)


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause(0.2)
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_create_form(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(Harness(form), terminal_size=size, run_before=_fill)


@pytest.mark.parametrize("size", SIZES, ids=["120x40", "80x24"])
def test_create_progress(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert snap_compare(Harness(progress), terminal_size=size, run_before=_settle)

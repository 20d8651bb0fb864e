"""Snapshot tests of the images screen and its dialogs, with fixed data (frozen demo host, UTC)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from nspawn_tui.app import styles_dir
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.images import TransferProgress
from nspawn_tui.screens.image_confirm import ImageConfirm
from nspawn_tui.screens.image_prompt import ImagePrompt
from nspawn_tui.screens.image_transfer_prompt import TransferPrompt
from nspawn_tui.screens.images import ImagesScreen, limit_problem
from nspawn_tui.widgets.transfer_bar import TransferBar

UTC = datetime.UTC
MiB = 2**20


class Harness(App[None]):
    CSS_PATH = [str(styles_dir() / "app.tcss")]

    def __init__(self, make: Callable[[], Screen[object]]) -> None:
        super().__init__()
        self.make = make

    def compose(self) -> ComposeResult:
        yield Static("background")

    def on_mount(self) -> None:
        self.push_screen(self.make())


def images_screen() -> ImagesScreen:
    # a long interval: one refresh, nothing moves while the snapshot is taken
    return ImagesScreen(DemoHost(seed=1, frozen=True), interval=3600.0, tz=UTC)


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(50):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if not isinstance(screen, ImagesScreen) or screen.refreshes >= 1:
            break
    await pilot.pause(0.2)
    await pilot.pause()


def test_images_screen(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(Harness(images_screen), terminal_size=(120, 40), run_before=_settle)


def test_images_screen_small(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(Harness(images_screen), terminal_size=(80, 24), run_before=_settle)


async def _transfer(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    bar = pilot.app.screen.query_one(TransferBar)
    bar.begin("import of /srv/images/bookworm.tar as bookworm")
    bar.show(TransferProgress(100 * MiB, 240 * MiB, 38 * MiB, 2.6))
    await pilot.pause(0.1)


def test_images_screen_with_a_transfer(snap_compare: Callable[..., bool]) -> None:
    assert snap_compare(Harness(images_screen), terminal_size=(120, 40), run_before=_transfer)


def test_image_remove_confirm(snap_compare: Callable[..., bool]) -> None:
    app = Harness(
        lambda: ImageConfirm(
            "Remove", "debian-base", "directory image, 620M", "machinectl remove debian-base"
        )
    )
    assert snap_compare(app, terminal_size=(100, 30), run_before=_settle)


def test_image_limit_prompt_with_a_bad_value(snap_compare: Callable[..., bool]) -> None:
    def prompt() -> ImagePrompt:
        return ImagePrompt(
            "Size limit of arch-template (btrfs subvolume images; K, M, G, T; 'none' removes it):",
            "lots", check=limit_problem, command=lambda text, _: f"set-limit {text}",
            action="Set limit",
        )  # fmt: skip

    async def submit(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        await pilot.press("enter")
        await pilot.pause(0.1)

    assert snap_compare(Harness(prompt), terminal_size=(100, 30), run_before=submit)


def test_image_import_prompt(snap_compare: Callable[..., bool]) -> None:
    app = Harness(lambda: TransferPrompt(path="/srv/images/bookworm.tar"))
    assert snap_compare(app, terminal_size=(120, 40), run_before=_settle)

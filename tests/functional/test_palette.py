"""The command palette (ctrl+p): every key of the screen by name, processes and images included."""

from __future__ import annotations

from screen_text import screen_text

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.machine_table import MachineTable


async def _ready(app: NspawnApp, pilot: object) -> DashboardScreen:
    for _ in range(200):
        if isinstance(app.screen, DashboardScreen) and app.screen.polls >= 1:
            return app.screen
        await pilot.pause(0.05)  # type: ignore[attr-defined]
    raise AssertionError("the dashboard never polled")


async def _run_command(pilot: object, app: NspawnApp, words: str) -> None:
    await pilot.press("ctrl+p")  # type: ignore[attr-defined]
    await pilot.pause(0.2)  # type: ignore[attr-defined]
    await pilot.press(*words)  # type: ignore[attr-defined]
    await pilot.pause(0.5)  # type: ignore[attr-defined]
    await pilot.press("enter")  # type: ignore[attr-defined]
    await pilot.pause(0.3)  # type: ignore[attr-defined]


async def test_palette_opens_images_and_processes() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        dashboard = await _ready(app, pilot)
        await _run_command(pilot, app, "Images")
        assert isinstance(app.screen, ImagesScreen)
        app.pop_screen()
        await pilot.pause(0.1)
        assert dashboard.query_one(MachineTable).move_cursor_to_name("web")
        await _run_command(pilot, app, "Processes")
        assert isinstance(app.screen, ProcessesScreen) and app.screen.machine == "web"


async def test_palette_lists_the_keys_with_their_help() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"power")
        await pilot.pause(0.5)
        text = screen_text(app)
        assert "Power off" in text and "a clean shutdown (asks) (key p)" in text

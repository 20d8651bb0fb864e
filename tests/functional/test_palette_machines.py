"""The command palette's machine commands: ctrl+p, "shell web", Enter opens a shell in web."""

from __future__ import annotations

from typing import Any

import pytest
from frame_check import frame_problems
from hostile import NAME_MARKUP, HostileHost
from screen_text import notifications, screen_text
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.terminal.relay import RelayResult
from nspawn_tui.widgets.detail_panel import DetailPanel
from nspawn_tui.widgets.machine_table import MachineTable


class FakeAttach:
    """Stands in for the terminal hand-over: records which machine's shell it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, bool]] = []

    def __call__(self, app: NspawnApp, fd: int, login: bool) -> RelayResult:
        screen = app.screen
        name = screen.query_one(MachineTable).cursor_name
        self.calls.append((name, login))
        return RelayResult("escaped", "escaped with ^]^]^]")


async def ready(pilot: Pilot[None], cursor: str | None = None) -> DashboardScreen:
    for _ in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            if cursor is not None:
                assert screen.query_one(MachineTable).move_cursor_to_name(cursor)
            await pilot.pause(0.05)
            return screen
    raise AssertionError("the dashboard never polled")


async def until(pilot: Pilot[None], predicate: Any, what: str) -> None:
    for _ in range(150):
        await pilot.pause(0.03)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


async def type_in_palette(pilot: Pilot[None], words: str) -> str:
    """Open the palette, type ``words``; the text of the highlighted (best) hit."""
    await pilot.press("ctrl+p")
    await until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), "the palette")
    await pilot.press(*words)
    commands = pilot.app.screen.query_one(CommandList)
    await until(pilot, lambda: commands.option_count and commands.highlighted is not None, "hits")
    await pilot.pause(0.3)  # every provider has answered
    option = commands.get_option_at_index(commands.highlighted or 0)
    return str(option.hit.text)  # type: ignore[attr-defined]


async def test_shell_web_opens_a_shell_in_web() -> None:
    attach = FakeAttach()
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2, attach_runner=attach)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot, "cache")  # the cursor elsewhere: the command moves it
        assert await type_in_palette(pilot, "shell web") == "Shell web"
        await pilot.press("enter")
        await until(pilot, lambda: attach.calls, "the shell attach")
        assert attach.calls == [("web", False)]
        await until(pilot, lambda: any("Back from web" in n.title for n in notifications(app)), "")


@pytest.mark.parametrize("words", ["web shell", "sh we", "SHELL WEB", "she web"])
async def test_both_words_in_any_order_find_shell_web(words: str) -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert await type_in_palette(pilot, words) == "Shell web"


async def test_a_hit_shows_its_key_and_logs_cache_opens_the_journal_of_cache() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "web")
        assert await type_in_palette(pilot, "logs cache") == "Logs cache"
        assert "key l · the machine's journal" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert app.screen.names == ["cache"]  # type: ignore[attr-defined]


async def test_boot_and_network_commands_and_a_selection_left_alone() -> None:
    host = DemoHost(seed=1, frozen=True)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await ready(pilot, "cache")
        table = screen.query_one(MachineTable)
        await pilot.press("space")  # cache selected: "Boot debian-base" is not for it
        assert table.selected == {"cache"}
        assert await type_in_palette(pilot, "boot debian") == "Boot debian-base"
        await pilot.press("enter")
        await until(pilot, lambda: host._get("debian-base").state == "running", "boot")
        assert table.selected == set()

        await pilot.press("d")  # the detail panel hidden; "Network web" shows it on web
        panel = screen.query_one(DetailPanel)
        assert not panel.display
        assert await type_in_palette(pilot, "network web") == "Network web"
        await pilot.press("enter")
        await until(pilot, lambda: panel.display, "the detail panel")
        assert table.cursor_name == "web"
        await until(pilot, lambda: "Links:" in screen_text(app), "its network")


async def test_read_only_refuses_a_palette_boot_at_once() -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert await type_in_palette(pilot, "boot debian-base") == "Boot debian-base"
        await pilot.press("enter")
        refusal = ("Read-only", "boot refused: nspawn-tui runs with --read-only")
        await until(
            pilot, lambda: refusal in [(n.title, n.message) for n in notifications(app)], ""
        )
        assert host._get("debian-base").state != "running"


async def test_a_fleet_name_works_too() -> None:
    demos = []
    for index in range(2):
        demo = DemoHost(seed=1 + index, frozen=True, machines=4)
        demo.label = f"demo{index + 1}"
        demos.append(demo)
    attach = FakeAttach()
    app = NspawnApp(FleetHost(demos, clock=lambda: 0.0), interval=0.2, attach_runner=attach)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await until(pilot, lambda: screen.snapshot and screen.snapshot.hosts, "the fleet")
        assert await type_in_palette(pilot, "shell demo2/web") == "Shell demo2/web"
        await pilot.press("enter")
        await until(pilot, lambda: attach.calls, "the shell attach")
        assert attach.calls == [("demo2/web", False)]


async def test_a_hostile_name_in_the_palette_is_inert() -> None:
    app = NspawnApp(HostileHost(), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert await type_in_palette(pilot, "logs app.quit") == f"Logs {NAME_MARKUP}"
        assert f"Logs {NAME_MARKUP}" in screen_text(app)  # literally: not parsed as markup
        assert frame_problems(app) == []
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert app.screen.names == [NAME_MARKUP]  # type: ignore[attr-defined]
        assert app.is_running

"""The detail panel's action bar: clicked, reached with Tab and Left/Right, greyed by state and by read-only."""

from __future__ import annotations

from typing import Any

from frame_check import frame_problems
from hostile import NAME_MARKUP, HostileHost
from screen_text import notifications, screen_text
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.widgets.action_bar import ActionBar, BarButton
from nspawn_tui.widgets.machine_table import MachineTable

RUNNING_ONLY = ("reboot", "shell", "edit", "processes")
CHANGING = ("poweroff", "reboot", "shell", "edit", "settings")  # refused by --read-only


async def on(pilot: Pilot[None], name: str) -> DashboardScreen:
    """The dashboard, polled, with its cursor on ``name`` and the bar showing it."""
    for _ in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            assert screen.query_one(MachineTable).move_cursor_to_name(name)
            await pilot.pause(0.1)
            return screen
    raise AssertionError("the dashboard never polled")


async def until(pilot: Pilot[None], predicate: Any, what: str) -> None:
    for _ in range(150):
        await pilot.pause(0.03)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


def button(screen: DashboardScreen, action: str) -> BarButton | None:
    """The bar's button of ``action`` as drawn now (None: not shown)."""
    return screen.query_one(ActionBar).button(action)


def shown(screen: DashboardScreen, action: str) -> bool:
    return button(screen, action) is not None


def greyed(screen: DashboardScreen, action: str) -> bool:
    found = button(screen, action)
    assert found is not None, f"{action} is not shown"
    return not found.enabled


async def click(pilot: Pilot[None], action: str) -> bool:
    """A click in the middle of ``action``'s button, where the user sees it."""
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen)
    found = button(screen, action)
    assert found is not None, f"{action} is not shown"
    return await pilot.click(ActionBar, offset=(found.x + found.width // 2, 0))


def toasts(app: NspawnApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in notifications(app)]


async def test_a_click_on_logs_opens_the_journal_of_the_machine() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await on(pilot, "web")
        assert await click(pilot, "logs")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert isinstance(app.screen, LogsScreen) and app.screen.names == ["web"]


async def test_tab_reaches_the_bar_arrows_move_and_enter_presses() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, "web")
        bar = screen.query_one(ActionBar)
        assert isinstance(app.focused, MachineTable)
        await pilot.press("tab")  # one stop for the whole bar, as a toolbar is
        assert app.focused is bar
        reached = [bar.cursor_action]
        for _ in range(3):
            await pilot.press("right")
            reached.append(bar.cursor_action)
        # from the left, in order; Boot is not shown for a running machine
        assert reached == ["poweroff", "reboot", "shell", "logs"], reached
        await pilot.press("left", "right", "right", "right", "right", "right", "right", "right")
        assert bar.cursor_action == "processes"  # stops at the last one
        await pilot.press("left", "left", "left")
        assert bar.cursor_action == "logs"
        # the focused button is drawn apart from the others (reverse, the theme's)
        line = bar.render_line(0)
        logs = bar.button("logs")
        assert logs is not None
        styles = {seg.style for seg in line.crop(logs.x, logs.x + logs.width)}
        others = {seg.style for seg in line.crop(0, logs.x - 1)}
        assert styles and others and not styles & others
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        app.pop_screen()
        await pilot.pause(0.1)
        assert screen.query_one(MachineTable).cursor_name == "web"


async def test_boot_for_a_stopped_machine_power_off_for_a_running_one() -> None:
    host = DemoHost(seed=1, frozen=True)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await on(pilot, "web")
        assert shown(screen, "poweroff") and not greyed(screen, "poweroff")
        assert not shown(screen, "boot")
        assert not any(greyed(screen, a) for a in RUNNING_ONLY)

        await on(pilot, "debian-base")
        assert shown(screen, "boot") and not greyed(screen, "boot")
        assert not shown(screen, "poweroff")
        assert all(greyed(screen, a) for a in RUNNING_ONLY)  # greyed: stopped
        assert not greyed(screen, "logs") and not greyed(screen, "settings")
        bar = screen.query_one(ActionBar)
        bar.focus()
        await pilot.pause()
        visited = {bar.cursor_action}
        for _ in range(8):
            await pilot.press("right")
            visited.add(bar.cursor_action)
        assert visited == {"boot", "logs", "settings"}  # the arrows skip greyed buttons
        screen.query_one(MachineTable).focus()

        # a click on a greyed one says why, as its key would
        assert await click(pilot, "shell")
        await until(pilot, lambda: ("Shell", "debian-base is not running") in toasts(app), "why")

        # Boot boots it, with the key's notice; then the bar shows Power off
        assert await click(pilot, "boot")
        await until(pilot, lambda: host._get("debian-base").state == "running", "boot")
        await until(pilot, lambda: shown(screen, "poweroff"), "the bar follows")
        assert not shown(screen, "boot")

        # Power off asks, as its key does
        assert await click(pilot, "poweroff")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert host._get("debian-base").state == "running"


async def test_read_only_greys_what_changes_the_host_and_a_click_refuses() -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await on(pilot, "web")
        assert all(greyed(screen, a) for a in CHANGING), [(a, greyed(screen, a)) for a in CHANGING]
        assert not greyed(screen, "logs") and not greyed(screen, "processes")
        assert await click(pilot, "poweroff")
        await until(
            pilot, lambda: any(t == "Read-only" for t, _ in toasts(app)), "the read-only toast"
        )
        assert ("Read-only", "power off refused: nspawn-tui runs with --read-only") in toasts(app)
        assert isinstance(app.screen, DashboardScreen)  # no dialog first
        assert host._get("web").state == "running"
        await on(pilot, "debian-base")
        assert shown(screen, "boot") and greyed(screen, "boot")
        assert await click(pilot, "boot")
        await until(
            pilot,
            lambda: ("Read-only", "boot refused: nspawn-tui runs with --read-only") in toasts(app),
            "refused",
        )
        assert host._get("debian-base").state != "running"


async def test_the_bar_fits_80_columns_with_the_keys_shown() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await on(pilot, "web")
        bar = screen.query_one(ActionBar)
        drawn = bar.buttons
        assert len(drawn) == 7
        assert all(b.x + b.width <= bar.region.width for b in drawn)
        assert [b.label.plain for b in drawn] == [
            "p Off",
            "r Reboot",
            "s Shell",
            "l Logs",
            "e Limits",
            "N Conf",
            "P Procs",
        ]
        line = next(line for line in screen_text(app).splitlines() if "l Logs" in line)
        assert "p Off" in line and "P Procs" in line
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, "web")
        assert [b.label.plain for b in screen.query_one(ActionBar).buttons] == [
            "p Power off",
            "r Reboot",
            "s Shell",
            "l Logs",
            "e Limits",
            "N Settings",
            "P Processes",
        ]


async def test_a_hostile_name_in_the_bar_is_inert() -> None:
    host = HostileHost()
    app = NspawnApp(host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, NAME_MARKUP)
        assert shown(screen, "logs") and not greyed(screen, "logs")
        assert await click(pilot, "logs")  # markup in the name is not a link to quit
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert isinstance(app.screen, LogsScreen) and app.screen.names == [NAME_MARKUP]
        assert app.is_running
        app.pop_screen()
        await pilot.pause(0.2)
        assert NAME_MARKUP in screen_text(app)  # shown literally in the panel
        assert frame_problems(app) == []


async def test_the_button_under_the_pointer_is_lit_and_leaving_puts_it_out() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, "web")
        bar = screen.query_one(ActionBar)
        shell = bar.button("shell")
        assert shell is not None

        def shell_styles() -> set[object]:
            return {s.style for s in bar.render_line(0).crop(shell.x, shell.x + shell.width)}

        before = shell_styles()
        await pilot.hover(ActionBar, offset=(shell.x + 1, 0))
        lit = shell_styles()
        assert lit != before
        await pilot.hover(MachineTable, offset=(5, 3))
        assert shell_styles() == before


async def test_focus_leaves_the_bar_when_nothing_in_it_can_run() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=30)  # no poll shows "web" again
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, "web")
        bar = screen.query_one(ActionBar)
        await pilot.press("tab")
        assert app.focused is bar
        bar.show(None)  # a fleet's host row: no buttons
        await pilot.pause()
        assert bar.buttons == [] and not bar.focusable
        assert isinstance(app.focused, MachineTable)
        await pilot.press("enter")  # the table's, not a vanished button's
        assert app.is_running

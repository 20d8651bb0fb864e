"""The detail panel's action bar: clicked, reached with Tab, greyed by state and by read-only."""

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
from nspawn_tui.widgets.action_bar import ActionBar, ActionButton
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


def button(screen: DashboardScreen, action: str) -> ActionButton:
    return screen.query_one(f"#bar-{action}", ActionButton)


def toasts(app: NspawnApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in notifications(app)]


async def test_a_click_on_logs_opens_the_journal_of_the_machine() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        await on(pilot, "web")
        assert await pilot.click("#bar-logs")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert isinstance(app.screen, LogsScreen) and app.screen.names == ["web"]


async def test_tab_reaches_the_buttons_and_enter_presses_one() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, "web")
        assert isinstance(app.focused, MachineTable)
        reached = []
        for _ in range(10):
            await pilot.press("tab")
            focused = app.focused
            if isinstance(focused, ActionButton):
                reached.append(focused.spec.action)
            if reached and reached[-1] == "logs":
                break
        # from the table, in order; Boot is not shown for a running machine
        assert reached == ["poweroff", "reboot", "shell", "logs"], reached
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
        assert button(screen, "poweroff").display and not button(screen, "poweroff").disabled
        assert not button(screen, "boot").display
        assert not any(button(screen, a).disabled for a in RUNNING_ONLY)

        await on(pilot, "debian-base")
        assert button(screen, "boot").display and not button(screen, "boot").disabled
        assert not button(screen, "poweroff").display
        assert all(button(screen, a).disabled for a in RUNNING_ONLY)  # greyed: stopped
        assert not button(screen, "logs").disabled and not button(screen, "settings").disabled
        assert not button(screen, "shell").focusable  # Tab skips greyed buttons

        # a click on a greyed one says why, as its key would
        assert await pilot.click("#bar-shell")
        await until(pilot, lambda: ("Shell", "debian-base is not running") in toasts(app), "why")

        # Boot boots it, with the key's notice; then the bar shows Power off
        assert await pilot.click("#bar-boot")
        await until(pilot, lambda: host._get("debian-base").state == "running", "boot")
        await until(pilot, lambda: button(screen, "poweroff").display, "the bar follows")
        assert not button(screen, "boot").display

        # Power off asks, as its key does
        assert await pilot.click("#bar-poweroff")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert host._get("debian-base").state == "running"


async def test_read_only_greys_what_changes_the_host_and_a_click_refuses() -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await on(pilot, "web")
        assert all(button(screen, a).disabled for a in CHANGING), [
            (a, button(screen, a).disabled) for a in CHANGING
        ]
        assert not button(screen, "logs").disabled and not button(screen, "processes").disabled
        assert await pilot.click("#bar-poweroff")
        await until(
            pilot, lambda: any(t == "Read-only" for t, _ in toasts(app)), "the read-only toast"
        )
        assert ("Read-only", "power off refused: nspawn-tui runs with --read-only") in toasts(app)
        assert isinstance(app.screen, DashboardScreen)  # no dialog first
        assert host._get("web").state == "running"
        await on(pilot, "debian-base")
        assert button(screen, "boot").display and button(screen, "boot").disabled
        assert await pilot.click("#bar-boot")
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
        shown = [b for b in bar.buttons if b.display]
        assert len(shown) == 7
        assert all(b.region.right <= bar.region.right for b in shown)
        assert [b.label.plain for b in shown] == [
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
        assert button(screen, "poweroff").label.plain == "p Power off"
        assert button(screen, "processes").label.plain == "P Processes"


async def test_a_hostile_name_in_the_bar_is_inert() -> None:
    host = HostileHost()
    app = NspawnApp(host, interval=0.25)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await on(pilot, NAME_MARKUP)
        assert button(screen, "logs").display and not button(screen, "logs").disabled
        assert await pilot.click("#bar-logs")  # markup in the name is not a link to quit
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        assert isinstance(app.screen, LogsScreen) and app.screen.names == [NAME_MARKUP]
        assert app.is_running
        app.pop_screen()
        await pilot.pause(0.2)
        assert NAME_MARKUP in screen_text(app)  # shown literally in the panel
        assert frame_problems(app) == []

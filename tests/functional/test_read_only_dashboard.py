"""--read-only is visible and immediate on the dashboard.

The header says ``read-only``; the mutating keys are disabled in the footer
and in help; pressing one says at once that the app runs read-only, with no
dialog first and no call to the Host.  (The Host layer's own refusal is
tested in ``tests/unit/host/test_host_read_only.py`` and ``test_actions.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pilot_waits import dashboard_polled
from screen_text import columns, notifications, screen_text
from textual.binding import Binding
from textual.widgets._footer import FooterKey

import nspawn_tui.screens
from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import Host, mutating_methods
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.dashboard_actions import HOST_METHODS
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineTable

#: Every key of the dashboard whose action changes the host, from its bindings.
MUTATING_BINDINGS = [
    binding
    for binding in Binding.make_bindings(DashboardScreen.BINDINGS)
    if binding.action in HOST_METHODS
]

#: The Host methods the UI must not even call for a refused key (the mutating
#: ones, and the reads that open an editor).
WATCHED = (*mutating_methods(DemoHost), "unit_limits", "read_settings")


class HostSpy:
    """Records every call of a watched Host method (and still makes it)."""

    def __init__(self, host: DemoHost, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        for name in WATCHED:
            monkeypatch.setattr(host, name, self._recorder(name, getattr(host, name)))

    def _recorder(self, name: str, method: Any) -> Any:
        async def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await method(*args, **kwargs)

        return record


def machine_state(host: DemoHost, name: str) -> tuple[object, ...]:
    m = host._get(name)
    return (m.state, m.enabled, m.memory_max, m.leader)


#: Mutating Host methods reached from a screen other than the dashboard, by
#: the module of that screen (its own tests check the read-only refusal).
OTHER_SCREENS = {
    "signal_process": "processes",
    "clone_image": "images",
    "rename_image": "images",
    "remove_image": "images",
    "set_image_read_only": "images",
    "set_image_limit": "images",
    "import_image": "images",
    "export_image": "images",
}


def test_every_mutating_host_method_has_its_dashboard_key() -> None:
    """HOST_METHODS cannot drift: each marked method is reached by a bound action."""
    assert set(HOST_METHODS.values()) | set(OTHER_SCREENS) == set(mutating_methods(Host))
    screens = Path(nspawn_tui.screens.__file__).parent
    for method, module in OTHER_SCREENS.items():
        assert f".{method}(" in (screens / f"{module}.py").read_text(encoding="utf-8"), method
    bound = {binding.action for binding in Binding.make_bindings(DashboardScreen.BINDINGS)}
    for action in HOST_METHODS:
        assert action in bound, action
        assert callable(getattr(DashboardScreen, f"action_{action}")), action


def test_the_mutating_keys_are_the_ones_expected() -> None:
    """The list below is derived; this pins it, so a lost key fails here."""
    assert {b.key for b in MUTATING_BINDINGS} == set("bprtKaAeNsSLn")


@pytest.mark.parametrize("name", ["web", "debian-base"])
async def test_each_mutating_key_is_refused_at_once_without_a_dialog(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    host = DemoHost(seed=1, frozen=True, read_only=True)
    spy = HostSpy(host, monkeypatch)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await dashboard_polled(pilot)
        before = machine_state(host, name)
        for binding in MUTATING_BINDINGS:
            app.clear_notifications()
            assert screen.query_one(MachineTable).move_cursor_to_name(name)
            await pilot.press(binding.key)  # the message is there when the key is handled
            shown = notifications(app)
            assert len(shown) == 1, f"{binding.key}: {shown}"
            assert shown[0].title == "Read-only"
            assert "--read-only" in shown[0].message, binding.key
            assert HOST_METHODS[binding.action] in mutating_methods(DemoHost)
            action = mutating_methods(DemoHost)[HOST_METHODS[binding.action]]
            assert shown[0].message.startswith(f"{action} refused"), shown[0].message
            await pilot.pause(0.1)  # a dialog would be up by now
            assert app.screen is screen and len(app.screen_stack) == 2, binding.key
            assert "Read-only" in screen_text(app), binding.key  # the toast is drawn
        await pilot.pause(0.3)  # a poll or two later
        assert spy.calls == []
        assert machine_state(host, name) == before
        assert not screen._pending


async def test_the_other_keys_still_work_on_a_read_only_host() -> None:
    """Control: only the mutating keys are refused (logs, CPU mode, help open)."""
    from nspawn_tui.screens.logs import LogsScreen

    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=True), interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await dashboard_polled(pilot)
        await pilot.press("c")
        assert screen.cpu_per_host
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape", "l")
        await pilot.pause(0.1)
        assert isinstance(app.screen, LogsScreen)
        assert not any("read-only" in n.message for n in notifications(app))


async def test_a_writable_host_asks_as_before(demo_app: NspawnApp) -> None:
    """Control: the same key on a writable host opens its confirmation."""
    from nspawn_tui.screens.confirm import ConfirmScreen

    async with demo_app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await dashboard_polled(pilot)
        assert screen.query_one(MachineTable).move_cursor_to_name("web")
        await pilot.press("p")
        await pilot.pause(0.1)
        assert isinstance(demo_app.screen, ConfirmScreen)
        assert not notifications(demo_app)


@pytest.mark.parametrize("read_only", [True, False])
async def test_footer_shows_the_mutating_keys_disabled(read_only: bool) -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=read_only), interval=0.2)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await dashboard_polled(pilot)
        mutating_shown = {b.action for b in MUTATING_BINDINGS if b.show}
        for _ in range(100):  # the footer composes its keys after the first frame
            keys = {key.action: key for key in screen.query(FooterKey)}
            if mutating_shown <= set(keys):
                break
            await pilot.pause(0.02)
        assert mutating_shown == {
            "boot",
            "poweroff",
            "reboot",
            "terminate",
            "kill",
            "edit",
            "shell",
        }
        assert mutating_shown <= set(keys)
        for action, key in keys.items():
            disabled = read_only and action in HOST_METHODS
            assert key.has_class("-disabled") == disabled, action
        assert {"filter", "logs", "cpu_mode", "quit", "help"} <= set(keys)


@pytest.mark.parametrize("read_only", [True, False])
async def test_header_says_read_only(read_only: bool) -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=read_only), interval=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await dashboard_polled(pilot)
        await pilot.pause()
        header = str(screen.query_one(HostHeader).render())
        first_line = screen_text(app).splitlines()[0]
        assert "demo-host" in first_line
        if read_only:
            assert header.startswith("read-only │ demo-host")
            assert first_line.strip().startswith("read-only │")  # seen even at 80 columns
        else:
            assert "read-only" not in header


async def test_help_shows_the_mutating_keys_disabled() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=True), interval=0.2)
    async with app.run_test(size=(120, 80)) as pilot:
        await dashboard_polled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        keys_section = text.split("In the journal view")[0]
        assert "Keys  (disabled: nspawn-tui runs read-only)" in keys_section
        rows = {cells[1]: cells for cells in map(columns, keys_section.splitlines())
                if len(cells) >= 2}  # fmt: skip
        for binding in Binding.make_bindings(DashboardScreen.BINDINGS):
            display = app.get_key_display(binding)
            if binding.action in HOST_METHODS:
                cells = rows[f"{binding.description} (disabled)"]
            else:
                cells = rows[binding.description]
            assert display in cells[0].split(), (display, cells)
        assert "^] ^] ^]" in text  # the way back from a shell: disabled too
        assert "Back (disabled)" in text

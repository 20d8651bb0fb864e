"""Served in a browser (``NspawnApp(web=True)``): a shell or login is refused, never attached.

The app of a browser tab has no terminal of its own to hand to a shell; it
must say so and never call the attach runner (which would suspend the app
and take over the server's terminal), nor open a shell in the machine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.terminal.relay import RelayResult
from tests.functional.test_actions import Recorder, ready, until

REFUSAL = "a shell needs a terminal: use nspawn-tui shell NAME over ssh"


class Calls:
    """What reached the attach runner and the host's shell opening."""

    def __init__(self, host: DemoHost, monkeypatch: pytest.MonkeyPatch) -> None:
        self.runner: list[bool] = []
        self.opened: list[str] = []
        original = host._do_open_shell

        async def open_shell(name: str, user: str, command: Sequence[str]) -> int:
            self.opened.append(name)
            return await original(name, user, command)

        monkeypatch.setattr(host, "_do_open_shell", open_shell)

    def run(self, app: NspawnApp, fd: int, login: bool) -> RelayResult:
        self.runner.append(login)
        return RelayResult("escaped", "escaped with ^]^]^]")


@pytest.mark.parametrize("web", [True, False])
async def test_shell_key_in_browser_is_refused(
    web: bool, demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(demo_host, monkeypatch)
    app = NspawnApp(demo_host, interval=0.2, attach_runner=calls.run, web=web)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "web")
        assert demo_host._get("web").state == "running"
        await pilot.press("s")
        if web:
            await until(pilot, lambda: REFUSAL in rec.text(), "the refusal")
            await pilot.pause(0.2)
            assert calls.runner == []
            assert calls.opened == []  # refused before a shell is opened in the machine
            assert ("Shell", REFUSAL, "warning") in rec.messages
        else:  # the control: the same key attaches in a terminal
            await until(pilot, lambda: calls.runner == [False], "the attach runner")
            assert calls.opened == ["web"]
            assert REFUSAL not in rec.text()


async def test_login_and_palette_action_refused(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(demo_host, monkeypatch)
    app = NspawnApp(demo_host, interval=0.2, attach_runner=calls.run, web=True)
    rec = Recorder(app, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot, "web")
        await pilot.press("L")
        login = "a login needs a terminal: use nspawn-tui login NAME over ssh"
        await until(pilot, lambda: login in rec.text(), "the login refusal")
        await screen.run_action("shell")  # the way the palette and the action bar run it
        await until(pilot, lambda: rec.text().count(REFUSAL) == 1, "the shell refusal")
        assert calls.runner == []
        assert calls.opened == []


async def test_attach_pty_never_runs_the_runner_in_a_browser(
    demo_host: DemoHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = Calls(demo_host, monkeypatch)
    app = NspawnApp(demo_host, attach_runner=calls.run, web=True)
    read, write = os.pipe()
    try:
        result = app.attach_pty(read, False)
    finally:
        os.close(read)
        os.close(write)
    assert result == RelayResult("error", REFUSAL)
    assert calls.runner == []
    served = NspawnApp(demo_host, attach_runner=calls.run, web=False)
    assert served.attach_pty(-1, True).reason == "escaped"  # the control
    assert calls.runner == [True]

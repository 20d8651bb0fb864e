"""A tree made by ``nspawn-tui create`` boots from the dashboard's list on a real systemd host.

Run inside the outer by ``tests/lab/test_lab_create_nested.py``, which made the
tree (debootstrap, systemd-firstboot, the ``.nspawn``) into the outer's
``/var/lib/machines``. Here the app (Pilot) on the outer's machined finds it
stopped, ``b`` boots it through the outer's systemd (``systemd-nspawn@NAME``),
and a login over ``OpenMachineLogin`` with the password given at creation
answers with its host name.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from inner_actions.inner_helpers import read_until, show, systemctl, unit
from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import HostError
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.machine_table import MachineTable

NAME = os.environ.get("NTL_CREATED", "")
HOSTNAME = os.environ.get("NTL_CREATED_HOSTNAME", "")
PASSWORD = os.environ.get("NTL_CREATED_PASSWORD", "")


async def until(
    pilot: Pilot[None], predicate: Callable[[], Any], what: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.1)


async def test_the_created_tree_boots_from_the_list_and_takes_its_password() -> None:
    assert NAME and HOSTNAME and PASSWORD
    try:
        await boot_from_the_list()
        fd = await login_pty()
        try:
            read_until(fd, lambda data: b"login: " in data, 60, hangups=True)
            os.write(fd, b"root\n")
            read_until(fd, lambda data: b"Password:" in data, 15, hangups=True)
            os.write(fd, PASSWORD.encode() + b"\n")
            prompt = f"root@{HOSTNAME}:~# ".encode()
            said = read_until(
                fd, lambda data: prompt in data or b"incorrect" in data, 20, hangups=True
            )
            assert prompt in said, said
            os.write(fd, b"exit\n")
        finally:
            os.close(fd)
    finally:
        systemctl("stop", unit(NAME))  # waits until it stopped


async def boot_from_the_list() -> None:
    """The app lists NAME stopped; ``b`` on its row; systemd and the table say it runs."""
    app = NspawnApp(MachinedHost(), interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:

        def listed_stopped() -> bool:
            screen = app.screen
            if not isinstance(screen, DashboardScreen) or screen.polls < 1:
                return False
            table = screen.query_one(MachineTable)
            row = table.row(NAME)
            return row is not None and not row.running and table.move_cursor_to_name(NAME)

        await until(pilot, listed_stopped, f"{NAME} listed as stopped", 20)
        await pilot.press("b")
        await until(pilot, lambda: show(NAME, "ActiveState")["ActiveState"] == "active",
                    f"{unit(NAME)} active", 60)  # fmt: skip
        table = app.screen.query_one(MachineTable)
        await until(pilot, lambda: (r := table.row(NAME)) is not None and r.running,
                    f"{NAME} running in the table", 60)  # fmt: skip


async def login_pty() -> int:
    """machined's login PTY of NAME, once its system bus is up (it is, a moment after boot)."""
    host = MachinedHost()
    await host.connect()
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                return await host.open_login(NAME)
            except HostError as exc:
                if "no system bus" not in str(exc) or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await host.close()

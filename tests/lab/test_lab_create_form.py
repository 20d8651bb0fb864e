"""The create form (``n``) on the real lab, as a user fills it in, then a login with its password.

The app (Pilot) runs on the flat lab's machined. ``n`` opens the form with
what this host can do (debootstrap found, this host's apt mirror); the name,
host name and root password (twice) are typed key by key and ``ctrl+s``
creates. The progress screen follows the real debootstrap to its end (every
step done), Esc returns to the dashboard, where machined now lists the new
tree. The lab boots it (the flat lab has no service manager to start
``systemd-nspawn@`` units) and a login over machined's ``OpenMachineLogin``,
the PTY the dashboard's login attach uses, takes ``root`` and the typed
password and gives a root shell that answers with the host name. A second
creation is stopped from its progress screen (Esc, then y) while debootstrap
retrieves: nothing of it is left in ``/var/lib/machines``, no process of it runs.

One full creation (debootstrap minbase: about 40 s here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import labkit
import pytest
from inner_actions.inner_helpers import read_until
from labkit.common import MACHINES_DIR
from labkit.pilot import dashboard, until
from screen_text import notifications, screen_text
from test_lab_create import _leftover_processes, _remove
from textual.pilot import Pilot
from textual.widgets import Input

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.screens.create_progress import CreateProgressScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.machine_table import MachineTable

NAME = "ntl-formnew"
CANCELLED = "ntl-formcancel"
HOSTNAME = "formnew-host"
PASSWORD = "form-Pass-17"
SIZE = (120, 40)
CREATE_TIMEOUT = 600.0


@pytest.fixture
def lab(lab_host: labkit.FlatLab) -> Iterator[labkit.FlatLab]:
    _remove(NAME)
    _remove(CANCELLED)
    try:
        yield lab_host
    finally:
        if NAME in lab_host.containers:
            lab_host.stop(NAME)
        _remove(NAME)
        _remove(CANCELLED)


async def type_into(pilot: Pilot[None], form: CreateForm, key: str, text: str) -> None:
    """Focus the field ``key`` and type ``text`` key by key, as a user would."""
    box = form.query_one(f"#f-{key}", Input)
    box.focus()
    await pilot.pause()
    await pilot.press(*text)
    assert box.value == text, (key, box.value)


async def open_form(pilot: Pilot[None]) -> CreateForm:
    """``n`` on the dashboard; the form once it has the host's support."""
    app = pilot.app
    await pilot.press("n")
    form = await until(
        pilot,
        lambda: s if isinstance(s := app.screen, CreateForm) and s.support else None,
        timeout=20,
        what="the form with the host's support",
        details=lambda: details(pilot),
    )
    assert form.support is not None
    return form


async def create(pilot: Pilot[None]) -> CreateProgressScreen:
    """``ctrl+s`` on the form; the progress screen it opens."""
    app = pilot.app
    await pilot.press("ctrl+s")
    return await until(
        pilot,
        lambda: s if isinstance(s := app.screen, CreateProgressScreen) else None,
        timeout=20,
        what="the progress screen",
        details=lambda: details(pilot),
    )


def details(pilot: Pilot[None]) -> str:
    toasts = "\n".join(n.message for n in notifications(pilot.app))
    return f"{screen_text(pilot.app)}\ntoasts:\n{toasts}"


async def test_create_from_the_form_then_log_in_with_its_password(lab: labkit.FlatLab) -> None:
    app = NspawnApp(MachinedHost(lab.bus_address), interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await dashboard(pilot)
        form = await open_form(pilot)
        assert form.support is not None
        debootstrap = next(b for b in form.support.bootstrappers if "debian" in b.distros)
        assert debootstrap.available, form.support  # the lab installs it
        await type_into(pilot, form, "name", NAME)
        await type_into(pilot, form, "hostname", HOSTNAME)
        await type_into(pilot, form, "password", PASSWORD)
        await type_into(pilot, form, "password_again", PASSWORD)
        await pilot.pause()
        shown = screen_text(app)
        assert PASSWORD not in shown  # typed, never drawn
        assert "debootstrap --variant=minbase" in shown and NAME in shown  # the preview
        progress = await create(pilot)
        started = time.monotonic()
        seen_stages: set[str] = set()

        def ended() -> bool | None:
            text = screen_text(app)
            seen_stages.update(s for s in ("Retrieving", "Extracting", "Unpacking") if s in text)
            return True if progress.finished or progress.failed else None

        await until(pilot, ended, timeout=CREATE_TIMEOUT, what="the creation to end",
                    details=lambda: details(pilot))  # fmt: skip
        print(f"created through the form in {time.monotonic() - started:.1f} s")
        assert not progress.failed, details(pilot)
        assert seen_stages, "no debootstrap stage was ever drawn"
        assert PASSWORD not in screen_text(app)
        await pilot.press("escape")
        screen = await until(
            pilot,
            lambda: s if isinstance(s := app.screen, DashboardScreen) else None,
            timeout=10,
            what="the dashboard again",
        )
        table = screen.query_one(MachineTable)
        await until(pilot, lambda: True if NAME in table.visible_names else None, timeout=15,
                    what=f"{NAME} in the table", details=lambda: details(pilot))  # fmt: skip

        # a second creation, stopped from its progress screen while debootstrap retrieves
        form = await open_form(pilot)
        await type_into(pilot, form, "name", CANCELLED)
        progress = await create(pilot)

        def retrieving() -> bool | None:
            last = progress.last
            return True if last and last.stage == "Retrieving" and last.done else None

        await until(pilot, retrieving, timeout=120, what="debootstrap retrieving",
                    details=lambda: details(pilot))  # fmt: skip
        tree = MACHINES_DIR / CANCELLED
        assert tree.is_dir()  # really under way
        await pilot.press("escape")
        await until(pilot, lambda: True if isinstance(app.screen, ConfirmScreen) else None,
                    timeout=5, what="the question")  # fmt: skip
        assert "Stop creating this container?" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: True if progress.failed else None, timeout=60,
                    what="the cancel to end", details=lambda: details(pilot))  # fmt: skip
        assert progress.cancelled and not progress.finished
        assert "nothing left in /var/lib/machines" in screen_text(app), details(pilot)
        assert not tree.exists()
        assert not list(MACHINES_DIR.glob(f"*{CANCELLED}*"))
        assert _leftover_processes(CANCELLED) == []
        await pilot.press("escape")

    # the tree: systemd-firstboot's host name and a hashed root password
    tree = MACHINES_DIR / NAME
    assert (tree / "etc/hostname").read_text().strip() == HOSTNAME
    assert PASSWORD not in (tree / "etc/shadow").read_text()
    # booted by the lab, a login over machined's PTY with the password typed in the form
    lab.boot(NAME)
    host = MachinedHost(lab.bus_address)
    await host.connect()
    try:
        fd = await host.open_login(NAME)
    finally:
        await host.close()
    try:
        read_until(fd, lambda data: b"login: " in data, timeout=30, hangups=True)
        os.write(fd, b"root\n")
        read_until(fd, lambda data: b"Password:" in data, timeout=15, hangups=True)
        os.write(fd, PASSWORD.encode() + b"\n")
        prompt = f"root@{HOSTNAME}:~# ".encode()
        said = read_until(fd, lambda data: prompt in data or b"incorrect" in data, timeout=20)
        assert prompt in said, said  # not "Login incorrect"
        os.write(fd, b"echo logged-in-as-$(id -un)\n")  # after the prompt: no type-ahead
        read_until(fd, lambda data: b"logged-in-as-root\r\n" in data, timeout=10)  # output
        os.write(fd, b"exit\n")
    finally:
        os.close(fd)

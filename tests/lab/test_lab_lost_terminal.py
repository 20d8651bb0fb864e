"""A lost terminal ends the installed app and its real ``journalctl`` children (flat lab).

The app runs as after ``setsid nspawn-tui`` in a tmux pane: on a new PTY, in a
session of its own, so closing the PTY's master side sends it no SIGHUP. Its
log view of ``ntl-alpha`` reads the journal through real ``journalctl -M``
processes (children of the app); after the hang-up none of them may be left.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import labkit
import psutil
import pytest
from pty_app import PtyApp

from nspawn_tui.terminal.lifeline import EXIT_HANGUP, EXIT_TERMINATED

LIMIT = 2.0


@pytest.fixture
def apps() -> Iterator[list[PtyApp]]:
    started: list[PtyApp] = []
    yield started
    for app in started:
        app.close()


def journal_readers(
    app: PtyApp, names: tuple[str, ...], timeout: float = 20.0
) -> list[psutil.Process]:
    """The app's journalctl children, once there is one for each of ``names``."""
    end = time.monotonic() + timeout
    while True:
        app.pump(0.1)
        readers = [p for p in app.descendants() if _is_journalctl(p)]
        cmdlines = [" ".join(p.cmdline()) for p in readers]
        if all(any(name in line for line in cmdlines) for name in names):
            return readers
        if app.proc.poll() is not None or time.monotonic() > end:
            raise AssertionError(
                f"no journalctl for each of {names}: {cmdlines} {app.text()[-500:]!r}"
            )


def _is_journalctl(proc: psutil.Process) -> bool:
    try:
        return proc.name() == "journalctl"
    except psutil.NoSuchProcess:
        return False


def test_lost_terminal_ends_the_app_and_its_journalctl(
    flat_lab: labkit.FlatLab, apps: list[PtyApp]
) -> None:
    app = PtyApp(["--bus", flat_lab.bus_address], env=flat_lab.env)
    apps.append(app)
    app.wait_for("ntl-alpha")
    app.send(b"/", wait_for="filter by name")
    app.send(b"ntl-alpha\r")
    end = time.monotonic() + 1.5  # the filter keeps the one row; the table takes the focus
    while time.monotonic() < end:
        app.pump(0.1)
    app.send(b"l")
    readers = journal_readers(app, ("ntl-alpha",))
    children = app.descendants()
    app.hang_up()
    elapsed = app.wait_gone(children, LIMIT)
    assert app.proc.returncode == EXIT_HANGUP
    assert not any(_alive(p) for p in readers), elapsed


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGHUP, EXIT_HANGUP), (signal.SIGTERM, EXIT_TERMINATED)]
)
def test_signal_ends_the_merged_log_view_and_its_journalctl(
    flat_lab: labkit.FlatLab, apps: list[PtyApp], signum: int, status: int
) -> None:
    app = PtyApp(["--bus", flat_lab.bus_address, "logs", "ntl-alpha", "ntl-beta"], env=flat_lab.env)
    apps.append(app)
    readers = journal_readers(app, ("ntl-alpha", "ntl-beta"))
    children = app.descendants()
    os.kill(app.proc.pid, signum)
    app.wait_gone(children, LIMIT)
    assert app.proc.returncode == status
    assert not any(_alive(p) for p in readers)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

"""Shell attach on the flat lab: machined's real OpenMachineShell, our relay,
the dashboard in tmux and the ``nspawn-tui shell`` command line.

machined's OpenMachineShell works on the flat lab (no systemd manager needed);
it hands back a PTY master over D-Bus fd passing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import labkit
import pytest
from conftest import FLAT_RUNNING
from inner_actions.inner_helpers import read_until

from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.terminal.relay import ESCAPE_HINT, RelayResult, relay

ALPHA = FLAT_RUNNING[0]
OTHER = FLAT_RUNNING[1]
NSPAWN_TUI = Path(sys.prefix) / "bin" / "nspawn-tui"


@pytest.fixture
async def host(flat_lab: labkit.FlatLab) -> AsyncIterator[MachinedHost]:
    machined_host = MachinedHost(flat_lab.bus_address)
    await machined_host.connect()
    try:
        yield machined_host
    finally:
        await machined_host.close()


async def test_open_shell_runs_a_command(host: MachinedHost) -> None:
    fd = await host.open_shell(ALPHA, "root", ["/bin/sh", "-c", "echo hello-$((6*7))"])
    try:
        output = read_until(fd, lambda data: False)  # until the command exits
    finally:
        os.close(fd)
    assert b"hello-42" in output, output
    assert b"$((6*7))" not in output  # the container's shell evaluated it


async def test_open_shell_as_another_user(host: MachinedHost) -> None:
    fd = await host.open_shell(ALPHA, "nobody", ["/usr/bin/id", "-un"])
    try:
        output = read_until(fd, lambda data: False)
    finally:
        os.close(fd)
    assert b"nobody" in output, output


async def test_open_login_shows_a_login_prompt(host: MachinedHost) -> None:
    fd = await host.open_login(ALPHA)
    try:
        # agetty's prompt names the machine: "NAME login: "
        output = read_until(fd, lambda data: f"{ALPHA} login: ".encode() in data, hangups=True)
    finally:
        os.close(fd)
    assert f"{ALPHA} login: ".encode() in output


async def test_interactive_shell_through_the_relay_and_escape(host: MachinedHost) -> None:
    master = await host.open_shell(ALPHA, "root", [])
    user_side, terminal = os.openpty()  # the person's terminal: we type into user_side
    results: list[RelayResult] = []
    thread = threading.Thread(
        target=lambda: results.append(relay(master, stdin_fd=terminal, stdout_fd=terminal)),
        daemon=True,
    )
    try:
        thread.start()
        # the banner, then the shell's prompt (typed ahead, bash would drop it)
        shown = read_until(user_side, lambda data: ESCAPE_HINT.encode() in data)
        if not shown.rstrip().endswith(b"#"):
            shown += read_until(user_side, lambda data: data.rstrip().endswith(b"#"))
        assert f"root@{ALPHA}".encode() in shown
        os.write(user_side, b"echo X$((40+2))X\r")
        output = read_until(user_side, lambda data: b"X42X" in data)
        assert b"X42X" in output
        os.write(user_side, b"\x1d\x1d\x1d")
        thread.join(10)
        assert not thread.is_alive(), "the relay did not return on ^]^]^]"
        assert [result.reason for result in results] == ["escaped"]
    finally:
        if thread.is_alive():  # an assertion failed: end the relay as a person would
            os.write(user_side, b"\x1d\x1d\x1d")
            thread.join(10)
        os.close(master)
        os.close(user_side)
        os.close(terminal)


# ---------------------------------------------------------------- as a person


class Tmux:
    """One tmux server of our own (``-L``), so no one else's sessions are touched."""

    def __init__(self) -> None:
        self.socket = f"ntl-attach-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "lab")

    def wait(self, predicate: Callable[[str], bool], what: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    server = Tmux()
    try:
        yield server
    finally:
        server("kill-server")


def table_rows(screen: str) -> list[str]:
    """Names in the first column of the machine table (rows below the header)."""
    lines = screen.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("NAME"))
    rows = []
    for line in lines[header + 1 :]:
        if not line.strip() or not re.match(r"^\S", line):
            break
        rows.append(line.split()[0])
    return rows


def test_shell_from_the_dashboard_in_tmux(flat_lab: labkit.FlatLab, tmux: Tmux) -> None:
    command = f"{NSPAWN_TUI} --bus {flat_lab.bus_address}"
    tmux("new-session", "-d", "-s", "lab", "-x", "120", "-y", "40", command)
    tmux("set-option", "-t", "lab", "remain-on-exit", "on")
    tmux.wait(lambda s: ALPHA in s and OTHER in s, "the dashboard with both machines")

    tmux("send-keys", "-t", "lab", "/")
    tmux.wait(lambda s: "filter by name" in s, "the filter box")
    tmux("send-keys", "-t", "lab", "-l", "alpha")
    tmux("send-keys", "-t", "lab", "Enter")
    before = tmux.wait(lambda s: table_rows(s) == [ALPHA], f"only {ALPHA} listed")

    tmux("send-keys", "-t", "lab", "s")
    tmux.wait(lambda s: "Press ^] three times" in s, "the shell's banner")
    tmux("send-keys", "-t", "lab", "-l", "cat /etc/hostname")
    tmux("send-keys", "-t", "lab", "Enter")
    # the hostname alone on a line: cat's output, not the prompt or the command
    tmux.wait(lambda s: any(line.strip() == ALPHA for line in s.splitlines()), "cat's output")

    tmux("send-keys", "-t", "lab", "C-]", "C-]", "C-]")
    after = tmux.wait(
        lambda s: f"Back from {ALPHA}" in s and "NAME" in s and table_rows(s) == [ALPHA],
        "the dashboard back, still filtered",
    )
    header = next(line for line in after.splitlines() if line.startswith("NAME"))
    assert header == next(line for line in before.splitlines() if line.startswith("NAME"))
    assert "running" in next(line for line in after.splitlines() if line.startswith(ALPHA))

    tmux("send-keys", "-t", "lab", "q")
    # The app leaves the alternate screen: the dashboard is gone and what the
    # shell printed on the normal screen shows again (tmux may mark the pane
    # dead only later, so the dashboard's absence is what counts).
    tmux.wait(
        lambda s: "Pane is dead" in s or not any(ln.startswith("NAME") for ln in s.splitlines()),
        "the app to quit",
    )


def test_shell_command_line(flat_lab: labkit.FlatLab) -> None:
    """``nspawn-tui shell NAME -- COMMAND`` on a terminal: output, then exit 0."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(NSPAWN_TUI), "--bus", flat_lab.bus_address, "shell", ALPHA, "--",
         "/bin/sh", "-c", "echo cli-$((1+1))-ok"],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    try:
        output = read_until(master, lambda data: False, timeout=30)
        assert proc.wait(10) == 0, output
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        os.close(master)
    assert b"cli-2-ok" in output, output

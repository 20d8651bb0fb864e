"""A fleet through the real TUI: this machine (the flat lab) and a real remote systemd host
(``ntl-fleet``, a nested lab behind its own sshd on loopback, with memory accounting) in one
table, driven with keys in tmux as a person would.

HOME and XDG_CONFIG_HOME point into the test's directory: the user's ``~/.ssh`` and
``~/.config`` are never read; ssh gets the test's own ``-F`` config.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import labkit
import pytest
from conftest import FLEET_RUNNING, FLEET_STOPPED
from labkit.sshd import SshAccess
from test_e2e_tmux import Tmux, wait_screen

NSPAWN_TUI = Path(sys.prefix) / "bin" / "nspawn-tui"
LOCAL = "ntl-alpha"


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    terminal = Tmux(tmp_path / "tmux.sock")
    try:
        yield terminal
    finally:
        terminal.close()


def app_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }


def row(name: str, state: str = "running") -> Callable[[str], object]:
    pattern = re.compile(rf"^\W*{re.escape(name)}\s+{state}\b", re.MULTILINE)
    return lambda screen: pattern.search(screen)


def host_row(label: str, state: str) -> re.Pattern[str]:
    return re.compile(rf"^\W*[▾▸]\s*{re.escape(label)}\s+{state}\b", re.MULTILINE)


def wait(tmux: Tmux, probe: Callable[[str], object], what: str, timeout: float = 30) -> str:
    return wait_screen(tmux, probe, timeout=timeout, what=what)


def filter_to(tmux: Tmux, text: str) -> None:
    tmux.keys("Escape")  # an earlier filter cleared: the empty line shows its placeholder
    wait(tmux, lambda s: "filter: '" not in s, "no filter")
    tmux.keys("/")
    wait(tmux, lambda s: "filter by name" in s, "the filter line")
    tmux.keys(text, literal=True)
    tmux.keys("Enter")
    wait(tmux, lambda s: f"filter: '{text}'" in s, f"the filter {text!r}")
    tmux.keys("End")  # the machine, not its host's row above it


def test_local_and_remote_in_one_table_with_shell_actions_logs_and_a_dropped_sshd(
    flat_lab: labkit.FlatLab,
    fleet_outer: labkit.NestedLab,
    fleet_ssh: SshAccess,
    tmux: Tmux,
    tmp_path: Path,
) -> None:
    remote = fleet_ssh.alias
    argv = [str(NSPAWN_TUI), "--bus", flat_lab.bus_address, "--host", "local", "--host", remote]
    tmux.start([*argv, "--ssh-config", str(fleet_ssh.config)], app_env(tmp_path))
    # both hosts, grouped: each host row, then its machines
    screen = wait(
        tmux,
        lambda s: (
            host_row("local", "up").search(s)
            and host_row(remote, "up").search(s)
            and row(LOCAL)(s)
            and row(FLEET_RUNNING)(s)
            and row(FLEET_STOPPED, "stopped")(s)
        ),
        "both hosts with their machines",
        timeout=60,
    )
    lines = screen.splitlines()
    local_at = next(i for i, line in enumerate(lines) if host_row("local", "up").search(line))
    remote_at = next(i for i, line in enumerate(lines) if host_row(remote, "up").search(line))
    alpha_at = next(i for i, line in enumerate(lines) if row(LOCAL)(line))
    web_at = next(i for i, line in enumerate(lines) if row(FLEET_RUNNING)(line))
    assert local_at < alpha_at < remote_at < web_at, screen
    assert "2 hosts (2 up)" in screen, screen
    # the remote machine's memory, accounted by its systemd, read over ssh
    web_line = lines[web_at]
    assert re.search(r"\d+(?:\.\d)?[KMG]", web_line), web_line

    # boot the remote stopped machine from the app, and power it off again
    filter_to(tmux, FLEET_STOPPED)
    tmux.keys("b")
    wait(tmux, row(FLEET_STOPPED, "running"), f"{FLEET_STOPPED} running", timeout=90)
    assert fleet_outer.inner_state(FLEET_STOPPED) == "running"
    tmux.keys("p")
    wait(tmux, lambda s: "(y)" in s, "the power-off question")
    tmux.keys("y")
    wait(tmux, row(FLEET_STOPPED, "stopped"), f"{FLEET_STOPPED} stopped again", timeout=90)
    assert fleet_outer.inner_state(FLEET_STOPPED) is None

    # a shell in the remote machine (ssh -t … machinectl shell), and back with ^]^]^]
    filter_to(tmux, FLEET_RUNNING)
    tmux.keys("s")
    wait(tmux, lambda s: re.search(r"^root@ntl-fleet-web[^\n]*# ?$", s, re.M), "a root prompt")
    tmux.keys("echo REMOTE-$((6*7))", "Enter")
    wait(tmux, lambda s: "REMOTE-42" in s, "the command's output")
    tmux.keys("C-]", "C-]", "C-]")
    wait(tmux, host_row(remote, "up").search, "the dashboard again")

    # the remote sshd goes away (and its sessions): that host is down, the local one carries on
    tmux.keys("Escape")  # clear the filter: both hosts again
    fleet_outer.run(["systemctl", "stop", "ssh"])
    fleet_outer.run(["pkill", "-f", "sshd: root"])
    screen = wait(tmux, host_row(remote, "down").search, "the remote host marked down", 60)
    before = tmux.screen()
    time.sleep(2.5)
    assert row(LOCAL)(tmux.screen()) and host_row("local", "up").search(tmux.screen()), before
    fleet_outer.run(["systemctl", "start", "ssh"])
    wait(tmux, host_row(remote, "up").search, "the remote host back up", 90)
    wait(tmux, row(FLEET_RUNNING), f"{FLEET_RUNNING} listed again")
    tmux.keys("q")
    wait(tmux, lambda _s: tmux.pane("#{pane_dead}") == "1", "nspawn-tui to quit")

"""A real remote host over real ssh: the nested lab's outer (systemd as PID 1) behind its sshd.

``outer_ssh`` (tests/lab/conftest.py, labkit/sshd.py) gives an ``ssh -F``
config of the test's own with the alias ``ntl-outer-ssh``; the user's
``~/.ssh`` and ``~/.config`` are never used (HOME and XDG_CONFIG_HOME point
into the test's directory for every nspawn-tui run).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import labkit
from labkit.sshd import SshAccess

INNER = "ntl-inner1"
STOPPED = "ntl-inner2"
NSPAWN_TUI = Path(sys.prefix) / "bin" / "nspawn-tui"


def test_the_outer_answers_over_ssh_with_systemd_and_stdio_bridge(
    nested_lab: labkit.NestedLab, outer_ssh: SshAccess
) -> None:
    result = subprocess.run(
        outer_ssh.argv(
            "sh", "-c", "'machinectl list --no-legend; command -v systemd-stdio-bridge'"
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert INNER in result.stdout and "systemd-stdio-bridge" in result.stdout


def app_env(tmp_path: Path) -> dict[str, str]:
    """nspawn-tui's environment: HOME and XDG_CONFIG_HOME of the test's own, no lab bus."""
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SYSTEM_BUS_ADDRESS"}
    env["HOME"] = str(tmp_path / "home")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


@contextlib.contextmanager
def burning(nested_lab: labkit.NestedLab, name: str) -> Iterator[None]:
    """A busy loop inside the inner machine ``name`` (a transient unit of its own systemd)."""
    unit = "ntl-burn"
    started = nested_lab.run(
        ["systemd-run", "-M", name, f"--unit={unit}", "/bin/sh", "-c", "while :; do :; done"]
    )
    assert started.returncode == 0, started.stderr
    try:
        yield
    finally:
        nested_lab.run(["systemctl", "-M", name, "stop", unit])


def list_json(outer_ssh: SshAccess, tmp_path: Path, *more: str) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(NSPAWN_TUI),
            "--host",
            outer_ssh.alias,
            "--ssh-config",
            str(outer_ssh.config),
            *more,
            "list",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=90,
        env=app_env(tmp_path),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records: list[dict[str, Any]] = json.loads(result.stdout)
    return records


def test_list_json_over_ssh_lists_the_inner_machines_with_os_and_rising_cpu(
    nested_lab: labkit.NestedLab, outer_ssh: SshAccess, tmp_path: Path
) -> None:
    idle = {r["name"]: r for r in list_json(outer_ssh, tmp_path)}
    assert idle[INNER]["state"] == "running" and "Debian" in idle[INNER]["os"]
    assert idle[STOPPED]["state"] == "stopped"
    assert {r["host"] for r in idle.values()} == {outer_ssh.alias}
    with burning(nested_lab, INNER):
        busy = {r["name"]: r for r in list_json(outer_ssh, tmp_path, "--interval", "1.5")}
    busy_cpu = busy[INNER]["cpu_percent"]
    assert busy_cpu is not None and busy_cpu > 30, busy[INNER]
    # and it falls once the loop is gone (another test's burner may still be ending: wait)
    deadline = time.monotonic() + 60
    while True:
        after = {r["name"]: r for r in list_json(outer_ssh, tmp_path)}[INNER]["cpu_percent"]
        if after is not None and after < busy_cpu - 20:
            break
        assert time.monotonic() < deadline, f"CPU stayed at {after} after the loop ended"
    # tasks and memory: n/a in the nested lab (systemd does not account them there and
    # the outer's read-only v1 hierarchies hold no cgroup of the unit): null, never 0
    assert busy[INNER]["tasks"] is None or busy[INNER]["tasks"] > 1
    # nothing of the app is left running: no ssh, no bridge
    leftovers = subprocess.run(
        ["pgrep", "-f", f"ssh.*{outer_ssh.alias}"], capture_output=True, text=True, check=False
    )
    assert leftovers.stdout == "", leftovers.stdout

"""A real remote host over real ssh: the nested lab's outer (systemd as PID 1) behind its sshd.

``outer_ssh`` (tests/lab/conftest.py, labkit/sshd.py) gives an ``ssh -F``
config of the test's own with the alias ``ntl-outer-ssh``; the user's
``~/.ssh`` and ``~/.config`` are never used (HOME and XDG_CONFIG_HOME point
into the test's directory for every nspawn-tui run).
"""

from __future__ import annotations

import subprocess

import labkit
from labkit.sshd import SshAccess

INNER = "ntl-inner1"


def test_the_outer_answers_over_ssh_with_systemd_and_stdio_bridge(
    nested_lab: labkit.NestedLab, outer_ssh: SshAccess
) -> None:
    result = subprocess.run(
        outer_ssh.argv("sh", "-c", "'machinectl list --no-legend; command -v systemd-stdio-bridge'"),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert INNER in result.stdout and "systemd-stdio-bridge" in result.stdout

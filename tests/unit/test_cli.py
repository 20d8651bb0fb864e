"""The command line, run as a user would (subprocesses of the installed entry point)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui.cli import build_parser

EXE = [sys.executable, "-m", "nspawn_tui"]
FIELDS = {
    "name",
    "class",
    "state",
    "os",
    "addresses",
    "cpu_percent",
    "memory_bytes",
    "memory_max_bytes",
    "tasks",
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [["--demo", "list", "--json"], ["list", "--demo", "--json"], ["list", "--json", "--demo"]],
)
def test_options_before_or_after_subcommand(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert args.demo and args.json and args.command == "list"


def test_defaults_survive_subcommand() -> None:
    args = build_parser().parse_args(["--seed", "7", "--interval", "0.5", "list"])
    assert args.seed == 7 and args.interval == 0.5 and not args.demo


def test_list_json_demo() -> None:
    result = run("list", "--json", "--demo", "--interval", "0.2")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert len(records) >= 10
    for record in records:
        assert FIELDS <= set(record)
    running = [r for r in records if r["state"] == "running"]
    assert running and all(isinstance(r["cpu_percent"], float) for r in running)
    stopped = [r for r in records if r["state"] == "stopped"]
    assert stopped and all(r["cpu_percent"] is None and r["tasks"] is None for r in stopped)


def test_list_table_demo() -> None:
    result = run("--demo", "list", "--interval", "0.1")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].split()[:3] == ["NAME", "STATE", "OS"]


def test_unreachable_bus_one_line_exit_2(tmp_path: Path) -> None:
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={tmp_path}/missing")
    for argv in (["list"], ["list", "--json"], []):
        result = run(*argv, env=env)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines[0].startswith("nspawn-tui: ") and "missing" in lines[0]
        assert "--demo" in lines[-1]


def test_bus_without_machined(tmp_path: Path) -> None:
    """A bus that answers but has no machined: a reason, exit 2."""
    daemon = "/usr/bin/dbus-daemon"
    if not os.path.exists(daemon):
        pytest.skip("dbus-daemon is not installed (make test installs it as root)")
    socket = tmp_path / "bus"
    config = tmp_path / "bus.conf"
    config.write_text(
        '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" '
        '"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
        f"<busconfig><type>system</type><listen>unix:path={socket}</listen>"
        '<auth>EXTERNAL</auth><policy context="default"><allow user="*"/>'
        '<allow own="*"/><allow send_type="method_call"/><allow receive_type="*"/>'
        "</policy></busconfig>\n"
    )
    proc = subprocess.Popen([daemon, f"--config-file={config}", "--nofork", "--nopidfile"])
    try:
        for _ in range(50):
            if socket.exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        result = run("list", "--bus", f"unix:path={socket}")
        assert result.returncode == 2
        assert "machined" in result.stderr and "Traceback" not in result.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)

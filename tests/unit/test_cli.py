"""The command line, run as a user would (subprocesses of the installed entry point)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui import cli
from nspawn_tui.cli import build_parser
from nspawn_tui.host.demo.host import DemoHost, MachineSpec
from nspawn_tui.safe import cell_width, clean

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
    "memory_peak_bytes",
    "oom_kills",
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


# -- outside text in `list` and `logs` ---------------------------------------------------

NASTY = "\x1b]0;owned\x07\x9b2J\u202e"  # OSC title, BEL, C1 CSI, right-to-left override


def _hostile_host() -> DemoHost:
    """The demo host with machines whose names are hostile or wide."""
    host = DemoHost(frozen=True, machines=3)
    for name in (f"evil{NASTY}", "漢字-db", "e\u0301\u0301-combining"):
        host._add_machine(MachineSpec(name, "debian", "light"))
    return host


def test_list_json_escapes_every_control_and_keeps_the_original_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "make_host", lambda args: _hostile_host())
    assert cli.main(["--demo", "list", "--json", "--interval", "0.01"]) == 0
    out = capsys.readouterr().out
    assert out.isascii()  # ensure_ascii: controls, C1 and bidi characters are \u escapes
    for escape in ("\\u001b", "\\u0007", "\\u009b", "\\u202e", "\\u6f22"):
        assert escape in out
    records = json.loads(out)
    assert f"evil{NASTY}" in [r["name"] for r in records]  # the original string, not cleaned


def test_list_json_has_oom_kills_and_memory_peak(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    host = DemoHost(frozen=True)
    monkeypatch.setattr(cli, "make_host", lambda args: host)
    assert cli.main(["--demo", "list", "--json", "--interval", "0.01"]) == 0
    records = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert records["cache"]["oom_kills"] == 2
    assert records["cache"]["memory_peak_bytes"] >= records["cache"]["memory_bytes"] > 0
    assert records["debian-base"]["oom_kills"] is None  # stopped: no figures
    assert records["debian-base"]["memory_peak_bytes"] is None


def test_list_table_cleans_cells_and_aligns_columns_by_cells(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "make_host", lambda args: _hostile_host())
    assert cli.main(["--demo", "list", "--interval", "0.01"]) == 0
    out = capsys.readouterr().out
    assert not any(char in out for char in "\x1b\x07\x9b\u202e")
    assert f"evil{clean(NASTY)}" in out
    lines = out.splitlines()
    assert len(lines) == 1 + 3 + 3
    # every column starts at the same cell on every line, wide and combining names included

    def starts(words: tuple[str, ...]) -> list[int]:
        """The cell where the first of ``words`` starts, on every line."""
        found = [next((w for w in words if f" {w} " in f" {line} "), None) for line in lines]
        assert None not in found
        return [
            cell_width(line[: line.index(f"{w} ")]) for line, w in zip(lines, found, strict=True)
        ]

    assert len(set(starts(("STATE", "running", "stopped")))) == 1
    assert len(set(starts(("OS", "Debian", "Fedora", "Alpine")))) == 1
    assert len(set(starts(("ADDRESS", "10.0.0.2", "10.0.0.18", "10.0.0.34", "10.0.0.50",
                           "10.0.0.66", "10.1.0.2")))) == 1  # fmt: skip


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (web|db) \S+: ")
NSPAWN_TUI = str(Path(sys.executable).with_name("nspawn-tui"))


def test_logs_into_a_pipe_prints_text_lines_and_exits() -> None:
    result = subprocess.run(
        [NSPAWN_TUI, "--demo", "logs", "web", "db", "-n", "300"],
        capture_output=True,  # stdout is a pipe: not a terminal
        text=True,
        timeout=60,
        env=dict(os.environ, TZ="UTC"),
        check=False,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert "\x1b" not in result.stdout  # text, not a TUI
    lines = result.stdout.splitlines()
    heads = [line for line in lines if not line.startswith("    ")]
    assert len(heads) == 300 and all(LOG_LINE.match(line) for line in heads)
    assert {line.split()[2] for line in heads} == {"web", "db"}  # merged
    stamps = [line[:23] for line in heads]
    assert stamps == sorted(stamps) and stamps[-1] < "2026-01-15 09:00:00.001"
    assert len(lines) > len(heads)  # multi-line messages: continuation lines indented


def test_logs_into_a_pipe_reports_an_unknown_machine() -> None:
    result = subprocess.run(
        [NSPAWN_TUI, "--demo", "logs", "web", "nope", "-n", "3"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "nspawn-tui: nope: no such machine or image\n"
    assert len([line for line in result.stdout.splitlines() if " web " in line]) == 3


def test_logs_follow_into_a_pipe_keeps_printing() -> None:
    proc = subprocess.Popen(
        [NSPAWN_TUI, "--demo", "logs", "--follow", "-n", "2", "web"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TZ="UTC"),
    )
    try:
        assert proc.stdout is not None
        heads: list[str] = []
        while len(heads) < 6:
            line = proc.stdout.readline()
            assert line, "the output ended"
            if not line.startswith("    "):
                heads.append(line)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # the end of the backlog (web's last records are 3 s and more before the demo's
    # start at 09:00; -n cut the older ones), then new records as they come
    old = [line for line in heads if line[11:19] < "08:59:59"]
    assert heads[: len(old)] == old and 1 <= len(old) <= 2  # (2, or 1 when the demo stamped
    # its first new record a little before the start)
    assert all(line[11:19] >= "08:59:59" for line in heads[len(old) :])

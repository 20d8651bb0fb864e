"""End-to-end as a person would: the installed ``nspawn-tui`` in a 120x40 tmux
terminal on the flat lab, read with ``tmux capture-pane``, driven with keys."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import labkit
import pytest

WIDTH, HEIGHT = 120, 40
#: a table row of a running container: name, state, OS, then a CPU figure
ROW = r"^\W*{name}\s+running\s+Debian GNU/Linux 1.*?\s(\d+(?:\.\d)?)\s+\d"


class Tmux:
    """One tmux server of our own (``-S`` socket), killed on close."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.session = "e2e"
        # An explicit environment: a library loaded into pytest (GNU readline)
        # may have put COLUMNS=80 LINES=24 into the C environment, which a
        # subprocess would inherit and the app would believe over the pty.
        self.env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=check,
            env=self.env,
        )

    def start(self, argv: list[str], env: dict[str, str]) -> None:
        # remain-on-exit keeps the pane after the program ends, so that the
        # test can see that it ended and with which status.
        self(
            "new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT),
            *[f"-e{key}={value}" for key, value in env.items()],
            "--", *argv,
            ";", "set-option", "-t", self.session, "remain-on-exit", "on",
        )  # fmt: skip

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", self.session).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self("send-keys", "-t", self.session, *(["-l"] if literal else []), *keys)

    def pane(self, fmt: str) -> str:
        return self("display-message", "-p", "-t", self.session, fmt).stdout.strip()

    def close(self) -> None:
        self("kill-server", check=False)
        self.socket.unlink(missing_ok=True)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    terminal = Tmux(tmp_path / "tmux.sock")
    try:
        yield terminal
    finally:
        terminal.close()


def wait_screen(tmux: Tmux, probe: Callable[[str], object], *, timeout: float, what: str) -> str:
    """Capture the pane until ``probe(screen)`` is truthy; the screen then."""
    deadline = time.monotonic() + timeout
    while True:
        screen = tmux.screen()
        if probe(screen):
            return screen
        if time.monotonic() >= deadline:
            size = tmux.pane("#{pane_width}x#{pane_height}")
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {what} (pane {size}):\n{screen}"
            )
        time.sleep(0.1)


def cpu_on_screen(screen: str, name: str) -> float | None:
    match = re.search(ROW.format(name=re.escape(name)), screen, re.MULTILINE)
    return None if match is None else float(match.group(1))


def test_dashboard_in_tmux_shows_lists_filters_and_quits(
    flat_lab: labkit.FlatLab, tmux: Tmux
) -> None:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    assert exe.exists(), f"{exe} is missing: install the project into the venv"
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
    tmux.start([str(exe), "--bus", flat_lab.bus_address], env)

    screen = wait_screen(
        tmux,
        lambda s: all(cpu_on_screen(s, name) is not None for name in ("ntl-alpha", "ntl-beta")),
        timeout=20,
        what="ntl-alpha and ntl-beta running with a CPU figure",
    )
    lines = screen.splitlines()
    assert len(lines) == HEIGHT and max(len(line) for line in lines) <= WIDTH
    header = next(line for line in lines if "running," in line)
    assert re.search(r"\d+ running, \d+ stopped", header), header
    assert "machined on" in header and "CPUs" in header, header
    assert re.search(r"^\W*NAME\W*\s+STATE\s+OS\b.*CPU%.*MEMORY", screen, re.MULTILINE), screen
    assert re.search(r"^\W*ntl-image\s+stopped\b", screen, re.MULTILINE), screen

    tmux.keys("/")
    wait_screen(tmux, lambda s: "filter by name" in s, timeout=5, what="the filter line")
    tmux.keys("beta", literal=True)
    screen = wait_screen(
        tmux,
        lambda s: (
            "ntl-alpha" not in s
            and "ntl-image" not in s
            and cpu_on_screen(s, "ntl-beta") is not None
        ),
        timeout=5,
        what="only ntl-beta to be listed",
    )
    # ntl-beta, and nothing else unless another machine's name has "beta" in it
    rows = re.findall(r"^\W*(\S+)\s+(?:running|stopped)\b", screen, re.MULTILINE)
    assert "ntl-beta" in rows and all("beta" in row for row in rows), screen
    assert f"({len(rows)} shown)" in screen, screen
    tmux.keys("Enter")  # keep the filter, back to the table (q there quits)
    wait_screen(tmux, lambda s: "filter by name" not in s, timeout=5, what="the table's focus")
    pid = int(tmux.pane("#{pane_pid}"))  # nspawn-tui itself (tmux execs argv directly)
    tmux.keys("q")
    deadline = time.monotonic() + 20
    while (status := exit_status(tmux, pid)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"nspawn-tui did not quit on q:\n{process_state(pid)}\n{tmux.screen()}"
            )
        time.sleep(0.1)
    assert status == 0, f"nspawn-tui exited with {status}:\n{tmux.screen()}"


def exit_status(tmux: Tmux, pid: int) -> int | None:
    """The exit code of the pane's program once it ended, else None.

    From tmux once it reaped the program; until then from the zombie's
    ``/proc/PID/stat`` (its last field is the wait status): tmux sometimes
    reaps late, and the pane shows dead without a status meanwhile.
    """
    dead, _, status = tmux.pane("#{pane_dead}:#{pane_dead_status}").partition(":")
    if dead == "1" and status:
        return int(status)
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return None  # reaped just now: tmux has the status at the next look
    if fields[0] != "Z":
        return None
    return os.waitstatus_to_exitcode(int(fields[-1]))


def process_state(pid: int) -> str:
    """State and per-thread kernel wait channel of ``pid``, for a hang's report."""
    lines = []
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        lines.append(next(line for line in status.splitlines() if line.startswith("State")))
        for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
            comm = (task / "comm").read_text().strip()
            wchan = (task / "wchan").read_text().strip()
            lines.append(f"  thread {task.name} {comm}: {wchan}")
    except FileNotFoundError:
        lines.append(f"process {pid} is gone")
    return "\n".join(lines)

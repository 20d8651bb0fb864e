"""Helpers shared by the benchmarks: a private tmux server, /proc CPU and RSS, tables."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def venv_bin(name: str) -> str:
    """A program of the venv this runs in (falls back to the source tree's .venv)."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    return str(ROOT / ".venv" / "bin" / name)


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children), in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()
    # after "pid (comm) ": state is fields[0]; utime, stime are stat fields 14, 15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int | None = None) -> float:
    """Resident set size in MB (10^6 bytes) from /proc/PID/status."""
    path = Path(f"/proc/{pid or 'self'}/status")
    for line in path.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS in {path}")


class Tmux:
    """A tmux server of our own (``-L``), so nothing of the user's tmux is touched."""

    def __init__(self, width: int = 120, height: int = 40) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is not installed")
        self.socket = f"nspawn-bench-{os.getpid()}-{time.monotonic_ns()}"
        self.width, self.height = width, height
        self.session = "bench"

    def _run(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def start(self, argv: Sequence[str], env: dict[str, str] | None = None) -> int:
        """Run *argv* (exec'd, so the pane's pid is the program's) and return its pid."""
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = "exec " + (f"env {prefix} " if prefix else "") + shlex.join(argv)
        self._run(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            self.session,
            "-x",
            str(self.width),
            "-y",
            str(self.height),
            command,
        )
        self._run("set-option", "-t", self.session, "status", "off")
        self._run(
            "resize-window", "-t", self.session, "-x", str(self.width), "-y", str(self.height)
        )
        return int(self._run("display-message", "-p", "-t", self.session, "#{pane_pid}").strip())

    def capture(self) -> list[str]:
        return self._run("capture-pane", "-p", "-t", self.session).split("\n")[: self.height]

    def send_keys(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.session, *keys)

    def pipe_to(self, path: Path) -> None:
        self._run("pipe-pane", "-o", "-t", self.session, f"cat >> {shlex.quote(str(path))}")

    def stop_pipe(self) -> None:
        self._run("pipe-pane", "-t", self.session)

    def kill(self) -> None:
        self._run("kill-server", check=False)
        tmpdir = os.environ.get("TMUX_TMPDIR", "/tmp")
        Path(tmpdir, f"tmux-{os.getuid()}", self.socket).unlink(missing_ok=True)

    def __enter__(self) -> Tmux:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


def print_table(title: str, rows: Sequence[tuple[str, str]]) -> None:
    print(f"\n== {title}")
    if not rows:
        return
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")

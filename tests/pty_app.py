"""The installed ``nspawn-tui`` on a pseudo-terminal of its own, in a session of its own.

As ``setsid nspawn-tui`` or ``su -c nspawn-tui`` runs it: the PTY's slave side
is the app's stdin, stdout and stderr but not its controlling terminal, so
closing the master side (a tmux pane killed, an SSH connection dropped) sends
it no SIGHUP: the app has to notice the lost terminal by itself.

Used by ``tests/unit/terminal/test_terminal_lost.py`` and ``tests/lab/test_lab_lost_terminal.py``
(``tests/`` is on ``sys.path`` through its conftest.py).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil

NSPAWN_TUI = Path(sys.prefix) / "bin" / "nspawn-tui"

_ESCAPES = re.compile(
    r"\x1b(?:\[[0-9;?<>=$ ]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[()][0-9A-Za-z]|.)"
)


class PtyApp:
    """``nspawn-tui ARGS`` with a new PTY's slave as stdin/stdout/stderr, after setsid()."""

    def __init__(
        self,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        rows: int = 40,
        cols: int = 120,
    ) -> None:
        base = dict(os.environ if env is None else env)
        # COLUMNS/LINES (set by a library loaded into pytest) would win over the PTY's size.
        for key in ("COLUMNS", "LINES", "TMUX"):
            base.pop(key, None)
        base["TERM"] = "xterm-256color"
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        try:
            self.proc = subprocess.Popen(
                [str(NSPAWN_TUI), *args],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=base,
                start_new_session=True,  # setsid(): no controlling terminal, no SIGHUP
                close_fds=True,
            )
        except BaseException:
            os.close(self.master)
            raise
        finally:
            os.close(slave)
        self.output = b""
        self.master_open = True
        self.seen: list[psutil.Process] = []

    # ------------------------------------------------------------ the screen

    def pump(self, timeout: float = 0.0) -> None:
        """Read what the app wrote (waiting up to ``timeout`` for the first bytes)."""
        while self.master_open:
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                return
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the slave side is closed (the app has gone)
                return
            if not data:
                return
            self.output += data
            timeout = 0.0

    def text(self, since: int = 0) -> str:
        """The output from byte ``since`` on, without escape sequences."""
        return _ESCAPES.sub("", self.output[since:].decode("utf-8", errors="replace"))

    def wait_for(self, needle: str, since: int = 0, timeout: float = 30.0) -> None:
        end = time.monotonic() + timeout
        while needle not in self.text(since):
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"nspawn-tui exited ({self.proc.returncode}) before showing {needle!r}: "
                    f"{self.text(since)[-800:]!r}"
                )
            if time.monotonic() > end:
                raise AssertionError(
                    f"timed out waiting for {needle!r}: {self.text(since)[-800:]!r}"
                )
            self.pump(0.1)

    def send(self, keys: bytes, wait_for: str | None = None, timeout: float = 30.0) -> None:
        """Type ``keys``; then wait until ``wait_for`` appears in the output that follows."""
        self.pump()
        mark = len(self.output)
        os.write(self.master, keys)
        if wait_for is not None:
            self.wait_for(wait_for, since=mark, timeout=timeout)

    # ------------------------------------------------------------ processes

    def descendants(self) -> list[psutil.Process]:
        """The app's child processes, their children and so on (remembered for close())."""
        found = psutil.Process(self.proc.pid).children(recursive=True)
        self.seen.extend(found)
        return found

    def hang_up(self) -> None:
        """Close the master side: the terminal goes away."""
        if self.master_open:
            self.master_open = False
            os.close(self.master)

    def wait_gone(self, others: Sequence[psutil.Process], timeout: float) -> float:
        """Seconds until the app and ``others`` are all gone; fails after ``timeout``."""
        start = time.monotonic()
        while True:
            self.pump()
            elapsed = time.monotonic() - start
            left = [p for p in others if _alive(p)]
            if self.proc.poll() is not None and not left:
                return elapsed
            if elapsed > timeout:
                code = self.proc.poll()
                app = "still running" if code is None else f"exited with {code}"
                others_left = [(p.pid, _cmdline(p)) for p in left]
                raise AssertionError(f"after {timeout:g}s: the app {app}; left: {others_left}")
            time.sleep(0.02)

    def close(self) -> None:
        """Kill what is left (after a failed test) and close the master."""
        if self.proc.poll() is None:
            self.descendants()
            _kill(psutil.Process(self.proc.pid))
        for proc in self.seen:
            if _alive(proc):
                _kill(proc)
        self.proc.wait(timeout=10)
        self.hang_up()


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(proc: psutil.Process) -> str:
    try:
        return " ".join(proc.cmdline())
    except psutil.Error:
        return "?"


def _kill(proc: psutil.Process) -> None:
    try:
        proc.kill()
    except psutil.NoSuchProcess:
        pass  # gone by itself meanwhile

"""nspawn_tui.terminal.lifeline and the relay's ``hangup``: real PTYs, real signals, real processes.

Lifelines made in this (pytest's) process use ``grace=None, reap=False``: no
forced exit, and pytest's own children (the lab's daemons) are not touched.
The forced exit and the ending of children are tested in child processes.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from nspawn_tui.terminal.lifeline import EXIT_HANGUP, EXIT_TERMINATED, Lifeline, hung_up
from nspawn_tui.terminal.relay import relay


class Pty:
    """A PTY pair; the test hangs it up with :meth:`close_master` (never closed twice)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.master_open = True

    def close_master(self) -> None:
        if self.master_open:
            self.master_open = False
            os.close(self.master)

    def close_master_later(self, delay: float) -> threading.Timer:
        timer = threading.Timer(delay, self.close_master)
        timer.start()
        return timer


@pytest.fixture
def pty() -> Iterator[Pty]:
    pair = Pty()
    yield pair
    pair.close_master()
    os.close(pair.slave)


def readable(fd: int, timeout: float = 0.0) -> bool:
    return bool(select.select([fd], [], [], timeout)[0])


def test_hung_up_sees_the_other_side_of_a_pty_close(pty: Pty) -> None:
    assert not hung_up(pty.slave)
    pty.close_master()
    assert hung_up(pty.slave)


def test_a_lost_terminal_ends_the_lifeline(pty: Pty) -> None:
    seen: list[int] = []
    ended = threading.Event()
    lifeline = Lifeline([pty.slave], grace=None, reap=False)
    lifeline.set_handler(lambda status: (seen.append(status), ended.set()))
    with lifeline:
        time.sleep(0.2)
        assert not lifeline.ended and not readable(lifeline.abort_fd)
        pty.close_master()
        assert ended.wait(1.0), "no end within a second of the hang-up"
        assert lifeline.status == EXIT_HANGUP and seen == [EXIT_HANGUP]
        assert lifeline.reason == "the terminal went away"
        assert readable(lifeline.abort_fd)


def test_input_on_the_terminal_is_left_to_its_reader(pty: Pty) -> None:
    """The watcher asks for no events: typed bytes neither end it nor are taken."""
    with Lifeline([pty.slave], grace=None, reap=False) as lifeline:
        os.write(pty.master, b"typed\n")
        time.sleep(0.3)
        assert not lifeline.ended
        assert os.read(pty.slave, 100) == b"typed\n"


@pytest.mark.parametrize(
    ("signum", "status"), [(signal.SIGHUP, EXIT_HANGUP), (signal.SIGTERM, EXIT_TERMINATED)]
)
def test_signals_end_it_first_one_wins_and_handlers_come_back(signum: int, status: int) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM)}
    seen: list[int] = []
    lifeline = Lifeline([], grace=None, reap=False)
    with lifeline:
        assert signal.getsignal(signum) not in (signal.SIG_DFL, before[signum])
        os.kill(os.getpid(), signum)  # the handler runs before kill() returns to Python code
        other = signal.SIGTERM if signum == signal.SIGHUP else signal.SIGHUP
        os.kill(os.getpid(), other)
        assert lifeline.status == status
        assert lifeline.reason == f"{signal.Signals(signum).name} received"
        lifeline.set_handler(seen.append)  # set after the end: called at once
        assert seen == [status]
    assert {s: signal.getsignal(s) for s in before} == before


def test_relay_returns_hangup_when_asked_to_end(pty: Pty) -> None:
    shell_master, shell_slave = os.openpty()
    abort_r, abort_w = os.pipe()
    try:
        timer = threading.Timer(0.3, os.write, (abort_w, b"x"))
        timer.start()
        start = time.monotonic()
        result = relay(
            shell_master, stdin_fd=pty.slave, stdout_fd=pty.slave, banner=None,
            resize=False, abort_fd=abort_r,
        )  # fmt: skip
        timer.join()
        assert result.reason == "hangup"
        assert time.monotonic() - start < 2.0
    finally:
        for fd in (shell_master, shell_slave, abort_r, abort_w):
            os.close(fd)


def test_relay_returns_hangup_when_the_terminal_goes(pty: Pty) -> None:
    """EOF on the user's terminal: ``hangup`` (not an error), and no failure restoring it."""
    shell_master, shell_slave = os.openpty()
    try:
        timer = pty.close_master_later(0.3)
        result = relay(
            shell_master, stdin_fd=pty.slave, stdout_fd=pty.slave, banner=None, resize=False
        )
        timer.join()
        assert (result.reason, result.message) == ("hangup", "The terminal went away")
    finally:
        os.close(shell_master)
        os.close(shell_slave)


def _python(code: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_stuck_exit_is_forced_after_the_grace_and_children_are_ended() -> None:
    """An orderly exit that hangs: the process still goes, with its status, children first."""
    start = time.monotonic()
    result = _python(
        """
        import subprocess, time
        from nspawn_tui.terminal.lifeline import Lifeline
        child = subprocess.Popen(["sleep", "60"])
        print(child.pid, flush=True)
        lifeline = Lifeline([], grace=0.3).start()
        lifeline.end(143, "test")
        time.sleep(60)  # a shutdown that never finishes
        """
    )
    elapsed = time.monotonic() - start
    assert result.returncode == EXIT_TERMINATED, result.stderr
    assert elapsed < 10, "the forced exit did not come"
    assert _gone(int(result.stdout.split()[0]))


def test_stop_ends_children_still_running() -> None:
    result = _python(
        """
        import subprocess, time, psutil
        from nspawn_tui.terminal.lifeline import Lifeline
        child = subprocess.Popen(["sh", "-c", "sleep 60 & wait"], stdout=subprocess.DEVNULL)
        while len(psutil.Process().children(recursive=True)) < 2:  # sh, and its sleep
            time.sleep(0.01)
        grandchild = psutil.Process(child.pid).children()[0].pid
        with Lifeline([]):
            pass
        print(child.pid, grandchild, flush=True)
        """
    )
    assert result.returncode == 0, result.stderr
    pid, grandchild = (int(x) for x in result.stdout.split())
    assert _gone(pid) and _gone(grandchild)

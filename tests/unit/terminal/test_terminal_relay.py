"""The shell relay with real PTY pairs, and the demo shell.

The relay runs in the main thread (it installs a SIGWINCH handler there, as in
the app); each test's "user" and "container" sides run in threads. One PTY
pair is the user's terminal (the relay's stdin/stdout are its slave, the test
types on and reads its master); another is the container (the relay gets its
master, the test plays the shell on its slave, in raw mode).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import select
import signal
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable, Iterator
from types import FrameType

import psutil
import pytest

from nspawn_tui.host.demo.shell import open_demo_shell, spawn_demo_shell
from nspawn_tui.terminal.relay import ESCAPE_HINT, EscapeDetector, RelayResult, relay

E = b"\x1d"
TIMEOUT = 10.0


def set_size(fd: int, rows: int, cols: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def get_size(fd: int) -> tuple[int, int]:
    rows, cols = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))[:2]
    return rows, cols


def read_until(fd: int, want: bytes, timeout: float = TIMEOUT) -> bytes:
    """Read ``fd`` until ``want`` has appeared; everything read so far."""
    got = b""
    end = time.monotonic() + timeout
    while want not in got:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {want!r}; got {got[-200:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            got += os.read(fd, 65536)
    return got


def read_exactly(fd: int, n: int, timeout: float = TIMEOUT) -> bytes:
    got = b""
    end = time.monotonic() + timeout
    while len(got) < n:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out after {len(got)} of {n} bytes: {got[-200:]!r}")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            got += os.read(fd, n - len(got))
    return got


def read_available(fd: int, wait: float = 0.2) -> bytes:
    got = b""
    while select.select([fd], [], [], wait)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno == errno.EIO:
                break
            raise
        if not chunk:
            break
        got += chunk
        wait = 0.05
    return got


class Rig:
    """The two PTY pairs and a way to run a scenario against :func:`relay`."""

    def __init__(self) -> None:
        self.user_master, self.user_slave = os.openpty()
        self.cont_master, self.cont_slave = os.openpty()
        tty.setraw(self.cont_slave)
        set_size(self.user_master, 40, 120)
        self._lock = threading.Lock()
        self._cont_slave_open = True
        #: How a failed scenario unblocks the relay.
        self.on_failure: Callable[[], object] = self.close_container

    def close_container(self) -> None:
        """The shell exits: its side of the PTY closes."""
        with self._lock:
            if self._cont_slave_open:
                self._cont_slave_open = False
                os.close(self.cont_slave)

    def close(self) -> None:
        self.close_container()
        for fd in (self.user_master, self.user_slave, self.cont_master):
            os.close(fd)

    def run(
        self,
        scenario: Callable[[Rig], None],
        *more: Callable[[Rig], None],
        master: int | None = None,
        **kwargs: object,
    ) -> RelayResult:
        errors: list[BaseException] = []
        returned = threading.Event()

        def guarded(func: Callable[[Rig], None]) -> Callable[[], None]:
            def target() -> None:
                try:
                    func(self)
                except (AssertionError, OSError) as exc:  # re-raised in the main thread
                    errors.append(exc)
                    self.on_failure()  # unblock the relay

            return target

        threads = [threading.Thread(target=guarded(f), daemon=True) for f in (scenario, *more)]
        for thread in threads:
            thread.start()

        def watchdog() -> None:
            for thread in threads:
                thread.join()
            if not returned.wait(TIMEOUT):
                errors.append(AssertionError("the relay did not return after the scenario"))
                self.on_failure()

        threading.Thread(target=watchdog, daemon=True).start()
        try:
            params: dict[str, object] = {
                "stdin_fd": self.user_slave,
                "stdout_fd": self.user_slave,
                **kwargs,
            }
            result = relay(
                self.cont_master if master is None else master,
                **params,  # type: ignore[arg-type]
            )
        finally:
            returned.set()
        for thread in threads:
            thread.join(TIMEOUT)
        if errors:
            raise errors[0]
        return result


@pytest.fixture
def rig() -> Iterator[Rig]:
    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the relay did not return")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 120)
    r = Rig()
    try:
        yield r
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        r.close()


def wait_banner(r: Rig) -> None:
    read_until(r.user_master, ESCAPE_HINT.encode())


def escape(r: Rig) -> None:
    for _ in range(3):
        os.write(r.user_master, E)
        time.sleep(0.02)


def test_both_directions_and_escape(rig: Rig) -> None:
    before = termios.tcgetattr(rig.user_slave)
    flags_before = fcntl.fcntl(rig.cont_master, fcntl.F_GETFL)
    winch_before = signal.getsignal(signal.SIGWINCH)
    seen: dict[str, object] = {}

    def scenario(r: Rig) -> None:
        wait_banner(r)
        seen["lflag"] = termios.tcgetattr(r.user_slave)[3]
        os.write(r.user_master, b"ls -l\r")
        assert read_exactly(r.cont_slave, 6) == b"ls -l\r"
        os.write(r.cont_slave, b"total 0\r\n\x1b[1mbold\x1b[0m\r\n")
        read_until(r.user_master, b"total 0\r\n\x1b[1mbold\x1b[0m\r\n")
        os.write(r.user_master, b"\x03\x04\x1a")  # ^C ^D ^Z: plain bytes in raw mode
        assert read_exactly(r.cont_slave, 3) == b"\x03\x04\x1a"
        escape(r)

    result = rig.run(scenario)
    assert result.reason == "escaped"
    # Nothing of the escape reached the container.
    assert read_available(rig.cont_slave) == b""
    # Raw while relaying, restored exactly afterwards.
    lflag = seen["lflag"]
    assert isinstance(lflag, int) and not lflag & (termios.ICANON | termios.ECHO | termios.ISIG)
    assert termios.tcgetattr(rig.user_slave) == before
    assert fcntl.fcntl(rig.cont_master, fcntl.F_GETFL) == flags_before
    assert signal.getsignal(signal.SIGWINCH) == winch_before


def test_escape_split_around_other_input(rig: Rig) -> None:
    def scenario(r: Rig) -> None:
        wait_banner(r)
        os.write(r.user_master, b"ab" + E)
        time.sleep(0.05)
        os.write(r.user_master, E)
        time.sleep(0.05)
        os.write(r.user_master, b"c" + E)  # "c" breaks the escape; the last ^] starts anew
        assert read_exactly(r.cont_slave, 5) == b"ab" + E + E + b"c"
        os.write(r.user_master, E)
        time.sleep(0.05)
        os.write(r.user_master, E + b"dropped")  # completes; the rest of the read is dropped

    result = rig.run(scenario)
    assert result.reason == "escaped"
    assert read_available(rig.cont_slave) == b""


def test_held_presses_are_released_when_the_window_expires(rig: Rig) -> None:
    def scenario(r: Rig) -> None:
        wait_banner(r)
        os.write(r.user_master, E + E)
        assert select.select([r.cont_slave], [], [], 0.05)[0] == []  # held back
        # No further keystroke: the relay's timer releases them.
        assert read_exactly(r.cont_slave, 2) == E + E
        escape(r)

    result = rig.run(scenario, detector=EscapeDetector(window=0.5))
    assert result.reason == "escaped"


def test_window_size_at_start_and_on_sigwinch(rig: Rig) -> None:
    set_size(rig.cont_master, 24, 80)
    sizes: list[tuple[int, int]] = []

    def scenario(r: Rig) -> None:
        wait_banner(r)
        sizes.append(get_size(r.cont_slave))
        set_size(r.user_master, 50, 132)
        os.kill(os.getpid(), signal.SIGWINCH)
        end = time.monotonic() + TIMEOUT
        while get_size(r.cont_slave) != (50, 132) and time.monotonic() < end:
            time.sleep(0.01)
        sizes.append(get_size(r.cont_slave))
        escape(r)

    result = rig.run(scenario)
    assert result.reason == "escaped"
    assert sizes == [(40, 120), (50, 132)]


def test_no_resize_leaves_the_pty_size_alone(rig: Rig) -> None:
    set_size(rig.cont_master, 24, 80)

    def scenario(r: Rig) -> None:
        wait_banner(r)
        escape(r)

    assert rig.run(scenario, resize=False).reason == "escaped"
    assert get_size(rig.cont_slave) == (24, 80)


def test_shell_exit_delivers_last_output(rig: Rig) -> None:
    received: list[bytes] = []

    def scenario(r: Rig) -> None:
        wait_banner(r)
        os.write(r.cont_slave, b"logout\r\n")
        r.close_container()  # at once: the output must still arrive
        received.append(read_until(r.user_master, b"logout\r\n"))

    result = rig.run(scenario)
    assert result.reason == "exited"
    assert received and received[0].endswith(b"logout\r\n")


def test_100_mb_from_container_intact(rig: Rig) -> None:
    total_blocks = 100
    block = os.urandom(1 << 20)
    sent = hashlib.sha256()
    got = hashlib.sha256()
    count = [0]
    done = threading.Event()

    def producer(r: Rig) -> None:
        for i in range(total_blocks):
            chunk = struct.pack(">Q", i) + block
            sent.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(r.cont_slave, view) :]
        assert done.wait(60), "consumer did not finish"
        r.close_container()

    def consumer(r: Rig) -> None:
        want = total_blocks * (len(block) + 8)
        while count[0] < want:
            ready, _, _ = select.select([r.user_master], [], [], TIMEOUT)
            assert ready, f"stalled after {count[0]} bytes"
            data = os.read(r.user_master, 65536)
            got.update(data)
            count[0] += len(data)
        done.set()

    result = rig.run(producer, consumer, banner=None)
    assert result.reason == "exited"
    assert count[0] == total_blocks * (len(block) + 8)
    assert got.hexdigest() == sent.hexdigest()


def test_input_from_a_pipe_ends_with_eof(rig: Rig) -> None:
    read_fd, write_fd = os.pipe()
    received: list[bytes] = []

    def scenario(r: Rig) -> None:
        os.write(write_fd, b"echo hi\n" + E)
        os.close(write_fd)
        received.append(read_exactly(r.cont_slave, 10))
        r.close_container()

    try:
        result = rig.run(scenario, banner=None, stdin_fd=read_fd)
    finally:
        os.close(read_fd)
    # stdin is a pipe here, the user's terminal is only the output.
    assert result.reason == "exited"
    assert received == [b"echo hi\n" + E + b"\x04"]


def test_relay_with_the_demo_shell(rig: Rig) -> None:
    shell = spawn_demo_shell("web")
    rig.on_failure = shell.process.kill
    transcript: list[bytes] = []

    def scenario(r: Rig) -> None:
        transcript.append(read_until(r.user_master, b"root@web:~# "))
        os.write(r.user_master, b"hostname\r")
        transcript.append(read_until(r.user_master, b"root@web:~# "))
        os.write(r.user_master, b"exit\r")

    try:
        result = rig.run(scenario, master=shell.fd)
    finally:
        os.close(shell.fd)
    assert result.reason == "exited"
    assert transcript[0].startswith(ESCAPE_HINT.encode())
    assert b"hostname\r\nweb\r\n" in transcript[1]
    assert shell.process.wait(TIMEOUT) == 0


def test_demo_shell_answers_and_exits() -> None:
    shell = spawn_demo_shell("db", "alice")
    try:
        read_until(shell.fd, b"alice@db:~$ ")
        os.write(shell.fd, b"hostname\n")
        assert b"\r\ndb\r\n" in read_until(shell.fd, b"alice@db:~$ ")
        os.write(shell.fd, b"whoami\n")
        assert b"\r\nalice\r\n" in read_until(shell.fd, b"alice@db:~$ ")
        os.write(shell.fd, b"rm -rf /\n")
        assert b"demo: rm: command not found" in read_until(shell.fd, b"alice@db:~$ ")
        os.write(shell.fd, b"cat /etc/os-release\n")
        assert b'PRETTY_NAME="Debian' in read_until(shell.fd, b"alice@db:~$ ")
        os.write(shell.fd, b"exit\n")
        assert shell.process.wait(TIMEOUT) == 0
    finally:
        os.close(shell.fd)
        if shell.process.poll() is None:
            shell.process.kill()


def test_open_demo_shell_child_is_reaped() -> None:
    me = psutil.Process()
    before = {p.pid for p in me.children()}
    fd = open_demo_shell("web")
    try:
        new = {p.pid for p in me.children()} - before
        assert len(new) == 1
        (pid,) = new
        read_until(fd, b"root@web:~# ")
        os.write(fd, b"exit\n")
        end = time.monotonic() + TIMEOUT
        # Nobody here waits for it: the module's reaper must, or a zombie stays.
        while psutil.pid_exists(pid) and time.monotonic() < end:
            time.sleep(0.02)
        assert not psutil.pid_exists(pid)
    finally:
        os.close(fd)


def test_closing_the_master_ends_the_demo_shell() -> None:
    shell = spawn_demo_shell("web")
    read_until(shell.fd, b"root@web:~# ")
    os.close(shell.fd)  # what the app does after an escape
    assert shell.process.wait(TIMEOUT) is not None

"""Descriptor and signal plumbing of the shell relay (:mod:`nspawn_tui.terminal.relay`). No Textual."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import signal
import termios
import threading
from types import FrameType
from typing import Any, Final

#: A terminal that hung up (EIO, ENXIO), or was swapped for /dev/null since (ENOTTY).
HUNG_UP: Final = frozenset({errno.EIO, errno.ENOTTY, errno.ENXIO})


def same_tty(a: int, b: int) -> bool:
    return os.fstat(a).st_rdev == os.fstat(b).st_rdev


def restore_modes(saved: list[tuple[int, list[Any]]]) -> None:
    for fd, attrs in reversed(saved):
        try:
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except termios.error as exc:
            if exc.args[0] not in HUNG_UP:  # hung up: nothing left to restore
                raise


def reopen_nonblocking(fd: int, mode: int, stack: contextlib.ExitStack) -> int:
    """A non-blocking descriptor for ``fd``'s file that does not change ``fd``'s flags.

    Falls back to setting O_NONBLOCK on ``fd`` itself (restored on exit) when
    the file cannot be reopened (sockets, no /proc).
    """
    try:
        new = os.open(f"/proc/self/fd/{fd}", mode | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        set_nonblocking(fd, stack)
        return fd
    stack.callback(os.close, new)
    return new


def set_nonblocking(fd: int, stack: contextlib.ExitStack) -> None:
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    if not flags & os.O_NONBLOCK:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        stack.callback(fcntl.fcntl, fd, fcntl.F_SETFL, flags)


def wake_on_signals(wake_w: int, stack: contextlib.ExitStack) -> None:
    """Any caught signal wakes the loop, even one the kernel gave another thread (main thread
    only): its Python handler (SIGWINCH's, a Lifeline's SIGTERM) then runs in this one."""
    if threading.current_thread() is threading.main_thread():
        previous = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        stack.callback(signal.set_wakeup_fd, previous)


def install_sigwinch(wake_w: int, stack: contextlib.ExitStack) -> None:
    """Wake the loop on SIGWINCH through the pipe ``wake_w`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set there; the size is still set at start

    def on_winch(signum: int, frame: FrameType | None) -> None:
        # Full pipe: a wake-up is already pending, which is all we need.
        with contextlib.suppress(BlockingIOError):
            os.write(wake_w, b"w")

    previous = signal.signal(signal.SIGWINCH, on_winch)
    stack.callback(signal.signal, signal.SIGWINCH, previous)


def write_all_blocking(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` even if it is non-blocking."""
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        view = view[n:]

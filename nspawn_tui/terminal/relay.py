"""Attach the user's terminal to a container PTY: the ^]^]^] escape and the relay.

No Textual here. The app suspends itself (``App.suspend()``), calls
:func:`relay` with the PTY master file descriptor it got from the Host, and
resumes when the user escapes or the shell exits.

The escape is machinectl's: three 0x1D bytes (``^]``), all within one second
of the first of them; any other byte resets the count. Unlike machinectl we
hold the ``^]`` bytes back while an escape may still complete, so a completed
escape never reaches the container, and a broken one reaches it unchanged
and in order.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import struct
import termios
import time
import tty
from dataclasses import dataclass
from typing import Any, Final, Literal

from nspawn_tui.terminal.escape import ESCAPE_BYTE, EscapeDetector
from nspawn_tui.terminal.fds import (
    HUNG_UP,
    install_sigwinch,
    reopen_nonblocking,
    restore_modes,
    same_tty,
    set_nonblocking,
    wake_on_signals,
    write_all_blocking,
)

__all__ = [
    "ESCAPE_BYTE",
    "ESCAPE_HINT",
    "EscapeDetector",
    "RelayResult",
    "copy_window_size",
    "relay",
    "restore_terminal_modes",
]

ESCAPE_HINT: Final = "Press ^] three times within 1s to return to nspawn-tui\r\n"

#: Bytes asked of one read(); a PTY hands out at most its buffer (~4 KiB) anyway.
CHUNK: Final = 65536

#: How long to keep pushing input that was typed before an escape into the PTY.
_FLUSH_TIMEOUT: Final = 1.0

#: How often to look at a hung-up PTY again when hang-ups are ignored (login).
_VHANGUP_RETRY_MS: Final = 100

#: Stop reading the keyboard while this much typed input waits for the shell.
_INPUT_LIMIT: Final = 1 << 20

#: Reads in a row from one side before polling again (fairness vs. syscalls).
_BURST: Final = 32

_POLLIN: Final = select.POLLIN
_POLLOUT: Final = select.POLLOUT
_POLLHUPERR: Final = select.POLLHUP | select.POLLERR | select.POLLNVAL


@dataclass(frozen=True, slots=True)
class RelayResult:
    """Why :func:`relay` returned. ``hangup``: the terminal went away (EOF, EIO) or
    ``abort_fd`` became readable (SIGHUP, SIGTERM): the caller should end too."""

    reason: Literal["escaped", "exited", "error", "hangup"]
    message: str


def restore_terminal_modes(out_fd: int) -> None:
    """Undo modes a program in the container may have left on the user's terminal.

    Shows the cursor, resets colours, turns off mouse reporting, bracketed
    paste, application cursor keys and keypad mode. Leaving or re-entering
    the alternate screen is the app's job (Textual's suspend/resume does it),
    and termios modes are restored by :func:`relay` itself.
    """
    seq = (
        b"\x1b[0m\x1b[?25h"
        b"\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"
        b"\x1b[?2004l\x1b[?1l\x1b>"
    )
    try:
        write_all_blocking(out_fd, seq)
    except OSError as exc:
        if exc.errno not in HUNG_UP:  # hung up: nothing left to restore
            raise


def copy_window_size(from_fd: int, to_fd: int) -> bool:
    """Copy the window size of the terminal ``from_fd`` to the PTY ``to_fd``.

    Returns False when ``from_fd`` is not a terminal (nothing to copy).
    """
    try:
        size = fcntl.ioctl(from_fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError as exc:
        if exc.errno in (errno.ENOTTY, errno.EINVAL, errno.EBADF):
            return False
        raise
    rows, cols = struct.unpack("HHHH", size)[:2]
    if rows == 0 or cols == 0:
        return False
    fcntl.ioctl(to_fd, termios.TIOCSWINSZ, size)
    return True


def relay(
    master_fd: int,
    *,
    stdin_fd: int = 0,
    stdout_fd: int = 1,
    detector: EscapeDetector | None = None,
    banner: str | None = ESCAPE_HINT,
    resize: bool = True,
    ignore_vhangup: bool = False,
    abort_fd: int | None = None,
) -> RelayResult:
    """Relay the user's terminal to the PTY ``master_fd`` until escape or exit. Blocking.

    Meant to run while the Textual app is suspended. Puts ``stdin_fd`` in raw
    mode if it is a terminal (and ``stdout_fd`` too if it is a different one)
    and restores their exact termios attributes afterwards; writes ``banner``;
    copies the window size of ``stdout_fd`` to the PTY at start and on every
    SIGWINCH (the handler is installed only when called from the main thread;
    the previous handler is restored afterwards).

    ``stdin_fd``/``stdout_fd`` are reopened through ``/proc/self/fd`` so they
    can be non-blocking without touching the open file description shared
    with the parent shell (as machinectl does); ``master_fd`` is made
    non-blocking for the duration and its flags restored. The caller still
    owns and closes ``master_fd``.

    ``ignore_vhangup``: a hang-up of the PTY does not end the relay (as for
    ``machinectl login``, where getty hangs up the terminal on logout and
    shows a new prompt); only the escape does.

    ``abort_fd``: readable (:attr:`nspawn_tui.terminal.lifeline.Lifeline.abort_fd`),
    the relay returns ``hangup`` at once, as on EOF or EIO of the terminal.
    """
    det = detector if detector is not None else EscapeDetector()
    with contextlib.ExitStack() as stack:
        saved_modes: list[tuple[int, list[Any]]] = []
        stack.callback(restore_modes, saved_modes)
        in_is_tty = os.isatty(stdin_fd)
        if in_is_tty:
            saved_modes.append((stdin_fd, termios.tcgetattr(stdin_fd)))
            tty.setraw(stdin_fd, termios.TCSANOW)
        if os.isatty(stdout_fd) and not (in_is_tty and same_tty(stdin_fd, stdout_fd)):
            saved_modes.append((stdout_fd, termios.tcgetattr(stdout_fd)))
            tty.setraw(stdout_fd, termios.TCSANOW)

        in_fd = reopen_nonblocking(stdin_fd, os.O_RDONLY, stack)
        out_fd = reopen_nonblocking(stdout_fd, os.O_WRONLY, stack)
        set_nonblocking(master_fd, stack)

        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        stack.callback(os.close, wake_r)
        stack.callback(os.close, wake_w)
        wake_on_signals(wake_w, stack)
        if resize:
            install_sigwinch(wake_w, stack)
            _propagate_size((stdout_fd, stdin_fd), master_fd)
        if banner:
            write_all_blocking(out_fd, banner.encode())
        loop = _Relay(master_fd, in_fd, out_fd, wake_r, det, ignore_vhangup)
        loop.abort_fd = abort_fd
        loop.stdin_is_tty = in_is_tty
        loop.resize_from = (stdout_fd, stdin_fd) if resize else ()
        return loop.run()
    raise AssertionError("unreachable")  # pragma: no cover  (ExitStack swallows nothing)


class _Relay:
    """The state of one relay loop (see :func:`relay`)."""

    def __init__(
        self,
        master: int,
        in_fd: int,
        out_fd: int,
        wake_fd: int,
        detector: EscapeDetector,
        ignore_vhangup: bool,
    ) -> None:
        self.master = master
        self.in_fd = in_fd
        self.out_fd = out_fd
        self.wake_fd = wake_fd
        self.det = detector
        self.ignore_vhangup = ignore_vhangup
        self.stdin_is_tty = True
        self.abort_fd: int | None = None  # readable: return "hangup" (see relay())
        self.resize_from: tuple[int, ...] = ()  # terminals to take the size from, in order
        self.to_master = b""  # typed, not yet written to the PTY
        self.to_out = b""  # container output not yet written to the terminal
        self.stdin_open = True
        self.master_hup = False  # hung up while output to the terminal was pending
        self.vhangup = False  # hung up, ignored (login): look again a little later
        self.poller = select.poll()
        self.masks: dict[int, int] = {}

    def _update(self) -> None:
        """(Re)register what the loop waits for, from the buffers' state."""
        want: dict[int, int] = {self.wake_fd: _POLLIN}
        if self.abort_fd is not None:
            want[self.abort_fd] = _POLLIN
        if self.vhangup:
            master = 0
        elif self.to_out:
            master = 0 if self.master_hup else (_POLLOUT if self.to_master else 0)
        else:
            self.master_hup = False
            master = _POLLIN | (_POLLOUT if self.to_master else 0)
        want[self.master] = master
        want[self.out_fd] = _POLLOUT if self.to_out else 0
        if self.stdin_open and len(self.to_master) < _INPUT_LIMIT:
            want[self.in_fd] = want.get(self.in_fd, 0) | _POLLIN
        else:
            want.setdefault(self.in_fd, 0)
        masks, poller = self.masks, self.poller
        for fd, mask in want.items():
            old = masks.get(fd, 0)
            if mask == old:
                continue
            if not mask:
                poller.unregister(fd)
                del masks[fd]
            elif old:
                poller.modify(fd, mask)
                masks[fd] = mask
            else:
                poller.register(fd, mask)
                masks[fd] = mask

    def run(self) -> RelayResult:
        master, in_fd, out_fd, wake_fd, det = (
            self.master,
            self.in_fd,
            self.out_fd,
            self.wake_fd,
            self.det,
        )
        read, write = os.read, os.write
        while True:
            self._update()
            timeout: int | None = None
            deadline = det.pending_deadline()
            if deadline is not None:
                timeout = max(0, int((deadline - det.clock()) * 1000) + 1)
            if self.vhangup:
                timeout = _VHANGUP_RETRY_MS if timeout is None else min(timeout, _VHANGUP_RETRY_MS)
            events = self.poller.poll(timeout)
            self.vhangup = False
            if deadline is not None:
                expired = det.flush_expired()
                if expired:
                    self._queue(expired)
                    result = self._write_master()
                    if result is not None:
                        return result
            for fd, ev in events:
                if fd == master:
                    if ev & _POLLOUT and self.to_master:
                        result = self._write_master()
                        if result is not None:
                            return result
                    if not ev & (_POLLIN | _POLLHUPERR):
                        continue
                    if self.to_out:
                        self.master_hup = True  # come back once the output is written
                        continue
                    # The hot path: container output to the terminal.
                    for _ in range(_BURST):
                        try:
                            data = read(master, CHUNK)
                        except BlockingIOError:
                            break
                        except OSError as exc:
                            if exc.errno == errno.EINTR:
                                continue
                            if exc.errno != errno.EIO:
                                return RelayResult(
                                    "error", f"Reading from the shell failed: {exc.strerror}"
                                )
                            if self.ignore_vhangup:
                                self.vhangup = True
                                break
                            return self._exited()
                        if not data:
                            return self._exited()
                        try:
                            n = write(out_fd, data)
                        except BlockingIOError:
                            n = 0
                        except OSError as exc:
                            return _terminal_error(exc)
                        if n < len(data):
                            self.to_out = data[n:]
                            break
                    continue
                if fd == wake_fd:
                    self._drain_wakeups()
                    continue
                if fd == self.abort_fd:
                    return RelayResult("hangup", "Asked to end (hang-up or termination)")
                if fd == out_fd and ev & _POLLOUT and self.to_out:
                    result = self._write_out()
                    if result is not None:
                        return result
                if fd == in_fd and ev & (_POLLIN | _POLLHUPERR) and self.stdin_open:
                    result = self._read_input()
                    if result is not None:
                        return result

    def _read_input(self) -> RelayResult | None:
        try:
            data = os.read(self.in_fd, CHUNK)
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return None
            return _terminal_error(exc)
        if not data:
            self.stdin_open = False
            if self.stdin_is_tty:
                return RelayResult("hangup", "The terminal went away")
            # Input ended (a pipe): release held ^] and send an end-of-file.
            self._queue(self.det.flush() + _veof(self.master))
            return self._write_master()
        forward, escaped = self.det.feed(data)
        if forward:
            self._queue(forward)
        if escaped:
            return self._finish_escape()
        return self._write_master() if self.to_master else None

    def _queue(self, data: bytes) -> None:
        self.to_master = self.to_master + data if self.to_master else data

    def _write_master(self) -> RelayResult | None:
        if self.vhangup:
            return None
        try:
            n = os.write(self.master, self.to_master)
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return None
            if exc.errno == errno.EIO:
                if self.ignore_vhangup:
                    self.vhangup = True
                    return None
                return self._exited()
            return RelayResult("error", f"Writing to the shell failed: {exc.strerror}")
        self.to_master = self.to_master[n:]
        return None

    def _write_out(self) -> RelayResult | None:
        try:
            n = os.write(self.out_fd, self.to_out)
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return None
            return _terminal_error(exc)
        self.to_out = self.to_out[n:]
        return None

    def _finish_escape(self) -> RelayResult:
        """Push what was typed before the escape into the PTY (bounded), then return."""
        end = time.monotonic() + _FLUSH_TIMEOUT
        data = memoryview(self.to_master)
        while data:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                data = data[os.write(self.master, data) :]
            except BlockingIOError:
                select.select([], [self.master], [], left)
            except OSError as exc:
                if exc.errno != errno.EINTR:
                    break  # the shell is gone: nobody to hand the bytes to
        self.to_master = b""
        return RelayResult("escaped", "Detached from the shell (^] ^] ^])")

    def _exited(self) -> RelayResult:
        """The shell is gone: hand the output still pending to the terminal."""
        end = time.monotonic() + _FLUSH_TIMEOUT
        while self.to_out:
            left = end - time.monotonic()
            if left <= 0:
                break
            if self._write_out() is not None:
                break
            if self.to_out:
                select.select([], [self.out_fd], [], left)
        return RelayResult("exited", "The shell exited")

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):  # empty: the pipe is non-blocking
            while os.read(self.wake_fd, 512):
                pass
        if self.resize_from:
            _propagate_size(self.resize_from, self.master)


def _propagate_size(sources: tuple[int, ...], master: int) -> None:
    """Give the PTY the size of the first of ``sources`` that is a terminal."""
    try:
        for fd in sources:
            if copy_window_size(fd, master):
                return
    except OSError as exc:
        if exc.errno != errno.EIO:  # EIO: the shell went away; the loop sees it next
            raise


def _terminal_error(exc: OSError) -> RelayResult:
    if exc.errno in HUNG_UP:
        return RelayResult("hangup", "The terminal went away")
    return RelayResult("error", f"The terminal failed: {exc.strerror}")


def _veof(master: int) -> bytes:
    try:
        cc = termios.tcgetattr(master)[6]
    except termios.error:
        return b"\x04"
    value = cc[termios.VEOF]
    return value if isinstance(value, bytes) and value else b"\x04"

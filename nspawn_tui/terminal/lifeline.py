"""Ending the process when its user is gone: a lost terminal, SIGHUP or SIGTERM.

``su -c`` and ``setsid`` start nspawn-tui in a session of its own, so no
SIGHUP arrives when its terminal goes away (a tmux pane killed, an SSH
connection dropped): the terminal's reads then return EOF (or EIO) forever,
and a program that does not notice spins on them.  :class:`Lifeline` notices:

- a thread polls the watched descriptors asking for *no* events; the kernel
  still reports ``POLLHUP``/``POLLERR`` for a terminal that hung up (the
  other side of a PTY closed, a ``vhangup``), and for a pipe whose writer
  is gone, so the thread never reads (or steals) the user's input;
- handlers for SIGHUP and SIGTERM (installed from the main thread only).

On the first of these, :meth:`Lifeline.end` records the exit status
(:data:`EXIT_HANGUP` 129 for SIGHUP *and* for a lost terminal, as a shell
reports a hang-up; :data:`EXIT_TERMINATED` 143 for SIGTERM), points a
hung-up standard output and error at ``/dev/null`` so that nothing written
on the way out fails or blocks, makes :attr:`Lifeline.abort_fd` readable (a
shell relay in progress returns), calls the handler (the app exits), and
arms a deadline: if the process is still there :data:`GRACE` seconds later,
its child processes are ended and it exits at once with the status.
:meth:`Lifeline.stop` (the end of a ``with`` block) ends child processes
that are still running (``journalctl`` readers, a demo shell), so none
outlives us.

No Textual here.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType, TracebackType
from typing import Final

__all__ = [
    "EXIT_HANGUP",
    "EXIT_TERMINATED",
    "GRACE",
    "Lifeline",
    "end_children",
    "hung_up",
    "terminal_fds",
]

#: Exit status after SIGHUP, and after the terminal went away (EOF, EIO, hang-up).
EXIT_HANGUP: Final = 128 + signal.SIGHUP
#: Exit status after SIGTERM.
EXIT_TERMINATED: Final = 128 + signal.SIGTERM

#: Seconds between :meth:`Lifeline.end` and a forced exit, if the orderly one has not happened.
GRACE: Final = 0.8

_STATUS: Final = {signal.SIGHUP: EXIT_HANGUP, signal.SIGTERM: EXIT_TERMINATED}
_GONE: Final = select.POLLHUP | select.POLLERR

EndHandler = Callable[[int], object]


def hung_up(fd: int) -> bool:
    """Whether ``fd`` reports a hang-up or an error right now (a lost terminal)."""
    poller = select.poll()
    poller.register(fd, 0)
    return any(ev & _GONE for _, ev in poller.poll(0))


def terminal_fds(*always: int) -> list[int]:
    """The terminals among descriptors 0, 1 and 2, plus ``always`` (whatever they are)."""
    fds = {fd for fd in (0, 1, 2) if os.isatty(fd)} | set(always)
    return sorted(fds)


def end_children(timeout: float = 0.3) -> list[int]:
    """SIGTERM to every descendant process, SIGKILL to those still there after ``timeout``.

    Returns the PIDs that were running.
    """
    import psutil  # only when ending: not loaded before the first frame

    try:
        children = psutil.Process().children(recursive=True)
    except psutil.NoSuchProcess:  # pragma: no cover  (we are running)
        return []
    for child in children:
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended by itself meanwhile
            child.terminate()
    _, alive = psutil.wait_procs(children, timeout=timeout)
    for child in alive:
        with contextlib.suppress(psutil.NoSuchProcess):  # it ended by itself meanwhile
            child.kill()
    psutil.wait_procs(alive, timeout=timeout)
    return [int(child.pid) for child in children]


class Lifeline:
    """Watches for the end of the user's session; see the module documentation.

    ``fds``: descriptors whose hang-up means the user is gone (see
    :func:`terminal_fds`).  ``grace``: seconds before a forced exit after
    :meth:`end`; None never forces one.  ``reap``: :meth:`stop` ends child
    processes still running.  (Tests in a process that must survive, with
    children of its own, pass ``grace=None, reap=False``.)  Use as a context
    manager (:meth:`start` / :meth:`stop`).
    """

    def __init__(
        self, fds: Iterable[int], *, grace: float | None = GRACE, reap: bool = True
    ) -> None:
        self.fds = tuple(fds)
        self.grace = grace
        self.reap = reap
        #: The exit status once ended (129 hang-up or lost terminal, 143 SIGTERM), else None.
        self.status: int | None = None
        #: Why it ended, in words ("" before).
        self.reason = ""
        self._once = threading.Lock()  # taken once, by the first end(), never released
        self._handler: EndHandler | None = None
        self._abort_r, self._abort_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._stop_r, self._stop_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._thread: threading.Thread | None = None
        self._previous: dict[int, signal.Handlers | int | Callable[..., object] | None] = {}
        self._closed = False

    @property
    def abort_fd(self) -> int:
        """A descriptor that becomes readable (and stays so) once :meth:`end` was called."""
        return self._abort_r

    @property
    def ended(self) -> bool:
        return self.status is not None

    # ------------------------------------------------------------ set-up

    def start(self) -> Lifeline:
        """Install the SIGHUP/SIGTERM handlers (main thread only) and start watching."""
        if threading.current_thread() is threading.main_thread():
            for signum in _STATUS:
                self._previous[signum] = signal.signal(signum, self._on_signal)
        if self.fds:
            self._thread = threading.Thread(
                target=self._watch, name="nspawn-tui-lifeline", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, restore the signal handlers, end child processes still running (reap).

        A deadline armed by :meth:`end` stays armed: the process exits by then.
        """
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BlockingIOError):  # full: a stop is pending anyway
            os.write(self._stop_w, b"x")
        if self._thread is not None:
            self._thread.join()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
        if self.reap:
            end_children()
        for fd in (self._stop_r, self._stop_w, self._abort_r, self._abort_w):
            os.close(fd)

    def __enter__(self) -> Lifeline:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def set_handler(self, handler: EndHandler | None) -> None:
        """Call ``handler(status)`` on the end (now, if it has happened). From any thread.

        The handler may run in the watcher thread or in a signal handler of
        the main thread: it must only hand the work over (for example with
        ``loop.call_soon_threadsafe``).  None removes it.
        """
        self._handler = handler
        status = self.status
        if handler is not None and status is not None:
            handler(status)

    # ------------------------------------------------------------ the end

    def end(self, status: int, reason: str) -> None:
        """The user is gone: record ``status``, stop a relay, tell the handler, arm the deadline.

        Only the first call counts; safe from any thread and from signal handlers.
        """
        if not self._once.acquire(blocking=False):
            return
        self.reason = reason
        self.status = status
        self._detach_lost()
        if not self._closed:  # after stop() nobody polls it, and the descriptor is gone
            os.write(self._abort_w, b"x")  # the first and only byte: the pipe has room
        if self.grace is not None:
            threading.Thread(
                target=self._deadline, args=(status, self.grace), name="nspawn-tui-deadline",
                daemon=True,
            ).start()  # fmt: skip
        handler = self._handler
        if handler is not None:
            handler(status)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.end(_STATUS[signal.Signals(signum)], f"{signal.Signals(signum).name} received")

    def _watch(self) -> None:
        poller = select.poll()
        for fd in self.fds:
            poller.register(fd, 0)  # no events asked: only hang-ups and errors come back
        poller.register(self._stop_r, select.POLLIN)
        while True:
            for fd, ev in poller.poll():
                if fd == self._stop_r:
                    return
                if ev & select.POLLNVAL:
                    poller.unregister(fd)  # closed by its owner: nothing left to watch there
                elif ev & _GONE:
                    self.end(EXIT_HANGUP, "the terminal went away")
                    return

    def _detach_lost(self) -> None:
        """Point hung-up standard output and error at /dev/null.

        Output still written on the way out (Textual's writer thread, a last
        message) then neither fails nor, with a writer thread dead of EIO,
        blocks.  Standard input is left alone: its reader may be between a
        poll and a read of it, and only spins on EOF until the exit.
        """
        for fd in (1, 2):
            if fd in self.fds and hung_up(fd):
                null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
                os.dup2(null, fd)
                os.close(null)

    @staticmethod
    def _deadline(status: int, grace: float) -> None:
        time.sleep(grace)
        end_children(timeout=0.05)
        os._exit(status)

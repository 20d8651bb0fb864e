"""The counting copy loop between a file and a pipe, in a thread of its own.

An import feeds importd through a pipe we write (so the bytes are ours to
count: importd's own progress reads "unknown" for a file descriptor), an
export drains the pipe importd writes into a new file.  Both are the same
loop: :func:`copy_counting` copies from one descriptor to another until the
end of the input, waits on a non-blocking pipe with ``poll()`` a fraction
of a second at a time (so a stop request is seen even when importd neither
reads nor writes) and reports the running count.  :class:`Pump` runs it in a
daemon thread, owns both descriptors and closes them when it ends.
"""

from __future__ import annotations

import asyncio
import errno
import os
import select
import threading
from collections.abc import Callable
from typing import Final

#: Bytes per read: large enough that a fast disk is not held back by calls.
CHUNK: Final = 1 << 20
#: Seconds one poll() waits before the stop flag is looked at again.
POLL_INTERVAL: Final = 0.2


class PumpStopped(Exception):
    """The copy was asked to stop before the end of its input."""


def _wait(fd: int, events: int, stop: threading.Event) -> None:
    poller = select.poll()
    poller.register(fd, events | select.POLLERR | select.POLLHUP)
    while not stop.is_set():
        if poller.poll(int(POLL_INTERVAL * 1000)):
            return
    raise PumpStopped


def _write_all(fd: int, data: memoryview, stop: threading.Event) -> None:
    while data:
        if stop.is_set():
            raise PumpStopped
        try:
            written = os.write(fd, data)
        except BlockingIOError:
            _wait(fd, select.POLLOUT, stop)
            continue
        data = data[written:]


def copy_counting(
    source: int,
    target: int,
    progress: Callable[[int], None],
    stop: threading.Event,
    *,
    chunk: int = CHUNK,
) -> int:
    """Copy ``source`` to ``target`` until the end; calls ``progress(total)`` after each write.

    Either descriptor may be a non-blocking pipe.  Returns the bytes copied;
    raises :class:`PumpStopped` when ``stop`` is set, ``BrokenPipeError``
    when the reader of ``target`` went away, other ``OSError`` as they come.
    """
    total = 0
    while True:
        if stop.is_set():
            raise PumpStopped
        try:
            data = os.read(source, chunk)
        except BlockingIOError:
            _wait(source, select.POLLIN, stop)
            continue
        if not data:
            return total
        _write_all(target, memoryview(data), stop)
        total += len(data)
        progress(total)


class Pump:
    """:func:`copy_counting` in a daemon thread; owns (and closes) both descriptors.

    ``count`` is the running byte count (an int, read from any thread);
    :meth:`wait` returns it at the end or raises what ended the copy
    (:class:`PumpStopped`, ``OSError``).
    """

    def __init__(self, source: int, target: int, what: str) -> None:
        self.source = source
        self.target = target
        self.what = what
        self.count = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done: asyncio.Future[int] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[int] = loop.create_future()
        self._done = done

        def settle(result: int | BaseException) -> None:
            if done.done():
                return
            if isinstance(result, BaseException):
                done.set_exception(result)
            else:
                done.set_result(result)

        def run() -> None:
            outcome: int | BaseException
            try:
                outcome = copy_counting(self.source, self.target, self._counted, self._stop)
            except (PumpStopped, OSError) as exc:
                outcome = exc
            finally:
                self._close()
            try:
                loop.call_soon_threadsafe(settle, outcome)
            except RuntimeError:
                pass  # the loop is closed: nobody waits any more

        self._thread = threading.Thread(target=run, name=f"pump: {self.what}", daemon=True)
        self._thread.start()

    def discard(self) -> None:
        """Close both descriptors of a pump that will not be started."""
        if self._thread is None:
            self._close()

    def _counted(self, total: int) -> None:
        self.count = total

    def _close(self) -> None:
        for fd in (self.source, self.target):
            try:
                os.close(fd)
            except OSError as exc:
                if exc.errno != errno.EBADF:
                    raise

    def stop(self) -> None:
        """Ask the copy to end at its next chunk (or within :data:`POLL_INTERVAL`)."""
        self._stop.set()

    @property
    def running(self) -> bool:
        return self._done is not None and not self._done.done()

    async def wait(self) -> int:
        if self._done is None:
            raise RuntimeError("the pump was not started")
        return await asyncio.shield(self._done)

"""A dbus-next ``MessageBus`` that survives a burst of calls larger than its socket's buffer.

dbus-next 0.2.3 writes queued messages in a loop until its queue is empty; when
the non-blocking socket is full, ``send`` raises ``BlockingIOError`` and the
writer treats that as a fatal error: every pending call fails and the bus is
disconnected.  A sweep of many machines (one ``GetAll`` each, all at once) or
a slow SSH link fills the buffer easily (measured: 5,000 small calls at once
killed the connection to a local dbus-daemon).  :class:`PatientWriter` stops
at a full socket and waits for the event loop to report it writable again,
which is what the original does after a partial write.
"""

from __future__ import annotations

from typing import Any

from dbus_next.aio import MessageBus
from dbus_next.aio.message_bus import _MessageWriter


def patient_bus(**kwargs: Any) -> MessageBus:
    """``MessageBus(**kwargs)`` whose writer waits when the socket is full."""
    bus = MessageBus(**kwargs)
    bus._writer = PatientWriter(bus)
    return bus


class PatientWriter(_MessageWriter):  # type: ignore[misc]
    """dbus-next's writer, waiting on a full socket (see the module docstring)."""

    buf: memoryview | None
    offset: int

    def write_callback(self) -> None:
        # dbus-next's loop, with a full socket meaning "wait until writable" (it stays
        # registered with the event loop), not "the connection is broken".
        try:
            while True:
                if self.buf is None:
                    if self.messages.qsize() == 0:
                        self.loop.remove_writer(self.fd)
                        return
                    buf, unix_fds, fut = self.messages.get_nowait()
                    self.unix_fds = unix_fds
                    self.buf = memoryview(buf)
                    self.offset = 0
                    self.fut = fut
                try:
                    if self.unix_fds and self.negotiate_unix_fd:
                        self.offset += self._sendmsg_fds()
                        self.unix_fds = None
                    else:
                        self.offset += self.sock.send(self.buf[self.offset :])
                except (BlockingIOError, InterruptedError):
                    return  # full: called again when the socket drains
                if self.offset >= len(self.buf):
                    self.buf = None
                    if self.fut is not None and not self.fut.done():
                        self.fut.set_result(None)
                else:
                    return
        except Exception as exc:  # noqa: BLE001 - dbus-next's own handling: fail the bus
            if self.fut is not None and not self.fut.done():
                self.fut.set_exception(exc)
            self.bus._finalize(exc)

    def _sendmsg_fds(self) -> int:
        import array
        import socket

        assert self.buf is not None
        ancdata = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", self.unix_fds))]
        return int(self.sock.sendmsg([self.buf[self.offset :]], ancdata))

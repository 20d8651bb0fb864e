"""Transfers through systemd-importd (``org.freedesktop.import1``) and calls that pass fds.

importd takes a file descriptor (``ImportTar(h fd, s name, b force, b
read_only)``, ``ExportTar(s name, h fd, s format)``...), answers with the
transfer's id and object, and runs ``systemd-import``/``systemd-export`` on
that descriptor.  Its ``Progress`` property reads "unknown" for a
descriptor, so the descriptor we give is one end of a pipe and a
:class:`~nspawn_tui.images.pump.Pump` copies the file through the other end,
counting.  Each transfer's log lines arrive as ``LogMessage`` signals on its
object; its end as ``TransferRemoved(u id, o path, s result)`` on the
manager, with ``result`` "done", "failed" or "canceled".
:class:`ImportdWatch` routes both (one per bus);
:class:`~nspawn_tui.host.machined.import_transfer.ImportdTransfer` (loaded
when a transfer starts, not before the dashboard's first frame) turns them
and the byte count into progress readings.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any, Final

from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus
from dbus_next.errors import DBusError

from nspawn_tui.host.base import HostError, HostUnavailable
from nspawn_tui.host.machined import bus as du
from nspawn_tui.safe import clean

IMPORT1: Final = "org.freedesktop.import1"
IMPORT1_PATH: Final = "/org/freedesktop/import1"
IMPORT1_MANAGER: Final = "org.freedesktop.import1.Manager"
IMPORT1_TRANSFER: Final = "org.freedesktop.import1.Transfer"
NO_SUCH_TRANSFER: Final = "org.freedesktop.import1.NoSuchTransfer"
#: Errors that mean nobody owns a name on the bus (and nothing activates it).
MISSING_SERVICE: Final = frozenset(
    {"org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"}
)
#: Results and log lines kept for transfers not (yet) claimed by a Transfer object.
_KEPT: Final = 64

#: Turns a D-Bus error (name, text) into a HostError, or None for the default.
ErrorWords = Callable[[str, str], HostError | None]


class ImportdMissing(HostError):
    """systemd-importd is not on this bus: import and export cannot run (the rest can)."""


async def send(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: Sequence[Any] = (),
    *,
    what: str,
    fds: Sequence[int] = (),
    words: ErrorWords | None = None,
) -> list[Any]:
    """One method call that may pass file descriptors (``h`` values index ``fds``).

    The caller keeps ``fds`` (and closes them after this returns).  A D-Bus
    error is turned into words by ``words`` first (it sees the error's name),
    then as every other call's (:func:`nspawn_tui.host.machined.bus.translate_error`).
    """
    if not bus.connected:
        raise HostUnavailable("the connection to the system bus was lost")
    msg = Message(
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=list(body),
        unix_fds=list(fds),
    )
    try:
        reply = await bus.call(msg)
    except (EOFError, OSError) as exc:
        raise HostUnavailable(f"the connection to the system bus was lost ({exc})") from None
    if reply is None:
        raise HostUnavailable(f"{what}: no reply")
    for fd in reply.unix_fds or []:
        os.close(fd)  # nothing we call answers with descriptors
    if reply.message_type == MessageType.ERROR:
        name = reply.error_name or "unknown"
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        said = words(name, text) if words is not None else None
        raise said or du.translate_error(DBusError(name, text or name, reply), what, path)
    return list(reply.body)


def importd_words(what: str, where: str) -> ErrorWords:
    """Error words for import1 calls: a missing importd is said as such."""

    def words(name: str, text: str) -> HostError | None:
        if name in MISSING_SERVICE:
            return ImportdMissing(
                f"{what}: systemd-importd is not available on {where} ({IMPORT1} has no "
                "owner). Import and export need it (Debian: apt-get install "
                "systemd-container); everything else works without it."
            )
        if name == "org.freedesktop.DBus.Error.InvalidArgs":
            return HostError(f"{what}: importd refused it: {text}")
        return None

    return words


class ImportdWatch:
    """Routes importd's signals on one bus to the transfers waiting for them."""

    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self._results: OrderedDict[int, str] = OrderedDict()
        self._waiters: dict[int, asyncio.Future[str]] = {}
        self._logs: dict[str, deque[tuple[int, str]]] = {}
        self._started = False

    async def start(self) -> None:
        if self._started:
            return
        self.bus.add_message_handler(self._on_message)
        rule = f"type='signal',sender='{IMPORT1}'"
        await du.call(self.bus, du.DBUS, du.DBUS_PATH, du.DBUS, "AddMatch", "s", [rule])
        self._started = True

    def _on_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL:
            return
        if msg.member == "TransferRemoved" and msg.interface == IMPORT1_MANAGER:
            if len(msg.body) == 3:
                self._ended(int(msg.body[0]), str(msg.body[2]))
        elif msg.member == "LogMessage" and msg.interface == IMPORT1_TRANSFER:
            if len(msg.body) == 2 and msg.path:
                lines = self._logs.setdefault(msg.path, deque(maxlen=_KEPT))
                lines.append((int(msg.body[0]), clean(str(msg.body[1]))))
                while len(self._logs) > _KEPT:
                    self._logs.pop(next(iter(self._logs)))

    def _ended(self, transfer_id: int, result: str) -> None:
        waiter = self._waiters.pop(transfer_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(result)
            return
        self._results[transfer_id] = result
        while len(self._results) > _KEPT:
            self._results.popitem(last=False)

    def ended(self, transfer_id: int) -> asyncio.Future[str]:
        """Resolves with the transfer's result ("done", "failed", "canceled")."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if transfer_id in self._results:
            future.set_result(self._results.pop(transfer_id))
        else:
            self._waiters[transfer_id] = future
        return future

    def log(self, path: str) -> list[tuple[int, str]]:
        return list(self._logs.get(path, ()))

    def forget(self, transfer_id: int, path: str) -> None:
        self._waiters.pop(transfer_id, None)
        self._logs.pop(path, None)

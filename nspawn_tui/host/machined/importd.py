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
:class:`ImportdWatch` routes both (one per bus), :class:`ImportdTransfer`
turns them and the byte count into :class:`TransferProgress` readings.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final

from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus
from dbus_next.errors import DBusError

from nspawn_tui.host.base import HostError, HostUnavailable
from nspawn_tui.host.images import Transfer, TransferProgress
from nspawn_tui.host.machined import bus as du
from nspawn_tui.images.progress import ProgressMeter
from nspawn_tui.images.pump import Pump, PumpStopped
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
#: Seconds between two progress readings.
UPDATE_INTERVAL: Final = 0.25
#: Seconds an export may take to drain the pipe after importd said "done".
DRAIN_TIMEOUT: Final = 60.0
#: Results and log lines kept for transfers not (yet) claimed by a Transfer object.
_KEPT: Final = 64
#: importd's log lines that say nothing about why a transfer failed.
_ROUTINE: Final = ("Exiting.", "Operation completed successfully.")
#: How importd's first line of a transfer starts ("Importing 'pipe:[…]', saving as …").
_STARTING: Final = ("Importing '", "Exporting '")

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


def failure_words(lines: Sequence[tuple[int, str]]) -> str:
    """Why a transfer failed, from its log: what it started with and routine lines left out."""
    said = [
        text
        for _priority, text in lines
        if text and text not in _ROUTINE and not text.startswith(_STARTING)
    ]
    return "; ".join(said[-4:]) or "importd gave no reason (see its journal)"


class ImportdTransfer(Transfer):
    """One running import or export: importd's end of it plus our pump."""

    def __init__(
        self,
        watch: ImportdWatch,
        transfer_id: int,
        path: str,
        description: str,
        *,
        pump: Pump | None,
        meter: ProgressMeter,
        words: ErrorWords,
        export: bool,
        on_failure: Callable[[], None] | None = None,
        on_end: Callable[[], None] | None = None,
    ) -> None:
        self.watch = watch
        self.transfer_id = transfer_id
        self.path = path
        self.description = clean(description)
        self._pump = pump
        self._meter = meter
        self._words = words
        self._export = export
        self._on_failure = on_failure
        self._on_end = on_end
        self._ended = watch.ended(transfer_id)
        self._cancelled = False
        self._over = False

    def _message(self) -> str:
        said = [text for _priority, text in self.watch.log(self.path) if text not in _ROUTINE]
        return said[-1] if said else ""

    def _reading(self, *, finished: bool = False) -> TransferProgress:
        if self._pump is not None:
            self._meter.update(self._pump.count)
        return self._meter.reading(finished=finished, message="" if finished else self._message())

    async def updates(self) -> AsyncIterator[TransferProgress]:
        try:
            yield self._reading()
            while not self._ended.done():
                if self._pump is not None and not self._pump.running:
                    await self._pump_ended()
                await asyncio.wait({self._ended}, timeout=UPDATE_INTERVAL)
                if not self._ended.done() and not self.watch.bus.connected:
                    if self._pump is not None:
                        self._pump.stop()
                    self._fail()
                    raise HostError(
                        f"{self.description}: the connection to the bus was lost; "
                        "importd may still be running the transfer"
                    )
                yield self._reading()
            yield await self._finish(self._ended.result())
        finally:
            if not self._ended.done():
                await self.cancel()  # the reader went away: do not leave it running
            self._over = True
            self.watch.forget(self.transfer_id, self.path)

    async def _pump_ended(self) -> None:
        """Our copy ended while importd still works: fine at the end of the input."""
        assert self._pump is not None
        try:
            await self._pump.wait()
        except BrokenPipeError:
            return  # importd stopped reading: its result says why
        except PumpStopped:
            return  # we cancelled
        except OSError as exc:
            await self.cancel()
            side = "writing the file" if self._export else "reading the file"
            raise HostError(f"{self.description} stopped: {side} failed: {exc.strerror}") from None

    async def _finish(self, result: str) -> TransferProgress:
        if self._on_end is not None:
            self._on_end()
        if self._pump is not None:
            if result == "done" and self._export:
                try:
                    await asyncio.wait_for(self._pump.wait(), DRAIN_TIMEOUT)
                except TimeoutError:
                    self._pump.stop()
                    result = "failed"
                except OSError as exc:
                    self._fail()
                    raise HostError(
                        f"{self.description} failed: writing the file failed: {exc.strerror}"
                    ) from None
            else:
                self._pump.stop()
                try:
                    await self._pump.wait()
                except (PumpStopped, OSError):
                    pass  # importd has its result; the copy's end adds nothing
        if result == "done":
            if not self._export and self._meter.total_bytes is not None:
                self._meter.update(self._meter.total_bytes)  # tar may skip trailing zeros
            return self._reading(finished=True)
        self._fail()
        if result == "canceled" or self._cancelled:
            raise HostError(f"{self.description} was cancelled")
        raise HostError(f"{self.description} failed: {failure_words(self.watch.log(self.path))}")

    def _fail(self) -> None:
        if self._on_failure is not None:
            self._on_failure()
            self._on_failure = None

    async def cancel(self) -> None:
        if self._over or self._ended.done():
            return
        self._cancelled = True
        if self._pump is not None:
            self._pump.stop()

        def words(name: str, text: str) -> HostError | None:
            if name == NO_SUCH_TRANSFER:
                return _Finished(text)
            return self._words(name, text)

        try:
            await send(
                self.watch.bus, IMPORT1, IMPORT1_PATH, IMPORT1_MANAGER, "CancelTransfer",
                "u", [self.transfer_id], what=f"cancel the {self.description}", words=words,
            )  # fmt: skip
        except _Finished:
            return  # it ended on its own meanwhile


class _Finished(HostError):
    """CancelTransfer of a transfer that already ended."""

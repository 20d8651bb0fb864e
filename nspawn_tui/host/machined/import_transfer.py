"""One running import or export through systemd-importd: its progress and its end.

:class:`ImportdTransfer` turns importd's signals (routed by
:class:`~nspawn_tui.host.machined.importd.ImportdWatch`) and our
:class:`~nspawn_tui.images.pump.Pump`'s byte count into
:class:`~nspawn_tui.host.images.TransferProgress` readings.  Loaded when a
transfer starts, not before the dashboard's first frame.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Final

from nspawn_tui.host.base import HostError
from nspawn_tui.host.images import Transfer, TransferProgress
from nspawn_tui.host.machined.importd import (
    IMPORT1,
    IMPORT1_MANAGER,
    IMPORT1_PATH,
    NO_SUCH_TRANSFER,
    ErrorWords,
    send,
)
from nspawn_tui.images.progress import ProgressMeter
from nspawn_tui.images.pump import Pump, PumpStopped
from nspawn_tui.safe import clean

if TYPE_CHECKING:
    from nspawn_tui.host.machined.importd import ImportdWatch

#: Seconds between two progress readings.
UPDATE_INTERVAL: Final = 0.25
#: Seconds an export may take to drain the pipe after importd said "done".
DRAIN_TIMEOUT: Final = 60.0
#: importd's log lines that say nothing about why a transfer failed.
_ROUTINE: Final = ("Exiting.", "Operation completed successfully.")
#: How importd's first line of a transfer starts ("Importing 'pipe:[…]', saving as …").
_STARTING: Final = ("Importing '", "Exporting '")


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

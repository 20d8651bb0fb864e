"""A simulated import or export of the demo host: progress in real time, then its effect.

Loaded by :class:`~nspawn_tui.host.demo.images.DemoImages` when a transfer
starts, not before the dashboard's first frame.  It is counted by the same
:class:`~nspawn_tui.images.progress.ProgressMeter` as a real one.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from typing import Final

from nspawn_tui.host.base import HostError
from nspawn_tui.host.images import Transfer, TransferProgress
from nspawn_tui.images.progress import ProgressMeter

#: Seconds between two progress readings.
STEP: Final = 0.1


class DemoTransfer(Transfer):
    """A transfer that moves ``total`` simulated bytes at ``rate``, then runs ``finish``."""

    def __init__(
        self,
        description: str,
        total: int,
        rate: Callable[[], float],
        *,
        known_total: bool,
        finish: Callable[[], str],
        fail: Callable[[], None] = lambda: None,
    ) -> None:
        self.description = description
        self._total = total
        self._rate = rate
        self._finish = finish
        self._fail = fail
        loop = asyncio.get_running_loop()
        self._meter = ProgressMeter(total if known_total else None, clock=loop.time)
        self._cancelled = asyncio.Event()
        self._over = False

    async def updates(self) -> AsyncIterator[TransferProgress]:
        done = 0.0
        last = self._meter.clock()
        try:
            yield self._meter.reading()
            while done < self._total:
                try:
                    await asyncio.wait_for(self._cancelled.wait(), STEP)
                except TimeoutError:
                    pass
                if self._cancelled.is_set():
                    self._fail()
                    raise HostError(f"{self.description} was cancelled")
                now = self._meter.clock()
                done = min(float(self._total), done + self._rate() * (now - last))
                last = now
                self._meter.update(int(done))
                if done < self._total:
                    yield self._meter.reading()
            message = self._finish()
            self._over = True
            yield self._meter.reading(finished=True, message=message)
        finally:
            self._over = True

    async def cancel(self) -> None:
        if not self._over:
            self._cancelled.set()


def placeholder_tar(name: str) -> bytes:
    text = f"nspawn-tui demo host: image {name} is simulated; this archive holds no image.\n"
    data = text.encode()
    buffer = io.BytesIO()
    import tarfile  # only when a demo export runs: not a cost of every start

    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("README.nspawn-tui-demo")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()

"""Host events: machines appearing and vanishing, the connection coming and going.

Never imports Textual.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass


class EventKind(enum.Enum):
    MACHINE_NEW = "machine-new"
    MACHINE_REMOVED = "machine-removed"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class HostEvent:
    kind: EventKind
    name: str | None = None
    message: str = ""


class EventHub:
    """Fan-out of host events to any number of async subscribers."""

    def __init__(self, maxsize: int = 1000) -> None:
        self._queues: list[asyncio.Queue[HostEvent]] = []
        self._maxsize = maxsize

    def publish(self, event: HostEvent) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()  # drop the oldest: events are hints to refresh
            queue.put_nowait(event)

    async def subscribe(self) -> AsyncIterator[HostEvent]:
        queue: asyncio.Queue[HostEvent] = asyncio.Queue(self._maxsize)
        self._queues.append(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._queues.remove(queue)

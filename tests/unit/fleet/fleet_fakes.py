"""A small Host that fails, hangs or answers on demand, and a clock moved by hand."""

from __future__ import annotations

import asyncio

from nspawn_tui.host.base import (
    Host,
    HostError,
    HostStats,
    HostUnavailable,
    Image,
    Machine,
    MachineDetails,
    NoSuchMachine,
    Sample,
    Snapshot,
)


class Clock:
    """A monotonic clock for the fleet's back-off, moved by :meth:`advance`."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class FakeHost(Host):
    """Machines ``names``; ``gate`` (when set to an Event) holds every poll until it is set."""

    def __init__(
        self,
        label: str,
        names: tuple[str, ...] = ("web", "db"),
        *,
        cpu_count: int = 2,
        cpu_percent: float | None = 50.0,
        memory_total: int = 1000,
        memory_used: int = 400,
    ) -> None:
        super().__init__()
        self.label = label
        self.description = f"fake {label}"
        self.names = names
        self.stats = HostStats(f"h-{label}", cpu_count, cpu_percent, memory_total, memory_used)
        self.gate: asyncio.Event | None = None
        self.connect_gate: asyncio.Event | None = None
        self.fail_connect: str | None = None  # HostUnavailable from connect()
        self.raise_on_poll: BaseException | None = None  # raised by snapshot()
        self.disconnected: str | None = None  # snapshot() says connected=False
        self.connects = 0
        self.polls = 0
        self.active = 0
        self.max_active = 0
        self.closed = False

    async def connect(self) -> None:
        self.connects += 1
        if self.connect_gate is not None:
            await self.connect_gate.wait()
        if self.fail_connect is not None:
            raise HostUnavailable(self.fail_connect)

    async def close(self) -> None:
        self.closed = True

    async def snapshot(self) -> Snapshot:
        self.polls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.gate is not None:
                await self.gate.wait()
            if self.raise_on_poll is not None:
                raise self.raise_on_poll
            if self.disconnected is not None:
                return Snapshot((), {}, self.stats, connected=False, error=self.disconnected)
            machines = tuple(Machine(name) for name in self.names)
            samples = {name: Sample(0.0, cpu_percent=float(self.polls)) for name in self.names}
            return Snapshot(machines, samples, self.stats)
        finally:
            self.active -= 1

    async def list_machines(self) -> list[Machine]:
        if self.disconnected is not None:
            raise HostUnavailable(self.disconnected)
        return [Machine(name) for name in self.names]

    async def list_images(self) -> list[Image]:
        return [Image(name, "directory", False, f"/m/{name}") for name in self.names]

    async def machine_details(self, name: str) -> MachineDetails:
        if name not in self.names:
            raise NoSuchMachine(f"no machine {name!r}")
        return MachineDetails(Machine(name), image=Image(name, "directory", False, f"/m/{name}"))


__all__ = ["Clock", "FakeHost", "HostError"]

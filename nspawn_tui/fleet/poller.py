"""Polling the hosts of a fleet: one in-flight poll per host, a deadline, back-off.

A :class:`Member` is one host of the fleet with what the fleet last knew of it.
:class:`Poller` starts a poll of every host that has none running (a host still
answering its previous poll is not asked again), waits for all of them up to a
deadline and merges what came back into one :class:`Snapshot`:

- a host that did not answer in time keeps its last machines and figures; after
  two polls without an answer it is ``stale`` with "slow: no answer for N s";
- a host that is down (its snapshot says ``connected=False``, it raised
  :class:`HostError`, or its ``connect()`` failed) keeps its machines without
  figures, with the reason; it is tried again after 1, 2, 4, ... 30 s.

Never imports Textual.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from nspawn_tui.host.base import (
    EventHub,
    EventKind,
    Host,
    HostError,
    HostEvent,
    HostStats,
    HostStatus,
    Machine,
    Sample,
    Snapshot,
)
from nspawn_tui.safe import clean

#: Seconds before the first retry of a failed host; doubled up to :data:`MAX_BACKOFF_S`.
FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
#: Polls without an answer before a host is marked stale.
SLOW_POLLS = 2

#: What a host's poll may fail with: its own errors, and an ssh or socket failure.
POLL_ERRORS = (HostError, OSError)


def backoff_s(failures: int) -> float:
    """The wait before the next attempt after ``failures`` failures in a row (>= 1)."""
    return min(MAX_BACKOFF_S, FIRST_BACKOFF_S * 2.0 ** max(0, failures - 1))


@dataclass(slots=True)
class Member:
    """One host of the fleet and what the fleet last knew of it."""

    host: Host
    label: str
    group: str = ""
    prefix: str = ""  # "LABEL/"
    task: asyncio.Task[Snapshot | None] | None = None  # the poll (or connect) in flight
    started: float = 0.0  # clock() when ``task`` started
    needs_connect: bool = True  # its connect() has not succeeded yet
    connected: bool = False
    error: str | None = None  # why it is down (HostError text), None when up
    failures: int = 0  # failed attempts in a row
    retry_at: float | None = None  # clock() of the next attempt while down
    missed: int = 0  # fleet polls its task did not answer in time
    latency_s: float | None = None
    stats: HostStats | None = None
    machines: tuple[Machine, ...] = ()  # qualified, from its last snapshot
    samples: dict[str, Sample] = field(default_factory=dict)  # by qualified name
    _raw_machines: tuple[Machine, ...] | None = None  # the host's tuple behind ``machines``

    def qualified(self, name: str) -> str:
        return self.prefix + name

    def take(self, snapshot: Snapshot) -> None:
        """A connected snapshot: its machines and samples, qualified."""
        if snapshot.machines is not self._raw_machines:
            prefix, label = self.prefix, self.label
            self.machines = tuple(
                replace(m, name=prefix + m.name, host=label) for m in snapshot.machines
            )
            self._raw_machines = snapshot.machines
        prefix = self.prefix
        self.samples = {prefix + name: sample for name, sample in snapshot.samples.items()}
        self.stats = snapshot.stats


class Poller:
    """The polling state of a fleet's members (see the module docstring)."""

    def __init__(
        self,
        members: Sequence[Member],
        hub: EventHub,
        *,
        wait_s: float,
        first_wait_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.members = list(members)
        self.hub = hub
        self.wait_s = wait_s
        self.first_wait_s = first_wait_s
        self.clock = clock
        self._polls = 0

    # -------------------------------------------------------------- connecting

    async def connect(self) -> None:
        """Connect every host at once; return when one is up and the rest had ``wait_s``.

        Hosts still connecting then carry on in the background (the next
        polls collect them).  Never raises for a host: each one's failure is
        in its :class:`Member` (the fleet decides whether that is fatal).
        """
        for member in self.members:
            if member.task is None:
                self._start(member, connect=True)
        pending = {m.task for m in self.members if m.task is not None}
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            self.harvest()
            if any(m.connected for m in self.members):
                break
        if pending:
            await asyncio.wait(pending, timeout=self.wait_s)
            self.harvest()

    # ----------------------------------------------------------------- polling

    async def poll(self) -> Snapshot:
        """One poll of the fleet (see the module docstring)."""
        self.harvest()  # answers that came in since the last poll
        now = self.clock()
        for member in self.members:
            if member.task is not None:
                continue
            if member.retry_at is not None and now < member.retry_at:
                continue
            self._start(member, connect=member.needs_connect)
        pending = [m.task for m in self.members if m.task is not None]
        if pending:
            await asyncio.wait(pending, timeout=self.wait_s)
        if self._polls == 0 and self.first_wait_s > self.wait_s:
            # The first answer of a connected host is worth waiting for (``list``
            # prints one poll); a host still connecting is not.
            first = [m.task for m in self.members if m.task is not None and not m.needs_connect]
            if first:
                await asyncio.wait(first, timeout=self.first_wait_s - self.wait_s)
        self._polls += 1
        self.harvest()
        for member in self.members:
            if member.task is not None and member.connected:
                member.missed += 1
        return self.merged()

    def _start(self, member: Member, *, connect: bool) -> None:
        member.started = self.clock()
        member.task = asyncio.ensure_future(self._attempt(member.host, connect))

    @staticmethod
    async def _attempt(host: Host, connect: bool) -> Snapshot | None:
        if connect:
            await host.connect()
            return None
        return await host.snapshot()

    def harvest(self) -> None:
        """Take the result of every finished task."""
        for member in self.members:
            task = member.task
            if task is None or not task.done():
                continue
            member.task = None
            member.missed = 0
            if task.cancelled():
                continue
            error = task.exception()
            if error is not None and not isinstance(error, POLL_ERRORS):
                raise error  # a bug, not a host being away
            member.latency_s = self.clock() - member.started
            if error is not None:
                self._down(member, str(error) or type(error).__name__)
                continue
            result = task.result()
            if result is None:  # connected
                member.needs_connect = False
                self._up(member)
            elif result.connected:
                member.take(result)
                self._up(member)
            else:
                if result.stats is not None:
                    member.stats = result.stats
                self._down(member, result.error or "not connected")

    def _up(self, member: Member) -> None:
        if not member.connected and member.failures:
            self.hub.publish(HostEvent(EventKind.CONNECTED, message=f"{member.label}: connected"))
        member.connected = True
        member.error = None
        member.failures = 0
        member.retry_at = None

    def _down(self, member: Member, text: str) -> None:
        reason = clean(text)  # ssh's and the host's words: outside text
        # a remote host names itself in its errors (alone it is the only name): once here
        reason = reason.removeprefix(f"{member.label}: ")
        if member.connected or member.failures == 0:
            self.hub.publish(HostEvent(EventKind.DISCONNECTED, message=f"{member.label}: {reason}"))
        member.connected = False
        member.error = reason
        member.samples = {}
        member.failures += 1
        member.retry_at = self.clock() + backoff_s(member.failures)

    # ----------------------------------------------------------------- merging

    def status(self, member: Member) -> HostStatus:
        now = self.clock()
        stale = False
        error = member.error
        if not member.connected:
            if error is None:
                error = "connecting"
            elif member.task is not None:
                error = f"down: {error}; retrying now"
            elif member.retry_at is not None:
                error = f"down: {error}; retrying in {max(1, math.ceil(member.retry_at - now))} s"
            else:
                error = f"down: {error}"
        elif member.task is not None and member.missed >= SLOW_POLLS:
            stale = True
            error = f"slow: no answer for {now - member.started:.0f} s"
        return HostStatus(
            label=member.label,
            description=member.host.description,
            connected=member.connected,
            error=error,
            stats=member.stats,
            latency_s=member.latency_s,
            group=member.group,
            stale=stale,
        )

    def merged(self) -> Snapshot:
        statuses = tuple(self.status(member) for member in self.members)
        machines: list[Machine] = []
        samples: dict[str, Sample] = {}
        for member in self.members:
            machines.extend(member.machines)
            if member.connected:
                samples.update(member.samples)
        up = [s for s in statuses if s.connected]
        problems = [f"{s.label}: {s.error}" for s in statuses if s.error]
        return Snapshot(
            machines=tuple(machines),
            samples=samples,
            stats=merged_stats(statuses),
            connected=bool(up),
            error="; ".join(problems) or None,
            hosts=statuses,
        )

    async def close(self) -> None:
        tasks = [m.task for m in self.members if m.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        for member in self.members:
            member.task = None


def merged_stats(statuses: Sequence[HostStatus]) -> HostStats:
    """The header's figures of a fleet: counts and memory summed over the hosts that are up,
    CPU % the mean of theirs weighted by their CPU counts."""
    known = [s.stats for s in statuses if s.connected and s.stats is not None]
    cpu_count = sum(stats.cpu_count for stats in known)
    weighted = [(stats.cpu_count, stats.cpu_percent) for stats in known]
    busy = [(n, p) for n, p in weighted if p is not None]
    cores = sum(n for n, _ in busy)
    cpu_percent = sum(n * p for n, p in busy) / cores if busy and cores else None
    totals = [stats.memory_total for stats in known if stats.memory_total is not None]
    used = [stats.memory_used for stats in known if stats.memory_used is not None]
    return HostStats(
        hostname=f"{len(statuses)} hosts",
        cpu_count=max(1, cpu_count),
        cpu_percent=cpu_percent,
        memory_total=sum(totals) if totals else None,
        memory_used=sum(used) if used else None,
    )


__all__ = ["Member", "Poller", "backoff_s", "merged_stats"]

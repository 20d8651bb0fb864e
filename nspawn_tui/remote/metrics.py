"""A remote host's figures: systemd's unit accounting over the bus, the rest from cgroup files
read by the host's :class:`~nspawn_tui.remote.shell.RemoteShell`, and the host's own CPU/memory.

:class:`RemoteMetrics` (a :class:`~nspawn_tui.host.machined.metrics.MetricsSource`)
asks systemd, at every refresh, for one ``GetAll`` of
``org.freedesktop.systemd1.Service`` on each running machine's unit, all
machines at once (pipelined over the one bus connection; the unit's object
path comes from one ``GetUnit``, kept until the machine is forgotten).
``CPUUsageNSec``, ``MemoryCurrent``, ``TasksCurrent``, ``IOReadBytes`` and
``IOWriteBytes`` give the figures where systemd accounts them; 2**64-1 is
"not set".  ``MemoryMax``, ``MemoryHigh`` and ``TasksMax`` give the limits
(2**64-1 is "no limit" there).  A figure systemd does not set is read from
the unit's cgroup files, chosen exactly as locally
(:func:`nspawn_tui.cgroups.figures.fields_for` on the remote layout, learnt
once from the remote ``/proc/self/mountinfo``) and parsed by the same
parsers, all machines' files in ONE batch of the shell.  Peak memory and OOM
kills, which systemd 252 does not account, come from the files every
``slow_interval`` seconds.  CPU % and I/O rates come from the deltas
(:class:`~nspawn_tui.cgroups.RateTracker`).  A figure neither source has
stays None (``n/a``) and :attr:`RemoteMetrics.reasons` says why, per machine.

The first refresh may cost a second round trip (the mount table, and a
leader's ``/proc/PID/cgroup`` when systemd's manager is not on the bus);
after that a refresh costs at most one batch of the shell.

:class:`RemoteStats` (a :class:`~nspawn_tui.host.machined.stats.HostStatsSource`)
registers ``/proc/stat``, ``/proc/meminfo`` and the hostname with the shell
(:meth:`~nspawn_tui.remote.shell.RemoteShell.also_read`): they ride along with
the batch :meth:`RemoteMetrics.sample` sends, and :meth:`RemoteStats.read`
(called right after it by the machined host) computes from that batch;
only when no batch was sent since its last read does it send one itself.
So a refresh is one round trip to the host, whichever needs it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus

from nspawn_tui import cgroups
from nspawn_tui.cgroups import figures as fg
from nspawn_tui.host.base import UNLIMITED, HostError, HostStats, HostUnavailable, Machine, Sample
from nspawn_tui.remote.shell import RemoteShell
from nspawn_tui.safe import clean

NOT_SET: Final = 2**64 - 1
SYSTEMD1: Final = "org.freedesktop.systemd1"
#: errors of a bus (or manager) that is gone, not of one unit
_GONE: Final = frozenset(
    "org.freedesktop.DBus.Error." + name
    for name in ("ServiceUnknown", "NameHasNoOwner", "NoReply", "Disconnected", "TimedOut")
)
MOUNTINFO: Final = "/proc/self/mountinfo"
PROC_STAT: Final = "/proc/stat"
MEMINFO: Final = "/proc/meminfo"
HOSTNAME: Final = "/proc/sys/kernel/hostname"
STATS_FILES: Final = (PROC_STAT, MEMINFO, HOSTNAME)

#: figure slot -> (what it is called, systemd's property)
_ACCOUNTED: Final = (
    (fg.CPU, "CPU", "CPUUsageNSec"),
    (fg.MEM, "memory", "MemoryCurrent"),
    (fg.TASKS, "tasks", "TasksCurrent"),
    (fg.IO, "IO", "IOReadBytes/IOWriteBytes"),
)
_LIMITS: Final = (
    (fg.MEM_MAX, "MemoryMax"),
    (fg.MEM_HIGH, "MemoryHigh"),
    (fg.TASKS_MAX, "TasksMax"),
)


def _counter(props: dict[str, Any], name: str) -> int | None:
    value = props.get(name)
    return value if isinstance(value, int) and value != NOT_SET else None


def values_from_properties(props: dict[str, Any]) -> list[Any]:
    """A reading's slots (see :mod:`nspawn_tui.cgroups.figures`) from a unit's properties;
    None where systemd does not set the figure."""
    values: list[Any] = [None] * fg.SLOTS
    cpu = _counter(props, "CPUUsageNSec")
    values[fg.CPU] = None if cpu is None else cpu // 1000
    values[fg.MEM] = _counter(props, "MemoryCurrent")
    values[fg.MEM_PEAK] = _counter(props, "MemoryPeak")  # systemd 256 and later
    values[fg.TASKS] = _counter(props, "TasksCurrent")
    read, write = _counter(props, "IOReadBytes"), _counter(props, "IOWriteBytes")
    values[fg.IO] = None if read is None or write is None else (read, write)
    for slot, name in _LIMITS:
        limit = props.get(name)
        if isinstance(limit, int):
            values[slot] = UNLIMITED if limit >= cgroups.HUGE_LIMIT else limit
    return values


def cgroup_from_proc(text: str, unit: str) -> str | None:
    """The unit's cgroup (relative to the root) from a leader's ``/proc/PID/cgroup``."""
    try:
        entries = cgroups.parse_proc_cgroup(text)
    except ValueError:
        return None
    for key in ("", "name=systemd", *sorted(entries)):
        path = entries.get(key)
        if path is not None and unit in path.split("/") and ".." not in path.split("/"):
            return cgroups.trim_to_unit(path, unit)
    return None


@dataclass
class _Unit:
    """What is kept about one running machine until it is forgotten."""

    object_path: str | None = None  # the unit's object (GetUnit)
    cgroup: str | None = None  # relative to the cgroup root
    paths: cgroups.CgroupPaths | None = None
    slow: dict[int, tuple[float, Any]] = field(default_factory=dict)  # slot -> (read at, value)


class RemoteMetrics:
    """Per-machine figures of a remote host (see the module docstring)."""

    def __init__(
        self,
        shell: RemoteShell,
        *,
        layout: cgroups.CgroupLayout | None = None,
        slow_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shell = shell
        self._slow_interval = slow_interval
        self._clock = clock
        self._layout = layout  # the remote host's; None: learnt from its mount table
        self._units: dict[str, _Unit] = {}
        self._rates = cgroups.RateTracker()
        #: machine -> why some of its figures are n/a (for the detail panel)
        self.reasons: dict[str, str] = {}
        #: the shell's last failure (the files' figures are then n/a), None after a good batch
        self.shell_error: str | None = None

    def forget(self, name: str) -> None:
        self._units.pop(name, None)
        self._rates.forget(name)
        self.reasons.pop(name, None)

    def refresh_limits(self, name: str) -> None:
        unit = self._units.get(name)
        if unit is not None:
            unit.slow.clear()

    def close(self) -> None:
        """Nothing to release here: whoever made the shell closes it (``await shell.close()``)."""
        self._units.clear()

    async def cgroup(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        unit = self._units.setdefault(machine.name, _Unit())
        if unit.cgroup is None and systemd is not None and machine.unit:
            props = await self._properties(machine, unit, systemd)
            unit.cgroup = str(props.get("ControlGroup") or "") or None
        if unit.cgroup is None:
            try:
                await self._resolve([machine], systemd)
            except HostUnavailable as exc:
                self.shell_error = str(exc)
        return unit.cgroup

    async def sample(
        self, machines: Sequence[Machine], systemd: MessageBus | None
    ) -> dict[str, Sample]:
        running = [m for m in machines if m.running]
        units = [self._units.setdefault(m.name, _Unit()) for m in running]
        props = await asyncio.gather(
            *(self._properties(m, u, systemd) for m, u in zip(running, units, strict=True))
        )
        now = self._clock()
        values = [values_from_properties(p) for p in props]
        wanted = [
            self._wanted(m, u, v, now) for m, u, v in zip(running, units, values, strict=True)
        ]
        if any(wanted):
            try:
                await self._read_files(running, units, values, wanted, systemd, now)
                self.shell_error = None
            except HostUnavailable as exc:  # the bus may be fine: only the files are n/a
                self.shell_error = str(exc)
        now = self._clock()  # the rates' time: when the last figures arrived
        samples: dict[str, Sample] = {}
        for machine, unit, slots in zip(running, units, values, strict=True):
            self.reasons.pop(machine.name, None)
            if reason := self._reason(unit, slots, systemd):
                self.reasons[machine.name] = reason
            if any(value is not None for value in slots):
                samples[machine.name] = self._rates.update(machine.name, fg.reading(slots), now)
        return samples

    # --------------------------------------------------------- systemd's side

    async def _properties(
        self, machine: Machine, unit: _Unit, systemd: MessageBus | None
    ) -> dict[str, Any]:
        """The unit's Service (or Scope) properties, {} when there is no systemd or no unit."""
        if systemd is None or not machine.unit:
            return {}
        iface = "org.freedesktop.systemd1." + (
            "Scope" if machine.unit.endswith(".scope") else "Service"
        )
        try:
            if unit.object_path is None:
                (path,) = await _call(
                    systemd, "/org/freedesktop/systemd1", SYSTEMD1 + ".Manager", "GetUnit",
                    [machine.unit],
                )  # fmt: skip
                unit.object_path = str(path)
            (body,) = await _call(
                systemd, unit.object_path, "org.freedesktop.DBus.Properties", "GetAll", [iface]
            )
            props = {key: variant.value for key, variant in body.items()}
        except HostUnavailable:
            raise
        except HostError:
            unit.object_path = None  # the unit went away: look it up again next time
            return {}
        if unit.cgroup is None and (group := props.get("ControlGroup")):
            unit.cgroup = str(group)
        return props

    # ------------------------------------------------------------ the files

    def _wanted(self, machine: Machine, unit: _Unit, slots: list[Any], now: float) -> bool:
        """Whether a figure must come from the files; slow values still fresh are filled in."""
        need = False
        for slot, slow in self._slots(unit):
            if slots[slot] is not None:
                continue
            cached = unit.slow.get(slot) if slow else None
            if cached is not None and now - cached[0] < self._slow_interval:
                slots[slot] = cached[1]
            else:
                need = True
        return need

    @staticmethod
    def _slots(unit: _Unit) -> list[tuple[int, bool]]:
        if unit.paths is None:  # not resolved yet: the figures the files would give
            return [(fg.CPU, False), (fg.MEM, False), (fg.TASKS, False), (fg.IO, False)] + [
                (fg.MEM_PEAK, True),
                (fg.OOM, True),
            ]
        return [(slot, slow) for slot, slow, _ in fg.fields_for(unit.paths)]

    async def _resolve(self, machines: Sequence[Machine], systemd: MessageBus | None) -> None:
        """Learn the remote layout and each machine's cgroup paths (one batch, if any is needed)."""
        todo = [m for m in machines if self._units[m.name].paths is None]
        reads: list[str] = []
        if self._layout is None:
            reads.append(MOUNTINFO)
        for machine in todo:
            if self._units[machine.name].cgroup is None and machine.leader and machine.unit:
                reads.append(f"/proc/{machine.leader}/cgroup")
        found: dict[str, str | None] = {}
        if todo and reads:
            found = await self._shell.read_files(reads)
        if self._layout is None:
            text = found.get(MOUNTINFO)
            try:
                self._layout = cgroups.detect_layout(text) if text else None
            except ValueError:
                self._layout = None
            if self._layout is None:
                return
        for machine in todo:
            unit = self._units[machine.name]
            if unit.cgroup is None and (text := found.get(f"/proc/{machine.leader}/cgroup")):
                unit.cgroup = cgroup_from_proc(text, machine.unit)
            if unit.cgroup is not None:
                try:
                    unit.paths = cgroups.paths_for(self._layout, unit.cgroup)
                except ValueError:
                    unit.cgroup = None

    async def _read_files(
        self,
        running: list[Machine],
        units: list[_Unit],
        values: list[list[Any]],
        wanted: list[bool],
        systemd: MessageBus | None,
        now: float,
    ) -> None:
        """One batch with every file a figure needs; the values parsed into ``values``."""
        await self._resolve([m for m, w in zip(running, wanted, strict=True) if w], systemd)
        plan: list[tuple[_Unit, list[Any], list[fg.Field]]] = []
        paths: list[str] = []
        for unit, slots, want in zip(units, values, wanted, strict=True):
            if not want or unit.paths is None:
                continue
            fields = [f for f in fg.fields_for(unit.paths) if slots[f[0]] is None]
            fields = [f for f in fields if not (f[1] and self._fresh(unit, f[0], now))]
            plan.append((unit, slots, fields))
            paths += [f"{d}/{name}" for _, _, chain in fields for d, name, _ in chain]
        if not paths:
            return
        texts = await self._shell.read_files(paths)
        for unit, slots, fields in plan:
            for slot, slow, chain in fields:
                value = None
                for directory, name, parse in chain:
                    value = _parse(parse, texts.get(f"{directory}/{name}"))
                    if value is not None:
                        break
                slots[slot] = value
                if slow:
                    unit.slow[slot] = (now, value)

    def _fresh(self, unit: _Unit, slot: int, now: float) -> bool:
        cached = unit.slow.get(slot)
        return cached is not None and now - cached[0] < self._slow_interval

    def _reason(self, unit: _Unit, slots: list[Any], systemd: MessageBus | None) -> str:
        """Why figures are n/a, in words ("" when all of CPU, memory, tasks and IO are there)."""
        words: list[str] = []
        for slot, label, prop in _ACCOUNTED:
            if slots[slot] is not None:
                continue
            bus = f"{prop} not set by systemd" if systemd is not None else "no systemd on the bus"
            if self.shell_error is not None:
                files = f"cgroup files not read ({self.shell_error})"
            elif unit.paths is None:
                files = "the unit's cgroup is not known"
            else:
                fields = fg.fields_for(unit.paths)
                names = [n for s, _, chain in fields if s == slot for _, n, _ in chain]
                files = f"{' / '.join(names) or 'no cgroup file'} not readable"
            words.append(f"{label}: {bus} and {files}")
        return "; ".join(words)


async def _call(
    bus: MessageBus, path: str, interface: str, member: str, body: list[str]
) -> list[Any]:
    """One call to systemd (machined's bus helpers belong to the machined host, which only
    cli.py and remote.host may import); HostUnavailable when the bus or manager is gone."""
    if not bus.connected:
        raise HostUnavailable("the connection to the system bus was lost")
    msg = Message(
        destination=SYSTEMD1, path=path, interface=interface, member=member,
        signature="s", body=body,
    )  # fmt: skip
    try:
        reply = await bus.call(msg)
    except (EOFError, OSError) as exc:
        raise HostUnavailable(f"the connection to the system bus was lost ({exc})") from None
    if reply is None:
        raise HostUnavailable(f"{member}: no reply")
    if reply.message_type == MessageType.ERROR:
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        error = HostUnavailable if reply.error_name in _GONE else HostError
        raise error(f"{member}: {text or reply.error_name}")
    return list(reply.body)


def _parse(parse: fg.Parse, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError:
        return None


# ------------------------------------------------------------ the host's own figures


def parse_proc_stat(text: str) -> tuple[int, int, int]:
    """(all jiffies, idle jiffies, CPU count) from ``/proc/stat``; ValueError when malformed."""
    total = idle = count = 0
    found = False
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "cpu":
            numbers = [int(word) for word in rest.split()]
            if len(numbers) < 4:
                raise ValueError("a short cpu line")
            total = sum(numbers[:8])  # guest time is already counted in user time
            idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)  # idle + iowait
            found = True
        elif key.startswith("cpu") and key[3:].isdigit():
            count += 1
    if not found:
        raise ValueError("no cpu line")
    return total, idle, max(count, 1)


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(total, used) bytes from ``/proc/meminfo``; used = total - available, as psutil."""
    kib: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            kib[key] = int(words[0])
    total = kib.get("MemTotal")
    if total is None:
        return None, None
    available = kib.get("MemAvailable")
    if available is None and "MemFree" in kib:  # kernels before 3.14
        available = kib["MemFree"] + kib.get("Buffers", 0) + kib.get("Cached", 0)
    used = None if available is None else max(total - available, 0) * 1024
    return total * 1024, used


class RemoteStats:
    """The remote host's CPU %, memory and name (see the module docstring)."""

    def __init__(self, shell: RemoteShell) -> None:
        self._shell = shell
        shell.also_read(STATS_FILES)
        self._seen = -1  # the shell's batch count at the last read
        self._previous: tuple[int, int] | None = None  # (all, idle) jiffies
        self._last: HostStats | None = None
        #: why the last read had nothing (the shell's failure), None after a good one
        self.error: str | None = None

    async def read(self) -> HostStats:
        """The figures of the shell's latest batch, or of a batch of its own when none was
        sent since the previous read.  Never raises: when the shell fails, the last known
        name and CPU count with the figures None (``n/a``), and :attr:`error` says why."""
        if self._shell.batches == self._seen or not self._has_all():
            try:
                await self._shell.read_files(())
            except HostUnavailable as exc:
                self.error = str(exc)
                self._previous = None
                last = self._last
                return HostStats(
                    hostname=last.hostname if last else "",
                    cpu_count=last.cpu_count if last else 1,
                    cpu_percent=None,
                    memory_total=None,
                    memory_used=None,
                )
        self._seen = self._shell.batches
        self.error = None
        self._last = self.compute(self._shell.latest_extra)
        return self._last

    def _has_all(self) -> bool:
        return all(path in self._shell.latest_extra for path in STATS_FILES)

    def compute(self, texts: dict[str, str | None]) -> HostStats:
        """HostStats from the files' texts; CPU % from the previous call's counters."""
        cpu_percent: float | None = None
        count = self._last.cpu_count if self._last else 1
        try:
            total, idle, count = parse_proc_stat(texts.get(PROC_STAT) or "")
        except ValueError:
            self._previous = None
        else:
            old, self._previous = self._previous, (total, idle)
            if old is not None and total > old[0] and idle >= old[1]:
                busy = (total - old[0]) - (idle - old[1])
                cpu_percent = max(0.0, min(100.0, busy / (total - old[0]) * 100.0))
        memory_total, memory_used = parse_meminfo(texts.get(MEMINFO) or "")
        return HostStats(
            hostname=clean((texts.get(HOSTNAME) or "").strip()),
            cpu_count=count,
            cpu_percent=cpu_percent,
            memory_total=memory_total,
            memory_used=memory_used,
        )

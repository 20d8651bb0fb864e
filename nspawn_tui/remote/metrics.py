"""A remote host's machine figures: systemd's unit accounting over the bus, the rest from cgroup
files read by the host's :class:`~nspawn_tui.remote.shell.RemoteShell`.

:class:`RemoteMetrics` (a :class:`~nspawn_tui.host.machined.metrics.MetricsSource`)
asks systemd at each refresh for the unit properties it needs one by one
(``Properties.Get``: a Service's ``GetAll`` is 11 KB, one ``Get`` under 100
bytes), every call of every machine pipelined over the one bus connection
(one round trip; ``GetUnit`` once per machine): ``COUNTERS`` at every refresh,
``LIMITS`` every ``limits_interval`` s, ``ControlGroup`` once.  A property
systemd reported as not set for the unit (2**64-1, except the limits where
it is "no limit"; or no such property) is asked again only every
``reprobe_interval`` s (so ``set-property CPUAccounting=yes`` or a
daemon-reexec is noticed) or after ``forget``/``refresh_limits``.

A figure systemd does not set is read from the unit's cgroup files, chosen
exactly as locally (:func:`nspawn_tui.cgroups.figures.fields_for` on the
remote layout, learnt once from the remote ``/proc/self/mountinfo``), all
machines' files in ONE batch of the shell; peak memory and OOM kills every
``slow_interval`` s.  CPU % and I/O rates come from the deltas.  A figure
neither source has stays None (``n/a``); :meth:`RemoteMetrics.reason` says
why.  The first refresh may cost a second round trip (``GetUnit``, the mount
table, a leader's ``/proc/PID/cgroup``).  The host's own figures
(:class:`~nspawn_tui.remote.stats.RemoteStats`, re-exported here) ride along
with the shell's batch.
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
from nspawn_tui.host.base import UNLIMITED, HostUnavailable, Machine, Sample
from nspawn_tui.remote.shell import RemoteShell
from nspawn_tui.remote.stats import RemoteStats as RemoteStats  # where it used to live

NOT_SET: Final = 2**64 - 1
SYSTEMD1: Final = "org.freedesktop.systemd1"
PROPERTIES: Final = "org.freedesktop.DBus.Properties"
MANAGER: Final = "/org/freedesktop/systemd1"
#: errors of a bus (or manager) that is gone, not of one unit
_GONE: Final = frozenset(
    "org.freedesktop.DBus.Error." + name
    for name in ("ServiceUnknown", "NameHasNoOwner", "NoReply", "Disconnected", "TimedOut")
)
#: a Get of a property this systemd does not have (MemoryPeak before 256): not set
_NO_PROPERTY: Final = frozenset(
    {"org.freedesktop.DBus.Error.UnknownProperty", "org.freedesktop.DBus.Error.InvalidArgs"}
)
MOUNTINFO: Final = "/proc/self/mountinfo"
#: calls in flight on the bus at once: dbus-next 0.2.3 drops the connection when its socket's
#: send buffer is full (EAGAIN), which ~500 pipelined Gets did on the lab
MAX_IN_FLIGHT: Final = 64

#: asked at every refresh, unless systemd said it does not set them for the unit
COUNTERS: Final = ("CPUUsageNSec", "MemoryCurrent", "TasksCurrent", "IOReadBytes", "IOWriteBytes")
#: asked every ``limits_interval`` (MemoryPeak: only where systemd sets it)
LIMITS: Final = ("MemoryMax", "MemoryHigh", "TasksMax", "MemoryPeak")
#: 2**64-1 (or no such property) there means "not set": asked again every ``reprobe_interval``
_MAY_BE_UNSET: Final = frozenset((*COUNTERS, "MemoryPeak"))
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
    unset: dict[str, float] = field(default_factory=dict)  # property -> when found not set
    limits: dict[str, Any] = field(default_factory=dict)  # the LIMITS' last values
    limits_at: float | None = None  # when they were asked


class RemoteMetrics:
    """Per-machine figures of a remote host (see the module docstring)."""

    def __init__(
        self,
        shell: RemoteShell,
        *,
        layout: cgroups.CgroupLayout | None = None,
        slow_interval: float = 5.0,
        limits_interval: float = 5.0,
        reprobe_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._shell = shell
        self._slow_interval = slow_interval
        self._limits_interval = limits_interval
        self._reprobe_interval = reprobe_interval
        self._clock = clock
        self._layout = layout  # the remote host's; None: learnt from its mount table
        self._units: dict[str, _Unit] = {}
        self._window = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._rates = cgroups.RateTracker()
        #: machine -> why some of its figures are n/a (see :meth:`reason`)
        self.reasons: dict[str, str] = {}
        #: the shell's last failure (the files' figures are then n/a), None after a good batch
        self.shell_error: str | None = None

    def reason(self, name: str) -> str | None:
        """Why figures of machine ``name`` are n/a at the last sample, in words (for the
        detail panel); None when all of CPU, memory, tasks and IO are there or it is unknown.
        Remote words in it (ssh's stderr) are cleaned; pass it through ``safe.clean`` anyway."""
        return self.reasons.get(name) or None

    def forget(self, name: str) -> None:
        self._units.pop(name, None)
        self._rates.forget(name)
        self.reasons.pop(name, None)

    def refresh_limits(self, name: str) -> None:
        """Ask the limits and every property found not set again at the next sample (and read
        the slow files again)."""
        unit = self._units.get(name)
        if unit is not None:
            unit.slow.clear()
            unit.unset.clear()
            unit.limits_at = None

    def close(self) -> None:
        """Nothing to release here: whoever made the shell closes it (``await shell.close()``)."""
        self._units.clear()

    async def cgroup(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        unit = self._units.setdefault(machine.name, _Unit())
        if unit.cgroup is None and systemd is not None and machine.unit:
            await self._properties(machine, unit, systemd, ["ControlGroup"], self._clock())
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
        now = self._clock()
        results = await asyncio.gather(
            *(
                self._properties(m, u, systemd, self._due(u, now), now)
                for m, u in zip(running, units, strict=True)
            ),
            return_exceptions=True,
        )
        props: list[dict[str, Any]] = []
        for result in results:
            if isinstance(result, BaseException):
                raise result  # HostUnavailable: the bus is gone (a unit's error gave {})
            props.append(result)
        now = self._clock()
        values = [values_from_properties(p | u.limits) for p, u in zip(props, units, strict=True)]
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

    def _due(self, unit: _Unit, now: float) -> list[str]:
        """The properties to ask the unit for at this refresh (see the module docstring)."""
        names = list(COUNTERS)
        if unit.limits_at is None or now - unit.limits_at >= self._limits_interval:
            names += LIMITS
        if unit.cgroup is None:
            names.append("ControlGroup")
        return [
            name
            for name in names
            if (seen := unit.unset.get(name)) is None or now - seen >= self._reprobe_interval
        ]

    async def _properties(
        self, machine: Machine, unit: _Unit, systemd: MessageBus | None, names: list[str],
        now: float,
    ) -> dict[str, Any]:  # fmt: skip
        """The unit's Service (or Scope) properties ``names``, all asked at once; {} when there
        is no systemd, no unit or the unit is gone; a property systemd lacks is None."""
        if systemd is None or not machine.unit or not names:
            return {}
        iface = "org.freedesktop.systemd1." + (
            "Scope" if machine.unit.endswith(".scope") else "Service"
        )
        if unit.object_path is None:
            reply = await _call(systemd, MANAGER, SYSTEMD1 + ".Manager", "GetUnit", [machine.unit])
            if reply.message_type == MessageType.ERROR:  # not loaded (NoSuchUnit)
                return _lost(unit)
            unit.object_path = str(reply.body[0])
        path = unit.object_path
        replies = await asyncio.gather(
            *(self._get(systemd, path, iface, name) for name in names),
            return_exceptions=True,
        )
        props: dict[str, Any] = {}
        for name, reply in zip(names, replies, strict=True):
            if isinstance(reply, BaseException):
                raise reply  # HostUnavailable: the bus is gone
            if reply.message_type != MessageType.ERROR:
                props[name] = reply.body[0].value
            elif reply.error_name in _NO_PROPERTY:
                props[name] = None
            else:  # the unit went away: look it up again next time
                return _lost(unit)
        for name, value in props.items():
            if name in _MAY_BE_UNSET:
                if isinstance(value, int) and value != NOT_SET:
                    unit.unset.pop(name, None)
                else:
                    unit.unset[name] = now
        if any(name in props for name in LIMITS):
            unit.limits.update({name: props[name] for name in LIMITS if name in props})
            unit.limits_at = now
        if unit.cgroup is None and (group := props.get("ControlGroup")):
            unit.cgroup = str(group)
        return props

    async def _get(self, systemd: MessageBus, path: str, iface: str, name: str) -> Message:
        async with self._window:
            return await _call(systemd, path, PROPERTIES, "Get", [iface, name])

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
            fast = [(slot, False) for slot in (fg.CPU, fg.MEM, fg.TASKS, fg.IO)]
            return [*fast, (fg.MEM_PEAK, True), (fg.OOM, True)]
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


def _lost(unit: _Unit) -> dict[str, Any]:
    """The unit went away: look it up again next time, its limits with it; no properties."""
    unit.object_path, unit.limits_at = None, None
    unit.limits.clear()
    return {}


async def _call(
    bus: MessageBus, path: str, interface: str, member: str, body: list[str]
) -> Message:
    """One call to systemd (machined's bus helpers are the machined host's, which only cli.py
    and remote.host may import): its reply, an error included; HostUnavailable when the bus
    or the manager is gone."""
    if not bus.connected:
        raise HostUnavailable("the connection to the system bus was lost")
    msg = Message(
        destination=SYSTEMD1, path=path, interface=interface, member=member,
        signature="s" * len(body), body=body,
    )  # fmt: skip
    try:
        reply = await bus.call(msg)
    except (EOFError, OSError) as exc:
        raise HostUnavailable(f"the connection to the system bus was lost ({exc})") from None
    if reply is None:
        raise HostUnavailable(f"{member}: no reply")
    if reply.message_type == MessageType.ERROR and reply.error_name in _GONE:
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        raise HostUnavailable(f"{member}: {text or reply.error_name}")
    return reply


def _parse(parse: fg.Parse, text: str | None) -> Any:
    if text is None:
        return None
    try:
        return parse(text)
    except ValueError:
        return None

"""The metrics seam: where the machined host's per-machine figures come from.

:class:`~nspawn_tui.host.machined.host.MachinedHost` lists the machines and
hands the running ones to its :class:`MetricsSource` at every poll; it tells
the source when a machine is gone or restarted (:meth:`~MetricsSource.forget`)
and when its limits were set (:meth:`~MetricsSource.refresh_limits`).  Today's
source, :class:`CgroupMetrics`, reads the local cgroup files.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Protocol

from dbus_next.aio import MessageBus

from nspawn_tui import cgroups
from nspawn_tui.host.base import HostError, HostUnavailable, Machine, Sample
from nspawn_tui.host.machined import bus as du

UNIT_LIMITS_TTL: Final = 5.0  # seconds between reads of a unit's MemoryMax/TasksMax


class MetricsSource(Protocol):
    """Per-machine figures (:class:`Sample`) for the running machines of one host.

    ``systemd`` is the bus when systemd's manager is on it (for unit
    properties), else ``None``.  A remote implementation reads systemd's unit
    properties over that bus (``CPUUsageNSec``, ``MemoryCurrent``,
    ``MemoryMax``, ``TasksCurrent``, ``TasksMax``, ``IOReadBytes``,
    ``IOWriteBytes``, ``ControlGroup``) instead of local files, turning the
    counters into rates the same way.  A lost bus is raised as
    :class:`HostUnavailable`; a machine whose figures cannot be had is left
    out of the result (shown as unavailable, never as 0).
    """

    async def sample(
        self, machines: Sequence[Machine], systemd: MessageBus | None
    ) -> dict[str, Sample]:
        """One sample per running machine in ``machines`` whose figures were found."""
        ...

    async def cgroup(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        """The running machine's control group (for the detail panel), None if unknown."""
        ...

    def forget(self, name: str) -> None:
        """``name`` stopped or booted again: drop what is kept about it (rates start over)."""
        ...

    def refresh_limits(self, name: str) -> None:
        """The limits of ``name`` were set: read them again at the next sample."""
        ...

    def close(self) -> None:
        """Release what the source holds (file descriptors); the host is closing."""
        ...

    def reason(self, name: str) -> str | None:
        """Why figures of ``name`` are n/a (for the detail panel), None when all have a source."""
        ...


@dataclass
class _Watched:
    """Where one running machine's figures are read (valid until it is forgotten)."""

    paths: cgroups.CgroupPaths | None = None
    cgroup: str | None = None


class CgroupMetrics:
    """Figures from the local cgroup files of each machine's unit.

    The cgroup is found from the unit's ``ControlGroup`` (when systemd's
    manager is on the bus) or the leader's ``/proc/PID/cgroup``.  The files
    are read by one :class:`~nspawn_tui.cgroups.CgroupReader` in a worker
    thread, while the event loop may forget machines or refresh limits (the
    reader locks for that).  Limits the files do not show (a read-only v1
    memory hierarchy) are taken from the unit's properties.
    """

    def __init__(self, layout: cgroups.CgroupLayout | None = None) -> None:
        self._layout = layout
        self._reader = cgroups.CgroupReader()
        self._rates = cgroups.RateTracker()
        self._watched: dict[str, _Watched] = {}
        self._unit_limits: dict[str, tuple[float, int | None, int | None]] = {}

    def forget(self, name: str) -> None:
        watched = self._watched.pop(name, None)
        if watched is not None and watched.paths is not None:
            self._reader.forget(watched.paths)
        self._rates.forget(name)

    def refresh_limits(self, name: str) -> None:
        self._unit_limits.pop(name, None)
        watched = self._watched.get(name)
        if watched is not None and watched.paths is not None:
            self._reader.refresh_limits(watched.paths)

    def close(self) -> None:
        self._reader.close()

    def reason(self, name: str) -> str | None:
        return None  # local files: a missing one shows as n/a in its own cell

    async def cgroup(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        await self._resolve_paths(machine, systemd)
        return self._watched[machine.name].cgroup

    async def sample(
        self, machines: Sequence[Machine], systemd: MessageBus | None
    ) -> dict[str, Sample]:
        targets: list[tuple[str, cgroups.CgroupPaths]] = []
        for machine in machines:
            if machine.running:
                paths = await self._resolve_paths(machine, systemd)
                if paths is not None:
                    targets.append((machine.name, paths))
        samples = await asyncio.to_thread(self._sweep, targets) if targets else {}
        if systemd is not None:
            samples = await self._unit_limit_fallback(machines, samples, systemd)
        return samples

    # ------------------------------------------------------------- cgroups

    async def _cgroup_of(self, machine: Machine, systemd: MessageBus | None) -> str | None:
        if systemd is None or not machine.unit:
            return None
        (unit_path,) = await du.call(
            systemd, du.SYSTEMD1, du.SYSTEMD1_PATH, du.SYSTEMD1_MANAGER, "GetUnit", "s",
            [machine.unit],
        )  # fmt: skip
        iface = "org.freedesktop.systemd1." + (
            "Scope" if machine.unit.endswith(".scope") else "Service"
        )
        value = await du.get_property(systemd, du.SYSTEMD1, unit_path, iface, "ControlGroup")
        return str(value) or None

    async def _resolve_paths(
        self, machine: Machine, systemd: MessageBus | None
    ) -> cgroups.CgroupPaths | None:
        watched = self._watched.setdefault(machine.name, _Watched())
        if watched.paths is not None:
            return watched.paths
        if self._layout is None:
            self._layout = cgroups.detect_layout()
        try:
            rel = await self._cgroup_of(machine, systemd)
        except HostUnavailable:
            raise
        except HostError:
            rel = None
        if rel is not None:
            watched.cgroup = rel
            watched.paths = cgroups.paths_for(self._layout, rel)
        elif machine.leader:
            try:
                watched.paths = cgroups.paths_from_proc(self._layout, machine.leader, machine.unit)
            except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
                return None
            found = watched.paths.unified or next(iter(watched.paths.v1.values()), None)
            # relative to the cgroup root, as systemd's ControlGroup says it
            watched.cgroup = None if found is None else cgroups.relative_path(self._layout, found)
        return watched.paths

    def _sweep(self, targets: list[tuple[str, cgroups.CgroupPaths]]) -> dict[str, Sample]:
        now = time.monotonic()
        return {
            name: self._rates.update(name, self._reader.read(paths), now) for name, paths in targets
        }

    # ---------------------------------------------------------- unit limits

    async def _unit_limit_fallback(
        self, machines: Sequence[Machine], samples: dict[str, Sample], systemd: MessageBus
    ) -> dict[str, Sample]:
        """Limits the cgroup files do not show (e.g. a read-only v1 memory hierarchy)
        are taken from the unit's properties, cached for a few seconds."""
        now = time.monotonic()
        for machine in machines:
            sample = samples.get(machine.name)
            if sample is None or not machine.unit:
                continue
            if sample.memory_max is not None and sample.tasks_max is not None:
                continue
            cached = self._unit_limits.get(machine.name)
            if cached is None or now - cached[0] > UNIT_LIMITS_TTL:
                try:
                    memory_max, tasks_max = await self._read_unit_limits(systemd, machine.unit)
                except HostUnavailable:
                    raise
                except HostError:
                    memory_max = tasks_max = None
                cached = (now, memory_max, tasks_max)
                self._unit_limits[machine.name] = cached
            samples[machine.name] = replace(
                sample,
                memory_max=sample.memory_max if sample.memory_max is not None else cached[1],
                tasks_max=sample.tasks_max if sample.tasks_max is not None else cached[2],
            )
        return samples

    @staticmethod
    async def _read_unit_limits(systemd: MessageBus, unit: str) -> tuple[int | None, int | None]:
        (path,) = await du.call(
            systemd, du.SYSTEMD1, du.SYSTEMD1_PATH, du.SYSTEMD1_MANAGER, "GetUnit", "s", [unit]
        )
        iface = "org.freedesktop.systemd1." + ("Scope" if unit.endswith(".scope") else "Service")
        memory_max = await du.get_property(systemd, du.SYSTEMD1, path, iface, "MemoryMax")
        tasks_max = await du.get_property(systemd, du.SYSTEMD1, path, iface, "TasksMax")
        return int(memory_max), int(tasks_max)

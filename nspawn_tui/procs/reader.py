"""One machine's processes with their figures: a cgroup walk, then psutil per process.

:class:`ProcessReader` keeps each process's CPU time from the previous read,
keyed by (PID, start time) so that a reused PID starts over, and gives CPU %
of one core since then.  A process that ends while it is read is left out;
a figure that cannot be read (``AccessDenied``) is ``None``, never zero.
Blocking: call it in a worker thread.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import psutil

from nspawn_tui.host.processes import ProcessGroup, ProcessInfo, ProcessTable
from nspawn_tui.procs.tree import CgroupNode, walk
from nspawn_tui.safe import clean

#: Longest command line kept (characters, after cleaning): a bound on memory.
MAX_COMMAND: Final = 4096

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RawProcess:
    """What one read of a process gives, before CPU % (``None``: unavailable)."""

    pid: int
    ns_pid: int | None
    ppid: int | None
    user: str
    state: str
    command: str
    cpu_seconds: float | None  # user + system, the process itself
    rss: int | None
    started_at: float | None
    threads: int | None


#: Reads one process; ``None`` when it is gone.  The default is :func:`probe`.
Probe = Callable[[int], RawProcess | None]


def read_ns_pid(pid: int, proc_root: str = "/proc") -> int | None:
    """The innermost PID of ``pid`` (last field of ``NSpid:`` in its status), None if unknown."""
    try:
        with open(os.path.join(proc_root, str(pid), "status"), "rb") as stream:
            for line in stream:
                if line.startswith(b"NSpid:"):
                    fields = line.split()[1:]
                    return int(fields[-1]) if fields and fields[-1].isdigit() else None
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def _field(read: Callable[[], T], default: T) -> T:
    """One psutil figure; ``default`` when it is denied or the process is a zombie."""
    try:
        return read()
    except psutil.ZombieProcess:  # before NoSuchProcess: a zombie is still listed
        return default
    except psutil.AccessDenied:
        return default


def command_text(cmdline: list[str], name: str) -> str:
    """The command line as one cleaned line; ``[name]`` when it is empty (kernel-like, zombie)."""
    text = " ".join(cmdline).strip() if cmdline else ""
    if not text:
        text = f"[{name}]" if name else "[?]"
    return clean(text[:MAX_COMMAND])


def probe(pid: int, proc_root: str = "/proc") -> RawProcess | None:
    """Read one process with psutil (and its NSpid); None when it is gone."""
    try:
        process = psutil.Process(pid)
        with process.oneshot():
            name = _field(process.name, "")
            times = _field(process.cpu_times, None)
            memory = _field(process.memory_info, None)
            user = _field(process.username, "")
            if not user:
                uids = _field(process.uids, None)
                user = str(uids.real) if uids is not None else "?"
            raw = RawProcess(
                pid=pid,
                ns_pid=read_ns_pid(pid, proc_root),
                ppid=_field(process.ppid, None),
                user=clean(user),
                state=_field(process.status, "?"),
                command=command_text(_field(process.cmdline, []), name),
                cpu_seconds=None if times is None else times.user + times.system,
                rss=None if memory is None else int(memory.rss),
                started_at=_field(process.create_time, None),
                threads=_field(process.num_threads, None),
            )
    except psutil.NoSuchProcess:
        return None
    return raw


class ProcessReader:
    """Reads machines' process tables, keeping CPU times between reads (thread-safe)."""

    def __init__(self, probe: Probe = probe, clock: Callable[[], float] = time.monotonic) -> None:
        self._probe = probe
        self._clock = clock
        self._lock = threading.Lock()
        # per machine: (pid, start time) -> (CPU seconds, monotonic time of the read)
        self._previous: dict[str, dict[tuple[int, float | None], tuple[float, float]]] = {}

    def forget(self, machine: str) -> None:
        """Drop what is kept about ``machine`` (it stopped): CPU % starts over."""
        with self._lock:
            self._previous.pop(machine, None)

    def read(self, machine: str, cgroup: str | None, directory: str | None) -> ProcessTable:
        """The processes under ``directory`` (the machine's cgroup ``cgroup`` on this host).

        A missing directory gives an empty table whose ``error`` says so.
        """
        if directory is None:
            return ProcessTable(
                machine, cgroup, timestamp=self._clock(),
                error=f"the control group of {clean(machine)} was not found",
            )  # fmt: skip
        try:
            nodes = walk(directory)
        except FileNotFoundError:
            self.forget(machine)
            return ProcessTable(
                machine, cgroup, timestamp=self._clock(),
                error=f"the control group of {clean(machine)} is gone (did it stop?)",
            )  # fmt: skip
        except PermissionError:
            return ProcessTable(
                machine, cgroup, timestamp=self._clock(),
                error=f"the control group of {clean(machine)} is not readable (not root?)",
            )  # fmt: skip
        with self._lock:
            return self._table(machine, cgroup, nodes)

    def _table(self, machine: str, cgroup: str | None, nodes: list[CgroupNode]) -> ProcessTable:
        now = self._clock()
        before = self._previous.get(machine, {})
        kept: dict[tuple[int, float | None], tuple[float, float]] = {}
        groups = []
        for node in nodes:
            infos = []
            for pid in node.pids:
                raw = self._probe(pid)
                if raw is None:
                    continue  # ended since cgroup.procs was read
                key = (raw.pid, raw.started_at)
                cpu_percent = None
                if raw.cpu_seconds is not None:
                    kept[key] = (raw.cpu_seconds, now)
                    old = before.get(key)
                    if old is not None and now > old[1]:
                        used = max(0.0, raw.cpu_seconds - old[0])
                        cpu_percent = 100.0 * used / (now - old[1])
                infos.append(to_info(raw, cpu_percent))
            groups.append(ProcessGroup(node.path, tuple(infos), node.depth))
        self._previous[machine] = kept
        return ProcessTable(machine, cgroup, tuple(groups), timestamp=now)


def to_info(raw: RawProcess, cpu_percent: float | None) -> ProcessInfo:
    return ProcessInfo(
        pid=raw.pid,
        ns_pid=raw.ns_pid,
        ppid=raw.ppid,
        user=raw.user,
        state=raw.state,
        command=raw.command,
        cpu_percent=cpu_percent,
        rss=raw.rss,
        started_at=raw.started_at,
        threads=raw.threads,
    )

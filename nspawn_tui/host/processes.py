"""What a Host says about a machine's processes: a tree by control group.

As ``machinectl status`` shows them: the machine's cgroup and its
sub-cgroups, each with its processes.  Never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProcessInfo:
    """One process of a machine.  ``None`` means unavailable (never zero)."""

    pid: int  # as seen on the host
    ns_pid: int | None  # as seen inside the container (innermost NSpid)
    ppid: int | None
    user: str  # name on the host, or the numeric uid
    state: str  # psutil status: "running", "sleeping", "zombie", ...
    command: str  # the command line (cleaned), or "[name]" for a kernel-like process
    cpu_percent: float | None = None  # % of one core since the previous read
    rss: int | None = None  # bytes
    started_at: float | None = None  # seconds since the epoch
    threads: int | None = None


@dataclass(frozen=True, slots=True)
class ProcessGroup:
    """One control group of the machine and the processes directly in it."""

    path: str  # relative to the machine's cgroup: "/" for itself, "/init.scope", ...
    processes: tuple[ProcessInfo, ...]
    depth: int = 0  # nesting below the machine's cgroup (0 for "/")


@dataclass(frozen=True, slots=True)
class ProcessTable:
    """Every process of one machine at one moment."""

    machine: str
    cgroup: str | None  # the machine's cgroup, relative to the cgroup root
    groups: tuple[ProcessGroup, ...] = ()
    timestamp: float = 0.0  # time.monotonic() of the read
    error: str = ""  # a problem worth showing (cleaned): vanished, not readable

    def processes(self) -> list[ProcessInfo]:
        """Every process, group by group."""
        return [process for group in self.groups for process in group.processes]

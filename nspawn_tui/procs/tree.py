"""A machine's control group and its sub-cgroups, in the order ``machinectl status`` shows them.

Each cgroup lists its own processes (``cgroup.procs``, sorted by PID) before
its sub-cgroups (sorted by name); a sub-cgroup without a process anywhere
below it is left out, as systemd's ``show_cgroup`` does.  Only the standard
library: the caller says which directory to walk (:func:`machine_directory`
picks it from a :class:`~nspawn_tui.cgroups.CgroupPaths`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Final

from nspawn_tui import cgroups

#: v1 hierarchies whose tree follows a unit's (systemd realises units there),
#: in order of preference when the unified hierarchy lacks the machine.
V1_PREFERENCE: Final = ("pids", "memory", "cpu", "cpuacct", "blkio", "devices")
#: A bound on the walk: a machine with more cgroups than this is cut (shown as such).
MAX_CGROUPS: Final = 4096


@dataclass(frozen=True, slots=True)
class CgroupNode:
    """One cgroup of the walk: its path below the machine's, its depth, its processes."""

    path: str  # "/" for the machine's own cgroup, "/payload/init.scope", ...
    depth: int
    pids: tuple[int, ...]


def machine_directory(paths: cgroups.CgroupPaths) -> str | None:
    """The directory to walk: the unified hierarchy's when it exists, else a v1 one."""
    if paths.unified is not None and os.path.isdir(paths.unified):
        return paths.unified
    for controller in V1_PREFERENCE:
        directory = paths.v1.get(controller)
        if directory is not None and os.path.isdir(directory):
            return directory
    for directory in sorted(paths.v1.values()):
        if os.path.isdir(directory):
            return directory
    return None


def read_pids(directory: str) -> tuple[int, ...]:
    """The processes directly in one cgroup, sorted, without duplicates (v1 may repeat).

    Raises :class:`FileNotFoundError` when the cgroup is gone.
    """
    with open(os.path.join(directory, "cgroup.procs"), "rb") as stream:
        data = stream.read()
    return tuple(sorted({int(word) for word in data.split() if word.isdigit()}))


def walk(directory: str, *, limit: int = MAX_CGROUPS) -> list[CgroupNode]:
    """Every cgroup from ``directory`` down that holds a process (and the top one).

    Raises :class:`FileNotFoundError` when ``directory`` itself is gone; a
    sub-cgroup removed during the walk is left out.
    """
    top = read_pids(directory)
    nodes: list[CgroupNode] = []
    budget = [limit]
    _walk_into(directory, "/", 0, top, nodes, budget)
    return nodes


def _subgroups(directory: str) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _walk_into(
    directory: str,
    path: str,
    depth: int,
    pids: tuple[int, ...],
    out: list[CgroupNode],
    budget: list[int],
) -> bool:
    """Append the cgroup and its non-empty sub-cgroups; True if any process was found."""
    at = len(out)
    out.append(CgroupNode(path, depth, pids))
    budget[0] -= 1
    found = bool(pids)
    for name in _subgroups(directory):
        if budget[0] <= 0:
            break
        child = os.path.join(directory, name)
        try:
            child_pids = read_pids(child)
        except (FileNotFoundError, NotADirectoryError):
            continue  # removed while we walked
        child_path = f"{path.rstrip('/')}/{name}"
        found = _walk_into(child, child_path, depth + 1, child_pids, out, budget) or found
    if not found and depth > 0:
        del out[at:]
    return found


def all_pids(directory: str) -> set[int]:
    """Every process in ``directory`` and below (raises FileNotFoundError when it is gone)."""
    return {pid for node in walk(directory) for pid in node.pids}

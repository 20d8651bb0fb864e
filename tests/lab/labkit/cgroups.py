"""Cgroup placement of lab containers, in cgroup2 and the v1 hierarchies.

machined derives a machine's unit from the cgroup of the registering
``systemd-nspawn`` process, so the lab creates
``machine.slice/systemd-nspawn@NAME.service`` itself, in the cgroup2 tree and
in the v1 memory, cpu, cpuacct and pids hierarchies (their mount points are
read from /proc/self/mountinfo: cpu and cpuacct may be separate or joint).
"""

from __future__ import annotations

import errno
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

SLICE = "machine.slice"
#: v1 controllers whose files the app reads; the lab places containers there.
PLACED_V1 = frozenset({"memory", "cpu", "cpuacct", "pids"})


@dataclass(frozen=True, slots=True)
class Hierarchy:
    mount_point: Path
    version: int  # 1 or 2
    controllers: frozenset[str]  # v1 controllers (and "name=..."); empty for v2

    @property
    def placed(self) -> bool:
        """Whether lab containers are moved into this hierarchy."""
        return self.version == 2 or bool(self.controllers & PLACED_V1)


def hierarchies() -> list[Hierarchy]:
    """All cgroup hierarchies mounted in this mount namespace (deduplicated)."""
    found: dict[Path, Hierarchy] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail_fields = left.split(), right.split()
        if len(tail_fields) < 3:
            continue
        fstype, options = tail_fields[0], tail_fields[2].split(",")
        mount_point = Path(fields[4])
        if fstype == "cgroup2":
            found.setdefault(mount_point, Hierarchy(mount_point, 2, frozenset()))
        elif fstype == "cgroup":
            known = {"rw", "ro"}
            controllers = frozenset(
                o for o in options if o not in known and "=" not in o or o.startswith("name=")
            )
            found.setdefault(mount_point, Hierarchy(mount_point, 1, controllers))
    return list(found.values())


def unified_root() -> Path | None:
    """Mount point of the cgroup2 hierarchy (/sys/fs/cgroup or .../unified)."""
    for hierarchy in hierarchies():
        if hierarchy.version == 2:
            return hierarchy.mount_point
    return None


def unit_rel(name: str) -> str:
    """Cgroup path of a lab container, relative to every hierarchy's root."""
    return f"/{SLICE}/systemd-nspawn@{name}.service"


def create_unit_dirs(name: str, sub: str = "") -> list[Path]:
    """Create the container's cgroup directories (or a ``sub`` directory in
    each); return their cgroup.procs files."""
    procs = []
    for hierarchy in hierarchies():
        if hierarchy.placed:
            directory = hierarchy.mount_point / unit_rel(name).lstrip("/")
            if sub:
                directory = directory / sub
            directory.mkdir(parents=True, exist_ok=True)
            procs.append(directory / "cgroup.procs")
    return procs


def unit_dirs(name_glob: str) -> list[Path]:
    """Existing unit directories matching ``systemd-nspawn@NAME_GLOB.service``, all hierarchies."""
    dirs: list[Path] = []
    for hierarchy in hierarchies():
        slice_dir = hierarchy.mount_point / SLICE
        if slice_dir.is_dir():
            dirs.extend(sorted(slice_dir.glob(f"systemd-nspawn@{name_glob}.service")))
    return dirs


def pids_in_tree(directory: Path) -> set[int]:
    """PIDs of all processes in a cgroup directory and its descendants."""
    pids: set[int] = set()
    for root, _dirs, _files in os.walk(directory):
        try:
            text = (Path(root) / "cgroup.procs").read_text()
        except FileNotFoundError:
            continue
        pids.update(int(p) for p in text.split())
    return pids


def kill_tree(directory: Path, timeout: float = 10.0) -> None:
    """SIGKILL every process in a cgroup subtree until it is empty."""
    deadline = time.monotonic() + timeout
    while pids := pids_in_tree(directory):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
        if time.monotonic() > deadline:
            raise OSError(errno.EBUSY, f"processes {sorted(pids)} survive in {directory}")
        time.sleep(0.05)


def remove_tree(directory: Path, timeout: float = 10.0) -> None:
    """Kill what is left in a cgroup subtree and rmdir it, deepest first."""
    if not directory.is_dir():
        return
    kill_tree(directory, timeout)
    deadline = time.monotonic() + timeout
    for root, _dirs, _files in sorted(os.walk(directory), key=lambda w: -len(w[0])):
        while True:
            try:
                os.rmdir(root)
                break
            except FileNotFoundError:
                break
            except OSError as error:
                # EBUSY right after a kill: the kernel has not reaped the tasks yet.
                if error.errno != errno.EBUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def remove_slice_if_empty() -> None:
    """rmdir machine.slice in every hierarchy where nothing else uses it."""
    for hierarchy in hierarchies():
        try:
            os.rmdir(hierarchy.mount_point / SLICE)
        except FileNotFoundError:
            continue
        except OSError as error:
            if error.errno not in (errno.ENOTEMPTY, errno.EBUSY):
                raise


def move_pid(pid: int, procs_files: list[Path]) -> None:
    for path in procs_files:
        path.write_text(str(pid))

"""Where the cgroup hierarchies are mounted, and where one cgroup lives in each."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Final, Literal

from nspawn_tui.cgroups.parsers import parse_proc_cgroup

#: Controllers that can be bound to a v1 hierarchy (named hierarchies are ignored).
V1_CONTROLLERS: Final = frozenset(
    "cpu cpuacct cpuset memory devices freezer net_cls net_prio blkio perf_event"
    " hugetlb pids rdma misc debug".split()
)

_OCTAL_ESCAPE: Final = re.compile(r"\\([0-7]{3})")


def _unescape(field_text: str) -> str:
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field_text)


@dataclass(frozen=True, slots=True)
class CgroupLayout:
    """Where the cgroup hierarchies of this host are mounted."""

    unified: str | None  # cgroup2 mount point, None if absent
    v1: dict[str, str] = field(default_factory=dict)  # v1 controller -> mount point

    @property
    def kind(self) -> Literal["unified", "hybrid", "legacy"]:
        """``legacy`` also when nothing is mounted at all."""
        if self.unified is None:
            return "legacy"
        return "hybrid" if self.v1 else "unified"


def detect_layout(mountinfo_text: str | None = None) -> CgroupLayout:
    """Parse ``/proc/self/mountinfo`` (read when *mountinfo_text* is None).

    The first mount of each hierarchy wins, preferring mounts of the
    hierarchy's root (``/``). Raises :class:`ValueError` for a malformed line.
    """
    if mountinfo_text is None:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
            mountinfo_text = f.read()
    unified: tuple[bool, str] | None = None  # (is the hierarchy root, mount point)
    v1: dict[str, tuple[bool, str]] = {}
    for line in mountinfo_text.split("\n"):
        if not line.strip():
            continue
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 3:
            raise ValueError(f"malformed mountinfo line: {line[:80]!r}")
        at_root, mount_point = fields[3] == "/", _unescape(fields[4])
        if tail[0] == "cgroup2":
            if unified is None or (at_root and not unified[0]):
                unified = (at_root, mount_point)
        elif tail[0] == "cgroup":
            for option in tail[2].split(","):
                if option in V1_CONTROLLERS:
                    old = v1.get(option)
                    if old is None or (at_root and not old[0]):
                        v1[option] = (at_root, mount_point)
    return CgroupLayout(
        unified=None if unified is None else unified[1],
        v1={name: mount for name, (_, mount) in sorted(v1.items())},
    )


@dataclass(frozen=True, slots=True)
class CgroupPaths:
    """The absolute directories of one cgroup in every hierarchy."""

    unified: str | None
    v1: dict[str, str] = field(default_factory=dict)

    def directories(self) -> set[str]:
        dirs = set(self.v1.values())
        if self.unified is not None:
            dirs.add(self.unified)
        return dirs


def _join(mount: str, relpath: str) -> str:
    parts = [p for p in relpath.split("/") if p and p != "."]
    if ".." in parts:
        raise ValueError(f"cgroup path must not contain '..': {relpath!r}")
    return posixpath.join(mount, *parts)


def paths_for(layout: CgroupLayout, relpath: str) -> CgroupPaths:
    """*relpath* (``/machine.slice/systemd-nspawn@web.service``) in every hierarchy."""
    return CgroupPaths(
        unified=None if layout.unified is None else _join(layout.unified, relpath),
        v1={name: _join(mount, relpath) for name, mount in layout.v1.items()},
    )


def trim_to_unit(path: str, unit: str) -> str:
    """Cut *path* after the component *unit*; unchanged when *unit* is not in it."""
    parts = path.split("/")
    if unit in parts:
        return "/".join(parts[: parts.index(unit) + 1])
    return path


def relative_path(layout: CgroupLayout, cgroup: str) -> str:
    """``cgroup`` relative to the cgroup root, also when given as a mounted directory.

    ``/sys/fs/cgroup/unified/machine.slice/x`` -> ``/machine.slice/x``, as
    systemd's ``ControlGroup`` says it; a relative path is returned as is.
    """
    mounts = [m for m in (layout.unified, *layout.v1.values()) if m]
    for mount in sorted(mounts, key=len, reverse=True):
        prefix = mount.rstrip("/") + "/"
        if cgroup.startswith(prefix):
            return "/" + cgroup[len(prefix) :].strip("/")
    return "/" + cgroup.strip("/")


def paths_from_proc(layout: CgroupLayout, pid: int, unit: str | None = None) -> CgroupPaths:
    """The cgroup of process *pid*, cut after the component *unit* when given.

    The leader of a container usually sits in a sub-cgroup
    (``.../systemd-nspawn@web.service/payload``, ``.../init.scope``): with
    *unit* the path is cut after that component. A hierarchy whose path does
    not contain *unit* is left out: there the process shares its parent's
    cgroup (systemd did not realise the unit in that v1 hierarchy), whose
    figures would not be the container's.

    Raises :class:`ProcessLookupError` when the process is gone and
    :class:`ValueError` when its ``/proc/PID/cgroup`` is malformed.
    """
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessLookupError(f"process {pid} is gone") from exc
    entries = parse_proc_cgroup(text)

    def directory(mount: str, key: str) -> str | None:
        path = entries.get(key)
        if path is None:
            return None
        if unit is not None:
            if unit not in path.split("/"):
                return None
            path = trim_to_unit(path, unit)
        if ".." in path.split("/"):
            return None  # outside this process's cgroup namespace
        return _join(mount, path)

    v1 = {name: d for name, mount in layout.v1.items() if (d := directory(mount, name))}
    unified = None if layout.unified is None else directory(layout.unified, "")
    return CgroupPaths(unified=unified, v1=v1)

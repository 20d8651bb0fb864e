"""Per-container metrics from cgroups: cgroup v2 (unified), v1 (legacy) and hybrid hosts.

Layout: :func:`detect_layout` reads ``/proc/self/mountinfo`` and finds the
cgroup2 mount (``/sys/fs/cgroup`` or ``/sys/fs/cgroup/unified``) and the v1
controller mounts. A controller bound to a v1 hierarchy has its data there;
otherwise it is read from the unified tree. CPU time is taken from the unified
``cpu.stat`` when the cgroup exists there (cgroup2 keeps ``usage_usec`` even
without the cpu controller), else from v1 ``cpuacct.usage``.

* :mod:`~nspawn_tui.cgroups.parsers`: pure parsers raising :class:`ValueError`.
* :mod:`~nspawn_tui.cgroups.layout`: mounts, per-cgroup paths, ``/proc/PID/cgroup``.
* :mod:`~nspawn_tui.cgroups.reader`: :class:`CgroupReader` (kept descriptors,
  missing or malformed files become ``None``, never 0), with its internals:
  :mod:`~nspawn_tui.cgroups.figures` (which file gives which figure of a
  :class:`RawReading`), :mod:`~nspawn_tui.cgroups.fastparse` (parsers on the
  raw bytes for the kernel's usual output) and :mod:`~nspawn_tui.cgroups.plan`
  (per-cgroup read plans: the descriptors read at every sweep).
* :mod:`~nspawn_tui.cgroups.rates`: :class:`RateTracker` (CPU %, I/O rates).

It may import the standard library and :mod:`nspawn_tui.host.base` (the
``UNLIMITED`` marker and :class:`Sample`); never Textual, never D-Bus.
"""

from __future__ import annotations

from nspawn_tui.cgroups.layout import (
    V1_CONTROLLERS,
    CgroupLayout,
    CgroupPaths,
    detect_layout,
    paths_for,
    paths_from_proc,
    relative_path,
    trim_to_unit,
)
from nspawn_tui.cgroups.parsers import (
    HUGE_LIMIT,
    parse_blkio_service_bytes,
    parse_counter,
    parse_flat_keyed,
    parse_io_stat,
    parse_limit,
    parse_nested_keyed,
    parse_proc_cgroup,
    parse_value,
)
from nspawn_tui.cgroups.rates import RateTracker, host_cpu_percent
from nspawn_tui.cgroups.reader import CgroupReader, RawReading

__all__ = [
    "HUGE_LIMIT",
    "V1_CONTROLLERS",
    "CgroupLayout",
    "CgroupPaths",
    "CgroupReader",
    "RateTracker",
    "RawReading",
    "detect_layout",
    "host_cpu_percent",
    "paths_for",
    "paths_from_proc",
    "relative_path",
    "parse_blkio_service_bytes",
    "parse_counter",
    "parse_flat_keyed",
    "parse_io_stat",
    "parse_limit",
    "parse_nested_keyed",
    "parse_proc_cgroup",
    "parse_value",
    "trim_to_unit",
]

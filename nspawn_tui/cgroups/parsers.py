"""Parsers of cgroup files: pure functions that raise :class:`ValueError` on malformed input.

Formats follow the kernel's Documentation/admin-guide/cgroup-v2.rst ("Interface
Files": flat keyed, nested keyed, single values with ``max``) and the v1
documents (blkio-controller.rst, memory.rst).
"""

from __future__ import annotations

import re
from typing import Final

from nspawn_tui.host.base import UNLIMITED

#: v1 limits at or above this are "no limit" (v1 reports PAGE_COUNTER_MAX * PAGE_SIZE).
HUGE_LIMIT: Final = 2**62

_DIGITS: Final = re.compile(r"[0-9]+")


def parse_counter(text: str) -> int:
    """A file holding one non-negative decimal integer (``memory.current``)."""
    value = text.strip()
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"not a non-negative integer: {value[:40]!r}")
    return int(value)


def parse_value(text: str) -> int:
    """One integer or ``max`` (-> :data:`UNLIMITED`), as in ``pids.max``."""
    if text.strip() == "max":
        return UNLIMITED
    return parse_counter(text)


def parse_limit(text: str) -> int:
    """A limit: ``max`` or a value at or above 2**62 (v1 "unlimited") -> UNLIMITED."""
    value = parse_value(text)
    return UNLIMITED if value >= HUGE_LIMIT else value


def parse_flat_keyed(text: str) -> dict[str, int]:
    """Flat keyed files (``cpu.stat``, ``memory.events``): ``KEY VALUE`` per line."""
    result: dict[str, int] = {}
    for line in text.split("\n"):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValueError(f"expected 'key value': {line[:60]!r}")
        key, value = parts
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = parse_value(value)
    return result


def parse_nested_keyed(text: str) -> dict[str, dict[str, int]]:
    """Nested keyed files (``io.stat``): ``KEY SUB=VAL SUB=VAL ...`` per line."""
    result: dict[str, dict[str, int]] = {}
    for line in text.split("\n"):
        parts = line.split()
        if not parts:
            continue
        key, pairs = parts[0], parts[1:]
        if "=" in key or key in result:
            raise ValueError(f"bad or duplicate key in {line[:60]!r}")
        entry: dict[str, int] = {}
        for pair in pairs:
            sub, sep, value = pair.partition("=")
            if not sep or not sub or sub in entry:
                raise ValueError(f"expected 'name=value': {pair[:40]!r}")
            entry[sub] = parse_value(value)
        result[key] = entry
    return result


def parse_io_stat(text: str) -> tuple[int, int]:
    """v2 ``io.stat``: (read bytes, written bytes) summed over devices. Empty -> (0, 0)."""
    read = write = 0
    for entry in parse_nested_keyed(text).values():
        read += entry.get("rbytes", 0)
        write += entry.get("wbytes", 0)
    return read, write


def parse_blkio_service_bytes(text: str) -> tuple[int, int]:
    """v1 ``blkio.throttle.io_service_bytes``: (Read, Write) summed over devices.

    Lines are ``MAJ:MIN Op BYTES`` with Op one of Read, Write, Sync, Async,
    Discard, Total, and a last line ``Total BYTES`` which is ignored.
    """
    read = write = 0
    for line in text.split("\n"):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == 2 and parts[0] == "Total":
            parse_counter(parts[1])
            continue
        if len(parts) != 3 or ":" not in parts[0]:
            raise ValueError(f"expected 'MAJ:MIN Op bytes': {line[:60]!r}")
        value = parse_counter(parts[2])
        if parts[1] == "Read":
            read += value
        elif parts[1] == "Write":
            write += value
    return read, write


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """``/proc/PID/cgroup``: controller -> path; the cgroup2 entry has the key ``""``.

    ``2:cpu,cpuacct:/y`` gives both controllers; ``name=...`` hierarchies are skipped.
    """
    result: dict[str, str] = {}
    for line in text.split("\n"):
        if not line.strip():
            continue
        parts = line.split(":", 2)
        if len(parts) != 3 or not _DIGITS.fullmatch(parts[0]) or not parts[2].startswith("/"):
            raise ValueError(f"expected 'ID:CONTROLLERS:/PATH': {line[:60]!r}")
        _, controllers, path = parts
        if controllers == "":
            result[""] = path
            continue
        for name in controllers.split(","):
            if name and not name.startswith("name="):
                result[name] = path
    return result

"""Fast paths on the raw bytes of cgroup files, for the common well-formed cases.

A sweep reads ~4 files per container; decoding and the general parsers of
:mod:`~nspawn_tui.cgroups.parsers` cost more than the ``pread`` itself. Each
function here takes the file's bytes and returns the value the general parser
would return, or ``None`` when unsure (odd spacing, unknown layout, malformed):
the caller then decodes the text and lets the general parser decide. So a fast
path never accepts what the general parser rejects.
"""

from __future__ import annotations

import re
from typing import Final

from nspawn_tui.cgroups.parsers import HUGE_LIMIT
from nspawn_tui.host.base import UNLIMITED

# v2 io.stat as the kernel writes it (blk-cgroup.c: blkcg_print_one_stat), one line per device
_IO_STAT_LINE: Final = re.compile(
    rb"([0-9]+:[0-9]+) rbytes=([0-9]+) wbytes=([0-9]+) rios=[0-9]+ wios=[0-9]+"
    rb" dbytes=[0-9]+ dios=[0-9]+\n"
)
# v1 blkio.throttle.io_service_bytes(_recursive): six lines per device (no Discard
# line before Linux 4.19), then "Total N"
_BLKIO_DEVICE: Final = re.compile(
    rb"([0-9]+:[0-9]+) Read ([0-9]+)\n\1 Write ([0-9]+)\n\1 Sync [0-9]+\n\1 Async [0-9]+\n"
    rb"(?:\1 Discard [0-9]+\n)?\1 Total [0-9]+\n"
)
_BLKIO_TOTAL: Final = re.compile(rb"Total [0-9]+\n")
# the usual cases in one regex call: one device
_IO_STAT_ONE: Final = re.compile(_IO_STAT_LINE.pattern)
_BLKIO_ONE: Final = re.compile(_BLKIO_DEVICE.pattern + _BLKIO_TOTAL.pattern)


def fast_counter(data: bytes) -> int | None:
    """``parse_counter``: ``b"187654144\\n"``."""
    digits = data.strip()  # ASCII whitespace: a subset of what str.strip() removes
    return int(digits) if digits.isdigit() else None


def fast_limit(data: bytes) -> int | None:
    """``parse_limit``: a counter (huge -> UNLIMITED) or ``b"max\\n"``."""
    digits = data.strip()
    if digits.isdigit():
        value = int(digits)
        return UNLIMITED if value >= HUGE_LIMIT else value
    return UNLIMITED if digits == b"max" else None


def fast_usage_usec(data: bytes) -> int | None:
    """``usage_usec`` of v2 ``cpu.stat`` when it is the first line (it always is)."""
    line = data.split(b"\n", 1)[0]
    if line[:11] == b"usage_usec ":
        digits = line[11:]
        if digits.isdigit():
            return int(digits)
    return None


def fast_cpuacct_usec(data: bytes) -> int | None:
    """v1 ``cpuacct.usage`` (nanoseconds) in microseconds."""
    value = fast_counter(data)
    return None if value is None else value // 1000


def fast_io_stat(data: bytes) -> tuple[int, int] | None:
    """``parse_io_stat``: (rbytes, wbytes) summed over the devices."""
    one = _IO_STAT_ONE.fullmatch(data)
    if one is not None:
        return int(one[2]), int(one[3])
    read = write = pos = 0
    end = len(data)
    devices: list[bytes] = []
    while pos < end:
        match = _IO_STAT_LINE.match(data, pos)
        if match is None:
            return None
        devices.append(match[1])
        read += int(match[2])
        write += int(match[3])
        pos = match.end()
    if len(devices) > 1 and len(set(devices)) != len(devices):
        return None  # a device twice: the general parser rejects it
    return read, write


def fast_blkio_service_bytes(data: bytes) -> tuple[int, int] | None:
    """``parse_blkio_service_bytes``: (Read, Write) summed over the devices."""
    one = _BLKIO_ONE.fullmatch(data)
    if one is not None:
        return int(one[2]), int(one[3])
    read = write = pos = 0
    end = len(data)
    while pos < end:
        match = _BLKIO_DEVICE.match(data, pos)
        if match is None:
            break
        read += int(match[2])
        write += int(match[3])
        pos = match.end()
    total = _BLKIO_TOTAL.match(data, pos)
    if total is None or total.end() != end:
        return None
    return read, write

"""Which cgroup files give which figure of a :class:`RawReading`, and how each is parsed.

Used by :mod:`~nspawn_tui.cgroups.reader`; the names here are internal to the package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NamedTuple

from nspawn_tui.cgroups.fastparse import (
    fast_blkio_service_bytes,
    fast_counter,
    fast_cpuacct_usec,
    fast_io_stat,
    fast_limit,
    fast_usage_usec,
)
from nspawn_tui.cgroups.layout import CgroupPaths
from nspawn_tui.cgroups.parsers import (
    parse_blkio_service_bytes,
    parse_counter,
    parse_flat_keyed,
    parse_io_stat,
    parse_limit,
)

Parse = Callable[[str], Any]
FastParse = Callable[[bytes], Any]


class RawReading(NamedTuple):
    """Counters and limits of one cgroup; ``None`` = unavailable, never 0.

    An immutable record: a named tuple, built from a list in one call (a sweep
    builds one per container; a frozen dataclass costs ~8 times as much).
    """

    cpu_usage_usec: int | None = None
    memory_current: int | None = None
    memory_max: int | None = None  # UNLIMITED for no limit
    memory_high: int | None = None
    memory_peak: int | None = None
    oom_kills: int | None = None
    tasks_current: int | None = None
    tasks_max: int | None = None  # UNLIMITED for no limit
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None


# Slots of a reading while it is assembled: RawReading's fields in order. The io
# parsers return a (read, write) pair: it goes in the IO slot, split at the end.
(CPU, MEM, MEM_MAX, MEM_HIGH, MEM_PEAK, OOM, TASKS, TASKS_MAX, IO, IO_WRITE) = range(10)
SLOTS: Final = 10
make_reading: Final = RawReading._make  # one C call from a list of SLOTS values


def reading(values: list[Any]) -> RawReading:
    """*values* (SLOTS of them; the IO pair is split in place) as a RawReading."""
    io = values[IO]
    if io is not None:
        values[IO], values[IO_WRITE] = io
    return make_reading(values)


def _key(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = parse_flat_keyed(text).get(name)
        if value is None:
            raise ValueError(f"no {name!r} line")
        return value

    return parse


def _cpuacct_usec(text: str) -> int:
    return parse_counter(text) // 1000  # cpuacct.usage is in nanoseconds


def unsure(data: bytes) -> None:
    """The fast path of parsers that have none."""
    return None


_cpu_stat_usec = _key("usage_usec")
_oom_kill = _key("oom_kill")  # memory.events (v2) and memory.oom_control (v1)

#: general parser -> its fast path on the bytes (see fastparse)
_FAST: Final[dict[Parse, FastParse]] = {
    parse_counter: fast_counter,
    parse_limit: fast_limit,
    _cpu_stat_usec: fast_usage_usec,
    _cpuacct_usec: fast_cpuacct_usec,
    parse_io_stat: fast_io_stat,
    parse_blkio_service_bytes: fast_blkio_service_bytes,
}


def fast_for(parse: Parse) -> FastParse:
    return _FAST.get(parse, unsure)


def parse_bytes(fast: FastParse, parse: Parse, data: bytes) -> Any:
    """The value of *data*, ``None`` when malformed (never an exception)."""
    try:
        value = fast(data)
    except ValueError:  # e.g. more digits than int() converts
        return None
    return parse_text(parse, data) if value is None else value


def parse_text(parse: Parse, data: bytes) -> Any:
    """*data* through the general parser, ``None`` when malformed."""
    try:
        return parse(data.decode("ascii"))
    except ValueError:  # malformed content (UnicodeDecodeError included)
        return None


#: (slot, read every slow_interval only, [(directory, file, parser)]): the files
#: are tried in order until one gives a value
Field = tuple[int, bool, list[tuple[str, str, Parse]]]


def fields_for(paths: CgroupPaths) -> list[Field]:
    """Which files give which figure for *paths* (v2, v1 or hybrid).

    CPU time from the unified ``cpu.stat`` when there is one, else v1
    ``cpuacct.usage``; a controller bound to a v1 hierarchy is read there.
    """
    unified, v1 = paths.unified, paths.v1
    cpu = [] if unified is None else [(unified, "cpu.stat", _cpu_stat_usec)]
    if "cpuacct" in v1:
        cpu.append((v1["cpuacct"], "cpuacct.usage", _cpuacct_usec))
    fields: list[Field] = [(CPU, False, cpu)]
    if (mem := v1.get("memory")) is not None:
        fields += [
            (MEM, False, [(mem, "memory.usage_in_bytes", parse_counter)]),
            (MEM_MAX, True, [(mem, "memory.limit_in_bytes", parse_limit)]),
            (MEM_PEAK, True, [(mem, "memory.max_usage_in_bytes", parse_counter)]),
            (OOM, True, [(mem, "memory.oom_control", _oom_kill)]),
        ]
    elif unified is not None:
        fields += [
            (MEM, False, [(unified, "memory.current", parse_counter)]),
            (MEM_MAX, True, [(unified, "memory.max", parse_limit)]),
            (MEM_HIGH, True, [(unified, "memory.high", parse_limit)]),
            (MEM_PEAK, True, [(unified, "memory.peak", parse_counter)]),
            (OOM, True, [(unified, "memory.events", _oom_kill)]),
        ]
    if (pids := v1.get("pids", unified)) is not None:
        fields += [
            (TASKS, False, [(pids, "pids.current", parse_counter)]),
            (TASKS_MAX, True, [(pids, "pids.max", parse_limit)]),
        ]
    if (blkio := v1.get("blkio")) is not None:
        # the recursive file counts the container's sub-cgroups too; older
        # kernels only have the plain one
        io: list[tuple[str, str, Parse]] = [
            (blkio, "blkio.throttle.io_service_bytes_recursive", parse_blkio_service_bytes),
            (blkio, "blkio.throttle.io_service_bytes", parse_blkio_service_bytes),
        ]
        fields.append((IO, False, io))
    elif unified is not None:
        fields.append((IO, False, [(unified, "io.stat", parse_io_stat)]))
    return fields

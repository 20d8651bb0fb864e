"""CPU % and I/O rates from successive cgroup readings."""

from __future__ import annotations

from dataclasses import dataclass

from nspawn_tui.cgroups.reader import RawReading
from nspawn_tui.host.base import Sample


@dataclass(frozen=True, slots=True)
class _Previous:
    timestamp: float
    cpu_usage_usec: int | None
    io_read_bytes: int | None
    io_write_bytes: int | None


def _rate(old: int | None, new: int | None, seconds: float) -> float | None:
    if old is None or new is None or seconds <= 0 or new < old:
        return None  # unknown, no time passed, or a new cgroup (counter reset)
    return (new - old) / seconds


class RateTracker:
    """Turns successive :class:`RawReading` values per key into :class:`Sample`.

    ``cpu_percent`` is % of ONE core over the interval since the previous
    reading of the same key; ``io_*_bps`` bytes per second. The first reading
    of a key, or a counter going backwards (a new cgroup), gives ``None``.
    """

    def __init__(self) -> None:
        self._previous: dict[str, _Previous] = {}

    def update(self, key: str, reading: RawReading, timestamp: float) -> Sample:
        """*timestamp* is ``time.monotonic()`` of the reading."""
        old = self._previous.get(key)
        cpu_percent = read_bps = write_bps = None
        if old is not None:
            seconds = timestamp - old.timestamp
            usec_per_sec = _rate(old.cpu_usage_usec, reading.cpu_usage_usec, seconds)
            cpu_percent = None if usec_per_sec is None else usec_per_sec / 1e6 * 100.0
            read_bps = _rate(old.io_read_bytes, reading.io_read_bytes, seconds)
            write_bps = _rate(old.io_write_bytes, reading.io_write_bytes, seconds)
        self._previous[key] = _Previous(
            timestamp, reading.cpu_usage_usec, reading.io_read_bytes, reading.io_write_bytes
        )
        return Sample(
            timestamp=timestamp,
            cpu_usage_usec=reading.cpu_usage_usec,
            cpu_percent=cpu_percent,
            memory_current=reading.memory_current,
            memory_max=reading.memory_max,
            memory_high=reading.memory_high,
            memory_peak=reading.memory_peak,
            oom_kills=reading.oom_kills,
            tasks_current=reading.tasks_current,
            tasks_max=reading.tasks_max,
            io_read_bytes=reading.io_read_bytes,
            io_write_bytes=reading.io_write_bytes,
            io_read_bps=read_bps,
            io_write_bps=write_bps,
        )

    def forget(self, key: str) -> None:
        self._previous.pop(key, None)

    def keys(self) -> set[str]:
        return set(self._previous)


def host_cpu_percent(cpu_percent_of_one_core: float, cpu_count: int) -> float:
    """% of one core -> % of the whole host (for the "whole host" toggle)."""
    if cpu_count < 1:
        raise ValueError(f"cpu_count must be at least 1, not {cpu_count}")
    return cpu_percent_of_one_core / cpu_count

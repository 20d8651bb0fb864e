"""CPU % and I/O rates from successive cgroup readings."""

from __future__ import annotations

from nspawn_tui.cgroups.figures import RawReading
from nspawn_tui.host.base import Sample


class RateTracker:
    """Turns successive :class:`RawReading` values per key into :class:`Sample`.

    ``cpu_percent`` is % of ONE core over the interval since the previous
    reading of the same key; ``io_*_bps`` bytes per second. The first reading
    of a key, or a counter going backwards (a new cgroup), gives ``None``.
    """

    def __init__(self) -> None:
        # key -> (timestamp, cpu_usage_usec, io_read_bytes, io_write_bytes)
        self._previous: dict[str, tuple[float, int | None, int | None, int | None]] = {}

    def update(self, key: str, reading: RawReading, timestamp: float) -> Sample:
        """*timestamp* is ``time.monotonic()`` of the reading."""
        (
            cpu,
            memory,
            memory_max,
            memory_high,
            memory_peak,
            oom_kills,
            tasks,
            tasks_max,
            read,
            write,
        ) = reading  # a named tuple: unpacked at once
        old = self._previous.get(key)
        self._previous[key] = (timestamp, cpu, read, write)
        cpu_percent = read_bps = write_bps = None
        # a rate is None when a figure is unknown, no time passed, or a counter
        # went backwards (a new cgroup of the same name)
        if old is not None and (seconds := timestamp - old[0]) > 0:
            _, old_cpu, old_read, old_write = old
            if cpu is not None and old_cpu is not None and cpu >= old_cpu:
                cpu_percent = (cpu - old_cpu) / seconds / 1e6 * 100.0  # usec/s -> % of a core
            if read is not None and old_read is not None and read >= old_read:
                read_bps = (read - old_read) / seconds
            if write is not None and old_write is not None and write >= old_write:
                write_bps = (write - old_write) / seconds
        return Sample(
            timestamp,
            cpu,
            cpu_percent,
            memory,
            memory_max,
            memory_high,
            memory_peak,
            oom_kills,
            tasks,
            tasks_max,
            read,
            write,
            read_bps,
            write_bps,
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

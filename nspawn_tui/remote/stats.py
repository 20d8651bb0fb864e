"""A remote host's own figures: its CPU %, memory and name from ``/proc`` texts read by its
:class:`~nspawn_tui.remote.shell.RemoteShell`.

:class:`RemoteStats` (a :class:`~nspawn_tui.host.machined.stats.HostStatsSource`)
registers ``/proc/stat``, ``/proc/meminfo`` and the hostname with the shell
(:meth:`~nspawn_tui.remote.shell.RemoteShell.also_read`): they ride along with
the batch :meth:`~nspawn_tui.remote.metrics.RemoteMetrics.sample` sends, and
:meth:`RemoteStats.read` (called right after it by the machined host)
computes from that batch; only when no batch was sent since its last read
does it send one itself.  So a refresh is one round trip to the host,
whichever needs it.
"""

from __future__ import annotations

from typing import Final

from nspawn_tui.host.base import HostStats, HostUnavailable
from nspawn_tui.remote.shell import RemoteShell
from nspawn_tui.safe import clean

PROC_STAT: Final = "/proc/stat"
MEMINFO: Final = "/proc/meminfo"
HOSTNAME: Final = "/proc/sys/kernel/hostname"
STATS_FILES: Final = (PROC_STAT, MEMINFO, HOSTNAME)


def parse_proc_stat(text: str) -> tuple[int, int, int]:
    """(all jiffies, idle jiffies, CPU count) from ``/proc/stat``; ValueError when malformed."""
    total = idle = count = 0
    found = False
    for line in text.splitlines():
        key, _, rest = line.partition(" ")
        if key == "cpu":
            numbers = [int(word) for word in rest.split()]
            if len(numbers) < 4:
                raise ValueError("a short cpu line")
            total = sum(numbers[:8])  # guest time is already counted in user time
            idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)  # idle + iowait
            found = True
        elif key.startswith("cpu") and key[3:].isdigit():
            count += 1
    if not found:
        raise ValueError("no cpu line")
    return total, idle, max(count, 1)


def parse_meminfo(text: str) -> tuple[int | None, int | None]:
    """(total, used) bytes from ``/proc/meminfo``; used = total - available, as psutil."""
    kib: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        words = rest.split()
        if words and words[0].isdigit():
            kib[key] = int(words[0])
    total = kib.get("MemTotal")
    if total is None:
        return None, None
    available = kib.get("MemAvailable")
    if available is None and "MemFree" in kib:  # kernels before 3.14
        available = kib["MemFree"] + kib.get("Buffers", 0) + kib.get("Cached", 0)
    used = None if available is None else max(total - available, 0) * 1024
    return total * 1024, used


class RemoteStats:
    """The remote host's CPU %, memory and name (see the module docstring)."""

    def __init__(self, shell: RemoteShell) -> None:
        self._shell = shell
        shell.also_read(STATS_FILES)
        self._seen = -1  # the shell's batch count at the last read
        self._previous: tuple[int, int] | None = None  # (all, idle) jiffies
        self._last: HostStats | None = None
        #: why the last read had nothing (the shell's failure), None after a good one
        self.error: str | None = None

    async def read(self) -> HostStats:
        """The figures of the shell's latest batch, or of a batch of its own when none was
        sent since the previous read.  Never raises: when the shell fails, the last known
        name and CPU count with the figures None (``n/a``), and :attr:`error` says why."""
        if self._shell.batches == self._seen or not self._has_all():
            try:
                await self._shell.read_files(())
            except HostUnavailable as exc:
                self.error = str(exc)
                self._previous = None
                last = self._last
                return HostStats(
                    hostname=last.hostname if last else "",
                    cpu_count=last.cpu_count if last else 1,
                    cpu_percent=None,
                    memory_total=None,
                    memory_used=None,
                )
        self._seen = self._shell.batches
        self.error = None
        self._last = self.compute(self._shell.latest_extra)
        return self._last

    def _has_all(self) -> bool:
        return all(path in self._shell.latest_extra for path in STATS_FILES)

    def compute(self, texts: dict[str, str | None]) -> HostStats:
        """HostStats from the files' texts; CPU % from the previous call's counters."""
        cpu_percent: float | None = None
        count = self._last.cpu_count if self._last else 1
        try:
            total, idle, count = parse_proc_stat(texts.get(PROC_STAT) or "")
        except ValueError:
            self._previous = None
        else:
            old, self._previous = self._previous, (total, idle)
            if old is not None and total > old[0] and idle >= old[1]:
                busy = (total - old[0]) - (idle - old[1])
                cpu_percent = max(0.0, min(100.0, busy / (total - old[0]) * 100.0))
        memory_total, memory_used = parse_meminfo(texts.get(MEMINFO) or "")
        return HostStats(
            hostname=clean((texts.get(HOSTNAME) or "").strip()),
            cpu_count=count,
            cpu_percent=cpu_percent,
            memory_total=memory_total,
            memory_used=memory_used,
        )

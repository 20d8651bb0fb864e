"""The host-figures seam: the CPU and memory of the host itself (the header, a fleet's host row).

:class:`LocalStats` reads this machine through psutil; a remote host reads
``/proc/stat`` and ``/proc/meminfo`` over its SSH connection instead
(:class:`nspawn_tui.remote.stats.RemoteStats`).
"""

from __future__ import annotations

from typing import Protocol

from nspawn_tui.host.base import HostStats
from nspawn_tui.host.hoststats import HostStatsReader


class HostStatsSource(Protocol):
    async def read(self) -> HostStats:
        """The host's figures now; CPU % since the previous read (None on the first)."""
        ...


class LocalStats:
    """This machine's figures (psutil, non-blocking)."""

    def __init__(self) -> None:
        self._reader = HostStatsReader()

    async def read(self) -> HostStats:
        return self._reader.read()

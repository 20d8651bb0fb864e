"""Figures of the host itself (CPU, memory) through psutil."""

from __future__ import annotations

import socket

import psutil

from nspawn_tui.host.base import HostStats


class HostStatsReader:
    """Host CPU % since the previous call (non-blocking) and memory in use."""

    def __init__(self) -> None:
        self.hostname = socket.gethostname()
        self.cpu_count = psutil.cpu_count() or 1
        psutil.cpu_percent(interval=None)  # prime: the first call has no interval

    def read(self) -> HostStats:
        memory = psutil.virtual_memory()
        return HostStats(
            hostname=self.hostname,
            cpu_count=self.cpu_count,
            cpu_percent=psutil.cpu_percent(interval=None),
            memory_total=int(memory.total),
            memory_used=int(memory.total - memory.available),
        )

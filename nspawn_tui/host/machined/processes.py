"""Processes of machined's machines (filled in by the processes work)."""

from __future__ import annotations


class MachinedProcesses:
    """Mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: ``processes()``, signals."""

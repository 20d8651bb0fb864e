"""Simulated processes of the demo's machines (filled in by the processes work)."""

from __future__ import annotations


class DemoProcesses:
    """Mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`: ``processes()``, signals."""

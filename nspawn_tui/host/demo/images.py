"""Simulated image actions and transfers of the demo host (filled in by the images work)."""

from __future__ import annotations


class DemoImages:
    """Mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`: image actions, transfers."""

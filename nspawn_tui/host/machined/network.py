"""Network figures of machined's machines (filled in by the network work)."""

from __future__ import annotations


class MachinedNetwork:
    """Mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: ``network()``."""

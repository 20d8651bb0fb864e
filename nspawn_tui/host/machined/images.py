"""Image actions over machined and transfers over importd (filled in by the images work)."""

from __future__ import annotations


class MachinedImages:
    """Mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: image actions, transfers."""

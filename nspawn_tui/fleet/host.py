"""Several hosts as one :class:`Host` (stub: filled by the fleet work)."""

from __future__ import annotations

from collections.abc import Sequence

from nspawn_tui.host.base import Host, HostUnavailable


def FleetHost(hosts: Sequence[Host], *, read_only: bool = False) -> Host:
    raise HostUnavailable("fleets are not written yet")

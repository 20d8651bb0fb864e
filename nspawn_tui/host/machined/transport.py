"""The transport seam: how the machined host reaches a D-Bus bus.

:class:`~nspawn_tui.host.machined.host.MachinedHost` asks its transport for a
connected :class:`MessageBus` when it (re)connects and does everything else
(calls, signals, error translation in :mod:`.bus`) on that bus, so a remote
host changes only this: a bus reached through ``ssh HOST
systemd-stdio-bridge`` instead of a local socket.
"""

from __future__ import annotations

from typing import Protocol

from dbus_next.aio import MessageBus

from nspawn_tui.host.machined import bus as du


class BusTransport(Protocol):
    """Connects to the bus machined (and systemd's manager) are on.

    A remote implementation runs ``ssh HOST systemd-stdio-bridge`` and speaks
    D-Bus over its stdin/stdout; its description names the host.  Unix fd
    passing may be missing there: the shell attach must not rely on it.
    """

    @property
    def description(self) -> str:
        """Where the bus is, for the header and messages (e.g. a socket path)."""
        ...

    async def connect(self) -> MessageBus:
        """A new connected bus; :class:`~nspawn_tui.host.base.HostUnavailable`
        with a reason when it cannot be reached."""
        ...


class SystemBusTransport:
    """The local system bus, or the bus at ``address`` (``--bus``)."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    @property
    def description(self) -> str:
        return du.describe_address(self.address)

    async def connect(self) -> MessageBus:
        return await du.connect_system_bus(self.address)

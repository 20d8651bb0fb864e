"""Network figures of machined's machines: a sweep for the table, ``network()`` for the detail.

The figures come from this machine's kernel (:class:`~nspawn_tui.net.reader.NetworkReader`,
in a worker thread), so they are read only for a local host (no
:class:`~.logs.CommandPrefix`); a remote one has none yet.  Port forwards
are the ``[Network] Port=`` values of the machine's .nspawn file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from nspawn_tui.host.base import Machine, NoSuchMachine, Sample
from nspawn_tui.host.machined.logs import LOCAL, CommandPrefix
from nspawn_tui.host.network import UNAVAILABLE, NetworkInfo
from nspawn_tui.net.inside import CONTAINER_SIDE, is_loopback
from nspawn_tui.net.reader import NetFigures, NetworkReader
from nspawn_tui.safe import clean

if TYPE_CHECKING:
    from nspawn_tui.host.base import Image

REMOTE_REASON = "network figures are read only for the local host"


class MachinedNetwork:
    """Mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`: ``network()``.

    Needs ``list_machines()``, ``list_images()``, ``_last_machines``,
    ``command_prefix`` and ``watched_network`` from the host.  A machine's
    addresses are machined's (``Machine.addresses``, cached by the host)
    wherever the namespace itself cannot be read.
    """

    command_prefix: CommandPrefix
    watched_network: tuple[str, ...]
    _last_machines: tuple[Machine, ...]
    _net_reader: NetworkReader | None = None

    if TYPE_CHECKING:  # the host's; no stubs at run time (they would shadow other mixins')

        async def list_machines(self) -> list[Machine]: ...

        async def list_images(self) -> list[Image]: ...

    def _network_reader(self) -> NetworkReader | None:
        if self.command_prefix != LOCAL:
            return None
        if self._net_reader is None:
            self._net_reader = NetworkReader()
        return self._net_reader

    def _close_network(self) -> None:
        if self._net_reader is not None:
            self._net_reader.close()
            self._net_reader = None

    async def _network_sweep(self, machines: Sequence[Machine]) -> dict[str, NetFigures]:
        """Mode and rates of every running machine; never raises (a reason instead)."""
        reader = self._network_reader()
        if reader is None or not any(m.running for m in machines):
            return {}
        return await asyncio.to_thread(reader.sweep, machines, self.watched_network)

    @staticmethod
    def _apply_network(samples: dict[str, Sample], figures: dict[str, NetFigures]) -> None:
        """Put the sweep's figures into the machines' samples (left None when unknown)."""
        for name, found in figures.items():
            sample = samples.get(name)
            if sample is None or found.mode == UNAVAILABLE:
                continue
            sample.net_mode = found.mode
            sample.net_rx_bps = found.rx_bps
            sample.net_tx_bps = found.tx_bps

    async def network(self, name: str) -> NetworkInfo:
        machine = await self._network_machine(name)
        forwards = await self._port_forwards(machine)
        reader = self._network_reader()
        if reader is None:
            return NetworkInfo(UNAVAILABLE, port_forwards=forwards, reason=REMOTE_REASON)
        if not machine.running:
            return NetworkInfo(UNAVAILABLE, port_forwards=forwards, reason="not running")
        info = await asyncio.to_thread(reader.details, machine)
        info = with_machined_addresses(info, machine.addresses)
        return replace(info, port_forwards=forwards)

    async def _network_machine(self, name: str) -> Machine:
        for machine in self._last_machines:
            if machine.name == name and machine.running:
                return machine
        for machine in await self.list_machines():
            if machine.name == name:
                return machine
        raise NoSuchMachine(f"no machine or image called {name!r}")

    async def _port_forwards(self, machine: Machine) -> tuple[str, ...]:
        """The ``[Network] Port=`` values of the machine's .nspawn file (none if unreadable)."""
        from nspawn_tui.nspawn import settings as nspawn_file

        image_path = machine.root_directory or None
        if image_path is None:
            for image in await self.list_images():
                if image.name == machine.name:
                    image_path = image.path
        path = nspawn_file.find_settings(machine.name, Path(image_path) if image_path else None)
        if path is None:
            return ()
        try:
            text = await asyncio.to_thread(nspawn_file.read_settings, path)
        except nspawn_file.SettingsError:
            return ()  # unreadable: the settings editor says why; here, no forwards known
        values = nspawn_file.SettingsFile.parse(text).get("Network", "Port")
        return tuple(clean(value) for value in values)


def with_machined_addresses(info: NetworkInfo, addresses: tuple[str, ...]) -> NetworkInfo:
    """machined's addresses of the machine put on its one non-loopback interface,
    when the namespace itself could not say which interface has which."""
    inside = [i for i in info.interfaces if i.side == CONTAINER_SIDE]
    if not addresses or any(i.addresses for i in inside):
        return info
    candidates = [i for i in inside if not is_loopback(i)]
    if len(candidates) != 1:
        return info
    (target,) = candidates
    interfaces = tuple(
        replace(i, addresses=addresses) if i is target else i for i in info.interfaces
    )
    return replace(info, interfaces=interfaces)

"""A machined host reached over SSH: the machined host with its four seams filled remotely.

- transport: :class:`~.transport.SshBusTransport`, D-Bus through ``ssh HOST
  systemd-stdio-bridge``;
- metrics and host figures: :class:`~.metrics.RemoteMetrics` and
  :class:`~.metrics.RemoteStats`, over one long-lived remote ``sh``
  (:class:`~.shell.RemoteShell`) when systemd's accounting lacks a figure;
- journal: ``ssh ... -- HOST 'journalctl' '-M' ...`` (:class:`CommandPrefix`
  with every word quoted; the remote journalctl uses that host's system bus);
- shell and login: :class:`~.attach.SshShellAttach`, ``ssh -t HOST machinectl``.

What the machined host reads from *this* machine's files is refused or
empty here, never read from the wrong machine: processes and their signals
(local /proc and cgroups), image import and export (local files passed as
fds), ``.nspawn`` settings (local /etc/systemd/nspawn) and port forwards
(from those settings).  Network figures are already "unavailable" for any
host with a command prefix (:mod:`nspawn_tui.host.machined.network`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from dbus_next.aio import MessageBus

from nspawn_tui.host.base import EventKind, Host, HostError, HostEvent, Machine, SettingsText
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.host.machined.logs import CommandPrefix
from nspawn_tui.remote.attach import SshShellAttach
from nspawn_tui.remote.metrics import RemoteMetrics, RemoteStats
from nspawn_tui.remote.shell import RemoteShell
from nspawn_tui.remote.target import SshTarget
from nspawn_tui.remote.transport import SshBusTransport

if TYPE_CHECKING:
    from nspawn_tui.host.images import Transfer
    from nspawn_tui.host.processes import ProcessTable

#: The end of the message of everything a remote host does not do (yet).
NOT_REMOTE: Final = "not supported on a remote host yet"


class RemoteMachinedHost(MachinedHost):
    """:class:`MachinedHost` over ssh; :meth:`close` also ends its ssh processes."""

    def __init__(self, target: SshTarget, *, read_only: bool = False) -> None:
        self.target = target
        self.ssh_transport = SshBusTransport(target)
        self.remote_shell = RemoteShell(target.ssh_argv(["sh"]))
        self.attach = SshShellAttach(target)
        super().__init__(
            None,
            read_only=read_only,
            transport=self.ssh_transport,
            metrics=RemoteMetrics(self.remote_shell),
            command_prefix=CommandPrefix(*target.ssh_argv([]), quote_words=True),
            shell=self.attach,
            stats=RemoteStats(self.remote_shell),
            label=target.name,
        )

    async def close(self) -> None:
        await super().close()
        await self.ssh_transport.close()
        await self.remote_shell.close()
        await self.attach.close()

    async def _watch_disconnect(self, bus: MessageBus) -> None:
        """As the machined host's, with ssh's words for why (and an error end not lost)."""
        lost = asyncio.ensure_future(bus.wait_for_disconnect())
        try:
            await asyncio.wait({lost})
        finally:
            if not lost.done():
                lost.cancel()
        error = None if lost.cancelled() else lost.exception()
        reason = await self.ssh_transport.loss_reason(bus)
        if self._bus is bus:
            self._bus = None
            why = reason or (str(error) if error is not None else "closed")
            self.hub.publish(
                HostEvent(
                    EventKind.DISCONNECTED,
                    message=f"the connection to {self.target.name} was lost: {why}",
                )
            )

    # --------------------------------------- what would read this machine instead

    def _refuse(self, what: str) -> HostError:
        return HostError(f"{what} on {self.target.name}: {NOT_REMOTE}")

    async def processes(self, name: str) -> ProcessTable:
        raise self._refuse(f"processes of {name}")

    async def _do_signal_process(self, name: str, pid: int, signal: int) -> None:
        raise self._refuse(f"signals to processes of {name}")

    async def _do_import_image(
        self, path: str, name: str, kind: str, read_only: bool, force: bool
    ) -> Transfer:
        raise self._refuse(f"importing {path} as {name}")

    async def _do_export_image(self, name: str, path: str, kind: str) -> Transfer:
        raise self._refuse(f"exporting {name} to {path}")

    async def read_settings(self, name: str) -> SettingsText:
        raise self._refuse(f".nspawn settings of {name}")

    def _create_refusal(self) -> str:
        # it would bootstrap and write that host's files through a local path
        return str(self._refuse("creating containers"))

    async def _do_write_settings(self, name: str, text: str) -> str:
        raise self._refuse(f".nspawn settings of {name}")

    async def _port_forwards(self, machine: Machine) -> tuple[str, ...]:
        return ()  # they live in that host's .nspawn files, not readable from here yet


def remote_host(target: SshTarget, *, read_only: bool = False) -> Host:
    """The host at ``target`` (nothing runs until it connects)."""
    return RemoteMachinedHost(target, read_only=read_only)

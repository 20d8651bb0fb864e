"""The real host: systemd-machined (and systemd's manager when present) over D-Bus.

Machine state has no change signal in machined, so it is polled; machines
appearing and vanishing arrive as MachineNew/MachineRemoved signals and wake
the UI at once.  The bus, the figures, the journal command lines and the shell
attach each come through a seam (:mod:`.transport`, :mod:`.metrics`,
:class:`~.logs.CommandPrefix`, :mod:`.attach`) that a remote host reuses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any, Final

from dbus_next import Message, MessageType
from dbus_next.aio import MessageBus

from nspawn_tui import cgroups
from nspawn_tui.host.base import (
    EventKind,
    Host,
    HostError,
    HostEvent,
    HostUnavailable,
    Image,
    Machine,
    MachineDetails,
    NoSuchMachine,
    Snapshot,
)
from nspawn_tui.host.machined import bus as du
from nspawn_tui.host.machined.actions import MachinedActions
from nspawn_tui.host.machined.attach import MachinedShellAttach, ShellAttach
from nspawn_tui.host.machined.create import MachinedCreate
from nspawn_tui.host.machined.images import MachinedImages
from nspawn_tui.host.machined.logs import LOCAL, CommandPrefix, MachinedLogs
from nspawn_tui.host.machined.metrics import CgroupMetrics, MetricsSource
from nspawn_tui.host.machined.network import MachinedNetwork
from nspawn_tui.host.machined.processes import MachinedProcesses
from nspawn_tui.host.machined.stats import HostStatsSource, LocalStats
from nspawn_tui.host.machined.transport import BusTransport, SystemBusTransport
from nspawn_tui.safe import clean
from nspawn_tui.units.names import unit_of

IMAGES_TTL: Final = 5.0  # seconds between ListImages calls
ADDRESSES_TTL: Final = 10.0  # seconds between GetMachineAddresses calls per machine


@dataclass
class _Known:
    """What we cache about one running machine (valid while its leader stays)."""

    leader: int | None
    os_release: dict[str, str] | None = None
    addresses: tuple[str, ...] = ()
    addresses_at: float = float("-inf")


def format_address(family: int, raw: bytes | list[int]) -> str:
    data = bytes(raw)
    if family == socket.AF_INET and len(data) == 4:
        return str(ipaddress.IPv4Address(data))
    if family == socket.AF_INET6 and len(data) == 16:
        return str(ipaddress.IPv6Address(data))
    return data.hex()


def _address_sort_key(address: str) -> tuple[int, str]:
    # IPv4 first, then global IPv6, link-local last: the first is shown in the table.
    if ":" not in address:
        return (0, address)
    return (2 if address.startswith("fe80") else 1, address)


class MachinedHost(
    MachinedCreate,
    MachinedNetwork,
    MachinedProcesses,
    MachinedImages,
    MachinedActions,
    MachinedLogs,
    Host,
):
    """Host backed by org.freedesktop.machine1 on the system bus (or ``bus_address``).

    ``bus_address`` is also given to local ``journalctl -M`` (which asks
    machined).  The seams default to this machine: ``transport`` the bus at
    ``bus_address``, ``metrics`` its cgroup files (``layout``: found if None),
    ``command_prefix`` none, ``shell`` machined's PTYs over the bus, ``stats``
    this machine's CPU and memory (psutil).  ``label`` names the host in a fleet.
    """

    def __init__(
        self,
        bus_address: str | None = None,
        *,
        read_only: bool = False,
        layout: cgroups.CgroupLayout | None = None,
        transport: BusTransport | None = None,
        metrics: MetricsSource | None = None,
        command_prefix: CommandPrefix = LOCAL,
        shell: ShellAttach | None = None,
        stats: HostStatsSource | None = None,
        label: str = "local",
    ) -> None:
        super().__init__(read_only=read_only)
        self.bus_address = bus_address
        self.label = label
        self._transport = transport or SystemBusTransport(bus_address)
        self.description = f"machined on {self._transport.description}"
        self._bus: MessageBus | None = None
        self._has_systemd = False
        self._metrics = metrics or CgroupMetrics(layout)
        self.command_prefix = command_prefix
        self._shell = shell or MachinedShellAttach(self._connected_bus)
        self._known: dict[str, _Known] = {}
        self._images: list[Image] = []
        self._images_at = float("-inf")
        self._image_os_cache: dict[tuple[str, float | None], str] = {}
        self._last_machines: tuple[Machine, ...] = ()
        self._stats: HostStatsSource = stats or LocalStats()
        self._watch: asyncio.Task[None] | None = None
        self._init_actions()
        self._log_dirs: dict[str, str | None] = {}
        self._image_paths: dict[tuple[str, int], str] = {}

    # ------------------------------------------------------------ connection

    async def connect(self) -> None:
        bus = await self._transport.connect()
        try:
            if not await du.name_has_owner(bus, du.MACHINE1):
                # Activatable on a real host: a first call starts it.
                await du.call(
                    bus, du.MACHINE1, du.MACHINE1_PATH, du.MACHINE1_MANAGER, "ListMachines"
                )
            self._has_systemd = await du.name_has_owner(bus, du.SYSTEMD1)
            bus.add_message_handler(self._on_message)
            for rule in (
                f"type='signal',sender='{du.MACHINE1}',interface='{du.MACHINE1_MANAGER}'",
                f"type='signal',sender='{du.DBUS}',member='NameOwnerChanged',arg0='{du.MACHINE1}'",
            ):
                await du.call(bus, du.DBUS, du.DBUS_PATH, du.DBUS, "AddMatch", "s", [rule])
        except HostError as exc:
            bus.disconnect()
            raise HostUnavailable(
                f"systemd-machined is not reachable on {self._transport.description} ({exc})"
            ) from None
        self._bus = bus
        self._watch = asyncio.get_running_loop().create_task(self._watch_disconnect(bus))
        self.hub.publish(HostEvent(EventKind.CONNECTED, message=self.description))

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
        self._metrics.close()
        self._close_network()

    async def _watch_disconnect(self, bus: MessageBus) -> None:
        # dbus-next ends the wait with the error that broke the connection (an
        # end of file, a reset): that is a disconnection too, said with its reason.
        lost = asyncio.ensure_future(bus.wait_for_disconnect())
        try:
            await asyncio.wait({lost})
        finally:
            if not lost.done():
                lost.cancel()  # the host is closing (this watch was cancelled)
        error = lost.exception()
        if self._bus is bus:
            self._bus = None
            why = f" ({error})" if error is not None else ""
            self.hub.publish(
                HostEvent(
                    EventKind.DISCONNECTED,
                    message=f"the connection to the system bus was lost{why}",
                )
            )

    def _on_message(self, msg: Message) -> None:
        if msg.message_type != MessageType.SIGNAL:
            return
        if msg.member == "MachineNew" and msg.body:
            self.hub.publish(HostEvent(EventKind.MACHINE_NEW, name=str(msg.body[0])))
        elif msg.member == "MachineRemoved" and msg.body:
            self.hub.publish(HostEvent(EventKind.MACHINE_REMOVED, name=str(msg.body[0])))
        elif msg.member == "NameOwnerChanged" and len(msg.body) == 3:
            if msg.body[2]:
                self.hub.publish(HostEvent(EventKind.CONNECTED, message="systemd-machined is back"))
            else:
                self.hub.publish(
                    HostEvent(EventKind.DISCONNECTED, message="systemd-machined went away")
                )

    async def _connected_bus(self) -> MessageBus:
        if self._bus is None or not self._bus.connected:
            self._bus = None
            await self.connect()
        assert self._bus is not None
        return self._bus

    async def _call(
        self,
        member: str,
        signature: str = "",
        body: list[Any] | None = None,
        *,
        what: str | None = None,
    ) -> list[Any]:
        bus = await self._connected_bus()
        return await du.call(
            bus, du.MACHINE1, du.MACHINE1_PATH, du.MACHINE1_MANAGER, member, signature, body,
            what=what,
        )  # fmt: skip

    # ------------------------------------------------------------- listings

    async def list_images(self) -> list[Image]:
        now = time.monotonic()
        if now - self._images_at < IMAGES_TTL:
            return list(self._images)
        (rows,) = await self._call("ListImages")
        images = []
        for name, kind, read_only, crtime, mtime, usage, object_path in rows:
            if name.startswith("."):
                continue
            images.append(
                Image(
                    name=name,
                    image_type=kind,
                    read_only=bool(read_only),
                    path=await self._image_path(name, str(object_path), mtime),
                    created=crtime / 1e6 if crtime else None,
                    modified=mtime / 1e6 if mtime else None,
                    usage_bytes=usage if usage and usage < 2**63 else None,
                )
            )
        self._images = sorted(images, key=lambda image: image.name)
        self._images_at = now
        return list(self._images)

    async def _image_path(self, name: str, object_path: str, mtime: int) -> str:
        """The image's file system path (ListImages gives only its D-Bus object)."""
        key = (name, mtime)
        if key not in self._image_paths:
            bus = await self._connected_bus()
            try:
                value = await du.get_property(
                    bus, du.MACHINE1, object_path, "org.freedesktop.machine1.Image", "Path"
                )
            except HostUnavailable:
                raise
            except HostError:
                value = f"/var/lib/machines/{name}"  # the usual place; shown as a guess
            self._image_paths[key] = str(value)
        return self._image_paths[key]

    async def _machine_props(self, path: str) -> dict[str, Any]:
        bus = await self._connected_bus()
        return await du.get_all(bus, du.MACHINE1, path, du.MACHINE1_MACHINE)

    async def _running(self) -> list[Machine]:
        (rows,) = await self._call("ListMachines")
        wanted = [(name, path) for name, _cls, _service, path in rows if name != ".host"]
        results = await asyncio.gather(
            *(self._machine_props(path) for _name, path in wanted), return_exceptions=True
        )
        machines: list[Machine] = []
        for (name, _path), props in zip(wanted, results, strict=True):
            if isinstance(props, NoSuchMachine):
                continue  # vanished between ListMachines and GetAll
            if isinstance(props, BaseException):
                raise props
            try:
                machines.append(await self._machine_from_props(name, props))
            except NoSuchMachine:
                continue  # vanished while its OS or addresses were asked for
        return machines

    async def _machine_from_props(self, name: str, props: dict[str, Any]) -> Machine:
        leader = int(props.get("Leader") or 0) or None
        known = self._known.get(name)
        if known is None or known.leader != leader:
            self._metrics.forget(name)
            known = _Known(leader=leader)
            self._known[name] = known
        if known.os_release is None:
            known.os_release = await self._os_release(name)
        now = time.monotonic()
        if now - known.addresses_at >= ADDRESSES_TTL:
            known.addresses = await self._addresses(name)
            known.addresses_at = now
        timestamp = int(props.get("Timestamp") or 0)
        return Machine(
            name=name,
            machine_class=str(props.get("Class", "")),
            state=str(props.get("State", "")),
            service=str(props.get("Service", "")),
            leader=leader,
            root_directory=str(props.get("RootDirectory", "")),
            unit=str(props.get("Unit", "")),
            os=known.os_release.get("PRETTY_NAME", known.os_release.get("NAME", "")),
            addresses=known.addresses,
            started_at=timestamp / 1e6 if timestamp else None,
        )

    async def _os_release(self, name: str) -> dict[str, str]:
        try:
            (release,) = await self._call("GetMachineOSRelease", "s", [name])
        except NoSuchMachine:
            raise
        except HostUnavailable:
            raise
        except HostError:
            return {}  # e.g. a VM without an agent: OS unknown, shown as such
        # the container's own file: every key and value is outside text
        return {clean(str(k)): clean(str(v)) for k, v in release.items()}

    async def _addresses(self, name: str) -> tuple[str, ...]:
        try:
            (rows,) = await self._call("GetMachineAddresses", "s", [name])
        except HostUnavailable:
            raise
        except HostError:
            return ()  # no private network namespace: no addresses of its own
        found = [format_address(family, raw) for family, raw in rows]
        return tuple(sorted(found, key=_address_sort_key))

    async def _image_os(self, image: Image) -> str:
        key = (image.name, image.modified)
        if key not in self._image_os_cache:
            try:
                (release,) = await self._call("GetImageOSRelease", "s", [image.name])
                pretty = clean(str(release.get("PRETTY_NAME", release.get("NAME", ""))))
            except HostUnavailable:
                raise
            except HostError:
                pretty = ""
            self._image_os_cache[key] = pretty
        return self._image_os_cache[key]

    async def list_machines(self) -> list[Machine]:
        running = await self._running()
        names = {m.name for m in running}
        if set(self._known) - names:
            # A machine stopped: re-list images now, or its row would vanish
            # until IMAGES_TTL expires and then come back as a stopped image.
            self._images_at = float("-inf")
        for gone in set(self._known) - names:
            del self._known[gone]
            self._metrics.forget(gone)
        stopped = [
            Machine(
                name=image.name,
                machine_class="container",
                state="stopped",
                root_directory=image.path,
                os=await self._image_os(image),
                image_type=image.image_type,
                read_only=image.read_only,
            )
            for image in await self.list_images()
            if image.name not in names
        ]
        return sorted(running + stopped, key=lambda m: m.name)

    # ------------------------------------------------------------- metrics

    async def _systemd_if_any(self) -> MessageBus | None:
        """The bus when systemd's manager is on it (unit properties), else None."""
        bus = await self._connected_bus()
        return bus if self._has_systemd else None

    async def snapshot(self) -> Snapshot:
        try:
            machines = await self.list_machines()
            samples, network = await asyncio.gather(
                self._metrics.sample(machines, await self._systemd_if_any()),
                self._network_sweep(machines),
            )
            self._apply_network(samples, network)
        except HostUnavailable as exc:
            if self._bus is not None and self._bus.connected:
                self._bus.disconnect()
            self._bus = None
            return Snapshot(
                machines=self._last_machines,
                samples={},
                stats=await self._stats.read(),
                connected=False,
                error=f"{exc}; reconnecting…",
            )
        self._last_machines = tuple(machines)
        return Snapshot(machines=tuple(machines), samples=samples, stats=await self._stats.read())

    def _limits_changed(self, name: str) -> None:
        """Limits of ``name`` were set: read them again at the next poll."""
        self._metrics.refresh_limits(name)

    async def machine_details(self, name: str) -> MachineDetails:
        machines = {m.name: m for m in await self.list_machines()}
        machine = machines.get(name)
        if machine is None:
            raise NoSuchMachine(f"no machine or image called {name!r}")
        images = {image.name: image for image in await self.list_images()}
        release: dict[str, str] = {}
        cgroup: str | None = None
        if machine.running:
            known = self._known.get(name)
            release = dict(known.os_release or {}) if known else {}
            cgroup = await self._metrics.cgroup(machine, await self._systemd_if_any())
        enabled = await self._unit_file_state(name)
        return MachineDetails(
            machine=machine,
            os_release=release,
            cgroup=cgroup,
            image=images.get(name),
            enabled=enabled,
            unavailable=self._metrics.reason(name) if machine.running else None,
        )

    async def _unit_file_state(self, name: str) -> str | None:
        if not self._has_systemd:
            return None
        bus = await self._connected_bus()
        try:
            (state,) = await du.call(
                bus,
                du.SYSTEMD1,
                du.SYSTEMD1_PATH,
                du.SYSTEMD1_MANAGER,
                "GetUnitFileState",
                "s",
                [unit_of(name)],
            )
        except HostUnavailable:
            raise
        except HostError:
            return None
        return str(state)

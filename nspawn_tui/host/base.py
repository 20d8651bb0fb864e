"""The Host interface: everything the UI may ask of a container host.

This module (and everything under ``nspawn_tui.host``) never imports Textual.
The UI talks to exactly one :class:`Host`; the real implementation is
:mod:`nspawn_tui.host.machined.host`, the simulated one :mod:`nspawn_tui.host.demo.host`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, ParamSpec, TypeVar

from nspawn_tui.host.events import EventHub as EventHub
from nspawn_tui.host.events import EventKind as EventKind
from nspawn_tui.host.events import HostEvent as HostEvent
from nspawn_tui.host.mutating import mutating as mutating
from nspawn_tui.host.mutating import mutating_methods as mutating_methods
from nspawn_tui.safe import clean_lines

if TYPE_CHECKING:
    from nspawn_tui.create.model import CreatePlan, CreateSupport, Creation
    from nspawn_tui.host.images import Transfer
    from nspawn_tui.host.network import NetworkInfo
    from nspawn_tui.host.processes import ProcessTable
    from nspawn_tui.journal.records import LogEvent, LogOptions, LogRecord

P = ParamSpec("P")
R = TypeVar("R")

#: systemd's and the kernel's "no limit", normalised: any limit at or above
#: this value is shown as "infinity".
UNLIMITED: Final = 2**64 - 1

#: States of a row. machined reports "opening", "running", "closing"; an
#: image without a running machine is "stopped".
RUNNING_STATES: Final = frozenset({"opening", "running", "closing"})


class HostError(Exception):
    """An expected failure, with a message fit to show a person.

    Its text often quotes what a container controls (a D-Bus error about a
    machine, a unit's name): ``str()`` gives it cleaned (:func:`clean_lines`).
    """

    def __str__(self) -> str:
        return clean_lines(super().__str__())


class HostUnavailable(HostError):
    """The bus or machined cannot be reached."""


class NoSuchMachine(HostError):
    """The named machine (or image) does not exist (any more)."""


class ReadOnlyError(HostError):
    """A mutating action was asked of a host opened with --read-only."""


@dataclass(frozen=True, slots=True)
class Machine:
    """One row of the machine list: a registered machine or a stopped image."""

    name: str
    machine_class: str = "container"  # "container", "vm"
    state: str = "running"  # "opening", "running", "closing", "stopped"
    service: str = ""
    leader: int | None = None
    root_directory: str = ""
    unit: str = ""
    os: str = ""  # PRETTY_NAME, "" when unknown
    addresses: tuple[str, ...] = ()
    started_at: float | None = None  # seconds since the epoch (wall clock)
    image_type: str | None = None  # "directory", "subvolume", "raw", ... (images)
    read_only: bool = False
    #: The label of its host in a fleet (``name`` is then ``HOST/NAME``); "" for one host.
    host: str = ""

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


@dataclass(frozen=True, slots=True)
class Image:
    name: str
    image_type: str
    read_only: bool
    path: str
    created: float | None = None  # seconds since the epoch
    modified: float | None = None
    usage_bytes: int | None = None
    limit_bytes: int | None = None  # quota (machinectl set-limit); None unknown or none


@dataclass(frozen=True, slots=True)
class MachineDetails:
    machine: Machine
    os_release: dict[str, str] = field(default_factory=dict)
    cgroup: str | None = None  # path relative to the cgroup root, e.g. /machine.slice/...
    image: Image | None = None
    enabled: str | None = None  # unit file state: "enabled", "disabled", ...; None unknown
    unavailable: str | None = None  # why some of its figures are n/a; None: all have a source


@dataclass(slots=True)
class Sample:
    """Resource figures of one machine at one moment.

    ``None`` means *unavailable* (missing file or controller), never zero.
    Limits equal to :data:`UNLIMITED` mean "no limit".

    Read-only by convention, not frozen: a sweep builds one per container, and
    a frozen dataclass's ``__init__`` (``object.__setattr__`` per field) costs
    1.9 us against 0.24 us here, a tenth of the sweep's budget at 1,000
    containers.  Only the host that builds it assigns to it, before the
    snapshot is returned (the network figures, swept alongside the cgroups);
    nothing changes a Sample after that.
    """

    timestamp: float  # time.monotonic() of the reading
    cpu_usage_usec: int | None = None
    cpu_percent: float | None = None  # % of one core over the last interval
    memory_current: int | None = None
    memory_max: int | None = None
    memory_high: int | None = None
    memory_peak: int | None = None
    oom_kills: int | None = None
    tasks_current: int | None = None
    tasks_max: int | None = None
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    io_read_bps: float | None = None
    io_write_bps: float | None = None
    # Network, from the container's point of view (see nspawn_tui.host.network).
    net_mode: str | None = None  # "host", "veth", "private", None unknown
    net_rx_bps: float | None = None
    net_tx_bps: float | None = None


@dataclass(frozen=True, slots=True)
class HostStats:
    hostname: str
    cpu_count: int
    cpu_percent: float | None  # whole host, 0..100
    memory_total: int | None
    memory_used: int | None


@dataclass(frozen=True, slots=True)
class HostStatus:
    """One host of a fleet at one poll: its connection, figures and last round trip."""

    label: str  # unique in the fleet; the HOST of its machines' ``HOST/NAME``
    description: str  # "machined on ssh root@web1", ...
    connected: bool
    error: str | None = None  # why it is down or slow, in words (ssh's own message)
    stats: HostStats | None = None  # None until its first answer
    latency_s: float | None = None  # how long its last refresh took
    group: str = ""  # from the hosts file
    stale: bool = False  # its last refresh did not answer in time: figures are older


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one poll of the host returns."""

    machines: tuple[Machine, ...]  # running machines and stopped images, by name
    samples: dict[str, Sample]  # by machine name; absent when not running
    stats: HostStats
    connected: bool = True
    error: str | None = None  # a problem worth showing (e.g. "machined went away")
    #: A fleet's hosts, in order (empty for one host: ``stats`` is all there is).
    hosts: tuple[HostStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class SettingsText:
    """A machine's .nspawn settings file as text (``exists`` False: not written yet)."""

    path: str
    text: str
    exists: bool


class Host(ABC):
    """The one interface the UI uses for a host."""

    #: Shown in the header: "demo host", "machined on unix:path=..."
    description: str = ""
    #: Its name in a fleet and in ``list --json``'s ``host``: "local", or the SSH target's name.
    label: str = "local"
    group: str = ""  # a fleet's group of this host (the hosts file's "group")

    def __init__(self, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.hub = EventHub()
        #: Set by :meth:`watch_network`.
        self.watched_network: tuple[str, ...] = ()

    @abstractmethod
    async def connect(self) -> None:
        """Connect; raise :class:`HostUnavailable` with a one-line reason."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def list_machines(self) -> list[Machine]:
        """Running machines (not machined's ``.host``) and stopped images."""

    @abstractmethod
    async def list_images(self) -> list[Image]: ...

    @abstractmethod
    async def machine_details(self, name: str) -> MachineDetails: ...

    @abstractmethod
    async def snapshot(self) -> Snapshot:
        """One poll: the machine list, metrics of the running ones, host figures.

        Never raises for a lost connection: returns ``connected=False`` with
        the reason in ``error`` and reconnects on a later call.
        """

    def now(self) -> float:
        """Wall-clock time of the host in seconds (the demo host simulates it)."""
        return time.time()

    def events(self) -> AsyncIterator[HostEvent]:
        """Machines appearing and vanishing, the connection coming and going."""
        return self.hub.subscribe()

    def follow_logs(self, names: Sequence[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        """The journals of ``names`` merged: record batches and per-machine status events.

        Running machines are followed (``options.follow``); stopped ones are read
        from the journal files inside their image.  A machine that starts later
        joins; one that stops is marked.
        """
        raise HostError(f"journals are not supported by {self.description}")

    async def log_record(self, record: LogRecord) -> dict[str, str]:
        """Every field of one journal record (the view asks only for a few).

        Raises :class:`HostError` (and nothing else) when they cannot be read.
        """
        return record.fields()

    def watch_network(self, names: Sequence[str]) -> None:
        """The machines whose network figures are on screen (a hint; default: ignored).

        Reading inside a container's namespace costs more than the host-side
        link dump, so implementations do it only for these.
        """
        self.watched_network = tuple(names)

    async def network(self, name: str) -> NetworkInfo:
        """The machine's interfaces, counters and rates (the detail panel)."""
        raise HostError(f"network figures are not supported by {self.description}")

    async def processes(self, name: str) -> ProcessTable:
        """Every process of the machine, by control group, with CPU % since the last call."""
        raise HostError(f"process lists are not supported by {self.description}")

    async def image(self, name: str) -> Image:
        """One image with its usage and limit (raises :class:`NoSuchMachine`)."""
        for image in await self.list_images():
            if image.name == name:
                return image
        raise NoSuchMachine(f"no image called {name}")

    def _check_writable(self, action: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"{action} refused: nspawn-tui runs with --read-only")

    def refusal(self, method: str) -> ReadOnlyError | None:
        """The error that calling the Host method named ``method`` raises at once, or None.

        Lets the UI refuse a mutating key before asking anything (a
        confirmation, an editor): the same check and message as the call
        itself, from the same :func:`mutating` marks.
        """
        action = mutating_methods(type(self)).get(method)
        if action is None or not self.read_only:
            return None
        try:
            self._check_writable(action)
        except ReadOnlyError as refused:
            return refused
        return None

    # ----------------------------------------------------------------- actions
    # Public mutating methods are defined once, here, so the read-only check
    # cannot be skipped by an implementation; implementations override the
    # ``_do_*`` methods.

    @mutating("boot")
    async def start(self, name: str) -> None:
        """Start ``systemd-nspawn@NAME.service`` (``machinectl start NAME``)."""
        await self._do_start(name)

    @mutating("power off")
    async def poweroff(self, name: str) -> None:
        """SIGRTMIN+4 to the leader: a clean shutdown (``machinectl poweroff``)."""
        await self._do_poweroff(name)

    @mutating("reboot")
    async def reboot(self, name: str) -> None:
        """SIGINT to the leader (``machinectl reboot``)."""
        await self._do_reboot(name)

    @mutating("terminate")
    async def terminate(self, name: str) -> None:
        """machined TerminateMachine (``machinectl terminate``)."""
        await self._do_terminate(name)

    @mutating("kill")
    async def kill(self, name: str, signal: int, who: str = "leader") -> None:
        """Send ``signal`` to the leader or to ``all`` processes (``machinectl kill``)."""
        await self._do_kill(name, signal, who)

    @mutating("enable")
    async def enable(self, name: str) -> None:
        """Start the container at host boot (``machinectl enable``)."""
        await self._do_enable(name, True)

    @mutating("disable")
    async def disable(self, name: str) -> None:
        """Do not start the container at host boot (``machinectl disable``)."""
        await self._do_enable(name, False)

    @mutating("shell")
    async def open_shell(self, name: str, user: str = "root", command: Sequence[str] = ()) -> int:
        """A PTY master file descriptor running a shell in the machine (caller closes it)."""
        return await self._do_open_shell(name, user, command)

    @mutating("login")
    async def open_login(self, name: str) -> int:
        """A PTY master file descriptor with a login prompt of the machine."""
        return await self._do_open_login(name)

    @mutating("set resource limits")
    async def set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        """Set unit properties in systemd's syntax, e.g. {"MemoryMax": "300M"}."""
        await self._do_set_limits(name, values, runtime)

    @mutating("edit settings")
    async def write_settings(self, name: str, text: str) -> str:
        """Validate and atomically write the .nspawn file; returns a message for the user."""
        return await self._do_write_settings(name, text)

    @mutating("send a signal to a process")
    async def signal_process(self, name: str, pid: int, signal: int) -> None:
        """Send ``signal`` to one process of the machine (``pid`` as seen on the host).

        Refused when ``pid`` is not (or no longer) in the machine's cgroup.
        """
        await self._do_signal_process(name, pid, signal)

    @mutating("clone an image")
    async def clone_image(self, name: str, new_name: str, read_only: bool = False) -> None:
        """machined CloneImage (``machinectl clone NAME NEW``)."""
        await self._do_clone_image(name, new_name, read_only)

    @mutating("rename an image")
    async def rename_image(self, name: str, new_name: str) -> None:
        """machined RenameImage (``machinectl rename NAME NEW``)."""
        await self._do_rename_image(name, new_name)

    @mutating("remove an image")
    async def remove_image(self, name: str) -> None:
        """machined RemoveImage (``machinectl remove NAME``)."""
        await self._do_remove_image(name)

    @mutating("mark an image read-only or writable")
    async def set_image_read_only(self, name: str, read_only: bool) -> None:
        """machined MarkImageReadOnly (``machinectl read-only NAME [false]``)."""
        await self._do_set_image_read_only(name, read_only)

    @mutating("set an image's size limit")
    async def set_image_limit(self, name: str, limit: int) -> None:
        """machined SetImageLimit in bytes (``machinectl set-limit NAME SIZE``)."""
        await self._do_set_image_limit(name, limit)

    @mutating("import an image")
    async def import_image(
        self, path: str, name: str, kind: str, *, read_only: bool = False, force: bool = False
    ) -> Transfer:
        """Start importing the local file (or directory) ``path`` as image ``name``.

        ``kind`` is one of :data:`nspawn_tui.host.images.IMPORT_KINDS`.
        """
        return await self._do_import_image(path, name, kind, read_only, force)

    @mutating("export an image")
    async def export_image(self, name: str, path: str, kind: str) -> Transfer:
        """Start exporting image ``name`` to the new local file ``path`` (never replaced)."""
        return await self._do_export_image(name, path, kind)

    async def create_support(self) -> CreateSupport:
        """What creating a container can use here (bootstrappers, mirror, taken names)."""
        from nspawn_tui.create.model import CreateSupport

        return CreateSupport(
            (), refusal=f"creating containers is not supported by {self.description}"
        )

    @mutating("create a container")
    async def create_container(self, plan: CreatePlan) -> Creation:
        """Start creating a container as ``plan`` says (checked again here before anything runs)."""
        return await self._do_create_container(plan)

    async def unit_limits(self, name: str) -> dict[str, str]:
        """Current resource limits of the machine's unit, in systemd's syntax, by field."""
        raise HostError(f"resource limits are not supported by {self.description}")

    async def read_settings(self, name: str) -> SettingsText:
        raise HostError(f".nspawn settings are not supported by {self.description}")

    async def _do_write_settings(self, name: str, text: str) -> str:
        raise HostError(f".nspawn settings are not supported by {self.description}")

    async def _do_start(self, name: str) -> None:
        raise HostError(f"boot is not supported by {self.description}")

    async def _do_poweroff(self, name: str) -> None:
        raise HostError(f"power off is not supported by {self.description}")

    async def _do_reboot(self, name: str) -> None:
        raise HostError(f"reboot is not supported by {self.description}")

    async def _do_terminate(self, name: str) -> None:
        raise HostError(f"terminate is not supported by {self.description}")

    async def _do_kill(self, name: str, signal: int, who: str) -> None:
        raise HostError(f"kill is not supported by {self.description}")

    async def _do_enable(self, name: str, enable: bool) -> None:
        raise HostError(f"enable/disable is not supported by {self.description}")

    async def _do_open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        raise HostError(f"shell is not supported by {self.description}")

    async def _do_open_login(self, name: str) -> int:
        raise HostError(f"login is not supported by {self.description}")

    async def _do_set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        raise HostError(f"resource limits are not supported by {self.description}")

    async def _do_signal_process(self, name: str, pid: int, signal: int) -> None:
        raise HostError(f"signalling a process is not supported by {self.description}")

    async def _do_clone_image(self, name: str, new_name: str, read_only: bool) -> None:
        raise HostError(f"cloning images is not supported by {self.description}")

    async def _do_rename_image(self, name: str, new_name: str) -> None:
        raise HostError(f"renaming images is not supported by {self.description}")

    async def _do_remove_image(self, name: str) -> None:
        raise HostError(f"removing images is not supported by {self.description}")

    async def _do_set_image_read_only(self, name: str, read_only: bool) -> None:
        raise HostError(f"read-only marks are not supported by {self.description}")

    async def _do_set_image_limit(self, name: str, limit: int) -> None:
        raise HostError(f"image size limits are not supported by {self.description}")

    async def _do_import_image(
        self, path: str, name: str, kind: str, read_only: bool, force: bool
    ) -> Transfer:
        raise HostError(f"importing images is not supported by {self.description}")

    async def _do_export_image(self, name: str, path: str, kind: str) -> Transfer:
        raise HostError(f"exporting images is not supported by {self.description}")

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        raise HostError(f"creating containers is not supported by {self.description}")

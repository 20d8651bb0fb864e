"""What a container creation is asked to do, and how far it has got.

The UI (form, progress screen), ``nspawn-tui create`` and every host share
these types. A :class:`CreatePlan` is complete and checked before anything
runs; a :class:`Creation` is the running job, read through :meth:`updates`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Final, Literal

from nspawn_tui.create.repos import ForeignRepos

#: Where machined looks for images; the form's default target directory.
MACHINES_DIR: Final = "/var/lib/machines"

Distro = Literal["debian", "ubuntu", "arch", "fedora", "clone"]
NetworkMode = Literal["host", "veth", "bridge"]
StepState = Literal["pending", "running", "done", "failed", "skipped", "cancelled"]


@dataclass(frozen=True)
class Bind:
    """One bind mount of the .nspawn file (``Bind=`` or ``BindReadOnly=``)."""

    host_path: str
    container_path: str = ""  # "" = the same path inside
    read_only: bool = False


@dataclass(frozen=True)
class PortForward:
    """``Port=`` of the .nspawn file: protocol, host port, container port."""

    host_port: int
    container_port: int
    protocol: Literal["tcp", "udp"] = "tcp"


@dataclass(frozen=True)
class FirstBoot:
    """What ``systemd-firstboot --root=DIR`` sets inside the new tree.

    The root password is held only as a crypt(3) hash (``$6$...``); the clear
    text never reaches a plan, an argv or a log.
    """

    hostname: str = ""
    root_password_hash: str = ""
    root_ssh_key: str = ""  # one public key line for /root/.ssh/authorized_keys
    timezone: str = ""  # e.g. "Europe/Berlin"; "" = leave unset
    locale: str = ""  # e.g. "C.UTF-8"; "" = leave unset
    enable_networkd: bool = False  # systemd-networkd enabled inside (for --network-veth)


@dataclass(frozen=True)
class NspawnSetup:
    """The .nspawn file written for the new machine (through the settings model)."""

    network: NetworkMode = "veth"
    bridge: str = ""  # for network == "bridge"
    ports: tuple[PortForward, ...] = ()
    binds: tuple[Bind, ...] = ()
    private_users: bool = False


@dataclass(frozen=True)
class CreatePlan:
    """Everything a creation does, checked before it starts."""

    name: str
    distro: Distro
    release: str = ""  # "bookworm", "noble", "40"; unused for arch and clone
    mirror: str = ""  # "" = the bootstrapper's default
    packages: tuple[str, ...] = ()  # extra packages, beyond what booting needs
    variant: str = ""  # debootstrap --variant (e.g. "minbase"); "" = default
    directory: str = MACHINES_DIR
    clone_source: str = ""  # image to clone when distro == "clone"
    firstboot: FirstBoot = field(default_factory=FirstBoot)
    nspawn: NspawnSetup = field(default_factory=NspawnSetup)
    enable: bool = False  # machinectl enable NAME
    start: bool = False  # machinectl start NAME
    #: dnf with a mirror: the URL of the key its packages are signed with
    #: ("" = this host's RPM-GPG-KEY-fedora-RELEASE-primary; see create/repos.py)
    signing_key: str = ""

    @property
    def tree(self) -> str:
        return f"{self.directory.rstrip('/')}/{self.name}"


@dataclass(frozen=True)
class Bootstrapper:
    """One way to make a tree, and whether this host has it."""

    distros: tuple[Distro, ...]  # ("debian", "ubuntu") for debootstrap
    tool: str  # "debootstrap", "pacstrap", "dnf"
    package: str  # the Debian package that provides the tool
    available: bool
    path: str = ""  # where the tool was found


@dataclass(frozen=True)
class CreateSupport:
    """What the form offers on this host."""

    bootstrappers: tuple[Bootstrapper, ...]
    default_mirror: str = ""  # from the host's apt sources (Debian family), "" if none
    machines_dir: str = MACHINES_DIR
    existing: frozenset[str] = frozenset()  # machine and image names already taken
    refusal: str = ""  # non-empty: creation is not possible here at all (remote host ...)
    #: this host's repositories and keys for dnf and pacman (Fedora and Arch trees)
    foreign: ForeignRepos = field(default_factory=ForeignRepos)


@dataclass(frozen=True)
class Step:
    """One step of a creation and its shell equivalent (``command``)."""

    key: str  # "bootstrap", "firstboot", "settings", "networkd", "enable", "start", "clone"
    title: str  # "Bootstrap Debian bookworm"
    command: str  # "debootstrap --include=systemd,dbus,systemd-sysv bookworm /var/lib/..."
    state: StepState = "pending"
    detail: str = ""  # why it failed or was skipped (cleaned)


@dataclass(frozen=True)
class CreateProgress:
    """One reading of a running creation."""

    steps: tuple[Step, ...]
    stage: str = ""  # bootstrapper's stage: "Retrieving", "Validating", "Extracting", ...
    done: int = 0  # packages done in this stage
    total: int | None = None  # packages in this stage, if known
    fraction: float | None = None  # 0..1 over the whole bootstrap, None if unknown
    log_tail: tuple[str, ...] = ()  # last lines of the running tool's output (cleaned)
    elapsed: float = 0.0
    finished: bool = False  # every step done
    error: str = ""  # non-empty: the creation failed or was cancelled; nothing left behind

    @property
    def current(self) -> Step | None:
        return next((s for s in self.steps if s.state == "running"), None)


class Creation(ABC):
    """A running creation; iterate :meth:`updates` until a reading is finished or has an error."""

    #: "Debian bookworm as web1 in /var/lib/machines" (cleaned)
    description: str = ""

    @abstractmethod
    def updates(self) -> AsyncIterator[CreateProgress]:
        """Progress readings; the last one has ``finished`` or ``error`` set."""

    @abstractmethod
    async def cancel(self) -> None:
        """End the running tool's process group and remove the half-made tree."""

"""The nested lab: a booted "outer" container that is a real systemd host.

Inside the outer, systemd is PID 1, with its own D-Bus and machined, and
``machinectl start NAME`` starts the real ``systemd-nspawn@NAME.service``.
The project's Python installation and checkout (with its venv) are bound
read-only at the same paths, so the app and pytest can run *inside* the
outer, where PIDs and cgroup paths reported by the outer's machined and
systemd mean what they say.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from .common import MACHINES_DIR, LabError, container_env, run, wait_for
from .flat import FlatLab
from .rootfs import DEFAULT_PACKAGES, ensure_rootfs, install_root
from .sshd import SshAccess, client_files, free_port, prepare_root

INNER_NSPAWN = """[Exec]
PrivateUsers=no

[Network]
VirtualEthernet=no
"""
INNER_TIMEOUT = 90.0
#: seconds between two poweroffs of an inner machine that has not stopped yet
POWEROFF_AGAIN = 5.0
#: Extra packages of the outer's root: shared libraries that the stdlib
#: extension modules of a Python built outside /usr (pyenv, CI toolcache)
#: link against (sqlite3 for pyroute2, ctypes, ssl, ...), and procps.
OUTER_PACKAGES: tuple[str, ...] = (
    "libsqlite3-0",
    "libffi8",
    "libssl3",
    "libbz2-1.0",
    "liblzma5",
    "zlib1g",
    "libncursesw6",
    "libreadline8",
    "libuuid1",
    "libgdbm6",
    "libexpat1",
    "procps",
    "openssh-server",  # a real sshd: the outer as a remote host (labkit.sshd)
)


def project_dir() -> Path:
    """The checkout the ``nspawn_tui`` package is imported from."""
    spec = importlib.util.find_spec("nspawn_tui")
    if spec is None or spec.origin is None:
        raise LabError("nspawn_tui is not importable: install the project into the venv")
    return Path(spec.origin).resolve().parent.parent


def python_binds() -> tuple[list[Path], bool]:
    """Host paths to bind read-only into the outer, and whether the outer
    needs its own python3 (when the interpreter lives in /usr itself)."""
    venv = Path(sys.prefix)
    base = Path(sys.base_prefix)
    binds = [project_dir()]
    needs_python = base == Path("/usr")
    if not needs_python:
        binds.append(base)
    if venv != base and not venv.is_relative_to(binds[0]):
        binds.append(venv)
    return binds, needs_python


class NestedLab:
    """The outer container and the inner containers run by its systemd."""

    def __init__(
        self,
        host: FlatLab,
        outer: str | None = None,
        *,
        boot_inner: Sequence[str] = (),
        stopped_inner: Sequence[str] = (),
        accounting: bool = False,
    ) -> None:
        """``accounting``: make the outer's v1 hierarchies writable and re-execute its
        systemd before the inner machines start, so systemd accounts their memory and
        tasks (LAB.md, "Unit accounting in the nested lab"); CPUUsageNSec stays unset."""
        self.host = host
        self.accounting = accounting
        self.outer = outer or f"{host.prefix}outer"
        self.outer_leader = 0
        self.inner_names: list[str] = []
        self._boot_inner = list(boot_inner)
        self._stopped_inner = list(stopped_inner)
        self.binds, self.needs_python = python_binds()
        self.boot_times: dict[str, float] = {}
        #: The outer's sshd port on 127.0.0.1 (chosen before it boots).
        self.ssh_port = 0

    @property
    def outer_root(self) -> Path:
        """The outer's root directory as seen from the VM."""
        return MACHINES_DIR / self.outer

    @property
    def bus_address_from_vm(self) -> str:
        """The outer's own system bus, reachable from the VM. PIDs and cgroup
        paths it reports are the outer's (its PID namespace, its cgroup root):
        a program on the VM cannot use them directly."""
        return f"unix:path=/proc/{self.outer_leader}/root/run/dbus/system_bus_socket"

    def start(self) -> NestedLab:
        packages = [*DEFAULT_PACKAGES, *OUTER_PACKAGES, *(["python3"] if self.needs_python else [])]
        tarball = ensure_rootfs(packages)
        self.host.add_image(self.outer, tarball)
        self.ssh_port = free_port()
        prepare_root(self.outer_root, self.ssh_port)
        for name in self._boot_inner + self._stopped_inner:
            self.add_inner_image(name)
        binds = [f"--bind-ro={path}" for path in self.binds]
        # on the VM's network (as LAB.md found it): its sshd listens on the VM's loopback
        self.outer_leader = self.host.boot(self.outer, extra_args=binds, veth=False).leader
        self.boot_times[self.outer] = self.host.boot_times[self.outer]
        if self.accounting:
            self.enable_accounting()
        for name in self._boot_inner:
            self.start_inner(name)
        return self

    def enable_accounting(self) -> None:
        """The outer's v1 cgroup hierarchies read-write, then ``systemctl daemon-reexec``."""
        mounts = self._require(["findmnt", "-rn", "-t", "cgroup", "-o", "TARGET"], "findmnt")
        for target in mounts.split():
            if target.rsplit("/", 1)[-1] in ("name=systemd", "systemd"):
                continue
            self._require(["mount", "-o", "remount,rw,bind", target], f"remount {target}")
        self._require(["systemctl", "daemon-reexec"], "systemctl daemon-reexec")
        wait_for(
            lambda: (
                True
                if self.run(["systemctl", "is-system-running"]).stdout.strip()
                in ("running", "degraded")
                else None
            ),
            timeout=60,
            what=f"{self.outer}'s systemd after daemon-reexec",
        )

    def ssh_access(self, where: Path) -> SshAccess:
        """Client files in ``where`` reaching the outer's sshd as root; waits until it answers."""
        access = client_files(self.outer_root, self.ssh_port, where, alias=f"{self.outer}-ssh")
        wait_for(
            lambda: True if run(access.argv("true"), timeout=15).returncode == 0 else None,
            timeout=60,
            what=f"sshd in {self.outer} on 127.0.0.1:{self.ssh_port}",
            interval=0.5,
            details=lambda: (
                run(access.argv("true"), timeout=15).stderr
                + self.run(["systemctl", "status", "--no-pager", "ssh"]).stdout
            ),
        )
        return access

    def close(self) -> None:
        """Power the outer off (its systemd stops the inner containers)."""
        if self.outer in self.host.containers:
            self.host.stop(self.outer)
        self.outer_leader = 0

    # -- running things inside the outer ------------------------------------

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 60,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the outer (all its namespaces, its own bus).

        ``env`` is added to a clean environment (PATH, HOME, LANG, TERM);
        DBUS_SYSTEM_BUS_ADDRESS is never inherited from the VM.
        """
        if not self.outer_leader:
            raise LabError("the outer container is not running")
        prefix = ["nsenter", "-t", str(self.outer_leader), "-a"]
        if cwd is not None:
            prefix += ["env", f"--chdir={cwd}"]
        return run(
            [*prefix, *argv],
            env=container_env(self.host.prefix, env),
            input=input,
            timeout=timeout,
        )

    def python_argv(self, args: Sequence[str]) -> list[str]:
        """argv running the project's venv python (same path inside the outer)."""
        return [str(Path(sys.prefix) / "bin" / "python"), *args]

    def pytest_argv(self, args: Sequence[str]) -> list[str]:
        """argv running pytest with the project's venv inside the outer. The
        checkout is read-only there: no cache provider (pass
        PYTHONDONTWRITEBYTECODE=1 in ``env`` too)."""
        return self.python_argv(["-m", "pytest", "-p", "no:cacheprovider", *args])

    def _require(self, argv: Sequence[str], what: str) -> str:
        result = self.run(argv)
        if result.returncode != 0:
            raise LabError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout

    # -- inner containers ---------------------------------------------------

    def add_inner_image(self, name: str) -> Path:
        """A root at the outer's /var/lib/machines/NAME with an .nspawn file
        (PrivateUsers=no, VirtualEthernet=no: the outer cannot do either)."""
        self.host._check_name(name)
        root = self.outer_root
        started = time.monotonic()
        dest = install_root(root / "var/lib/machines" / name, hostname=name)
        self.host.install_times[name] = time.monotonic() - started
        nspawn_dir = root / "etc/systemd/nspawn"
        nspawn_dir.mkdir(parents=True, exist_ok=True)
        (nspawn_dir / f"{name}.nspawn").write_text(INNER_NSPAWN)
        self.inner_names.append(name)
        return dest

    def inner_state(self, name: str) -> str | None:
        """machined's State of an inner machine inside the outer, None when unknown."""
        result = self.run(["machinectl", "show", name, "--property=State", "--value"])
        return result.stdout.strip() if result.returncode == 0 else None

    def unit_state(self, name: str) -> str:
        result = self.run(
            ["systemctl", "show", "--property=ActiveState", "--value", f"systemd-nspawn@{name}"]
        )
        return result.stdout.strip()

    def start_inner(self, name: str) -> None:
        """``machinectl start NAME`` inside the outer; wait until it runs."""
        started = time.monotonic()
        self._require(["machinectl", "start", name], f"machinectl start {name}")
        wait_for(
            lambda: True if self.inner_state(name) == "running" else None,
            timeout=INNER_TIMEOUT,
            what=f"{name} to run inside {self.outer}",
            details=lambda: (
                self.run(
                    ["journalctl", "-n", "30", "--no-pager", "-u", f"systemd-nspawn@{name}"]
                ).stdout
            ),
        )
        self.boot_times[name] = time.monotonic() - started

    def stop_inner(self, name: str) -> None:
        """``machinectl poweroff NAME``; wait until the outer's machined drops it.

        machined says "running" as soon as nspawn registers the machine; a
        poweroff that arrives before the inner systemd has installed its
        signal handlers is lost (machinectl has the same race), so it is sent
        again every few seconds while waiting.
        """
        self._require(["machinectl", "poweroff", name], f"machinectl poweroff {name}")
        sent = [time.monotonic()]

        def stopped() -> bool | None:
            if self.inner_state(name) is None and self.unit_state(name) in ("inactive", "failed"):
                return True
            if time.monotonic() - sent[0] >= POWEROFF_AGAIN:
                sent[0] = time.monotonic()
                # refused once the machine is gone: the next look says so
                self.run(["machinectl", "poweroff", name])
            return None

        wait_for(stopped, timeout=INNER_TIMEOUT, what=f"{name} to stop inside {self.outer}")

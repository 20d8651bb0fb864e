"""The flat lab: a private system bus, real systemd-machined, real booted
``systemd-nspawn -b`` containers registered with it, all on the VM itself."""

from __future__ import annotations

import atexit
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from . import cgroups
from .busctl import Busctl
from .cleanup import SessionLock, state_dir, sweep
from .common import (
    DEFAULT_PREFIX,
    MACHINED,
    MACHINES_DIR,
    LabError,
    LabUnavailable,
    container_env,
    run,
    tag_env,
    tail,
    unavailable_reason,
    wait_for,
)
from .rootfs import install_root

LAUNCHER = Path(__file__).with_name("launcher.py")
NAME_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")
BOOT_TIMEOUT = 90.0
STOP_TIMEOUT = 30.0
BURNER_CGROUP = "lab-burner"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


@dataclass(frozen=True, slots=True)
class LabContainer:
    name: str
    leader: int  # PID of the container's systemd, in the VM's PID namespace
    nspawn_pid: int
    root: Path
    cgroup_rel: str  # e.g. /machine.slice/systemd-nspawn@NAME.service


class FlatLab:
    """Bus, machined and containers of one lab session (see README.md)."""

    def __init__(self, prefix: str = DEFAULT_PREFIX, *, veth: bool = True) -> None:
        self.prefix = prefix
        self.state_dir = state_dir(prefix)
        self.socket = self.state_dir / "system_bus_socket"
        self.bus_address = f"unix:path={self.socket}"
        self.busctl = Busctl(self.bus_address)
        self.veth = veth
        self.containers: dict[str, LabContainer] = {}
        self.boot_times: dict[str, float] = {}  # nspawn start until systemd is up
        self.install_times: dict[str, float] = {}  # extracting the root tarball
        self._nspawn: dict[str, subprocess.Popen[bytes]] = {}
        self._burners: set[subprocess.Popen[bytes]] = set()
        self._dbus: subprocess.Popen[bytes] | None = None
        self._machined: subprocess.Popen[bytes] | None = None
        self._lock = SessionLock(prefix)
        self._open = False
        self._old_handlers: dict[int, Any] = {}

    # -- environment -------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        """os.environ plus DBUS_SYSTEM_BUS_ADDRESS of the private bus."""
        return {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": self.bus_address}

    def _spawn(
        self, argv: Sequence[str], log_name: str, cgroup_procs: Sequence[Path] = ()
    ) -> subprocess.Popen[bytes]:
        """Start a tagged daemon in its own session (a terminal's ^C does not
        reach it; the session's teardown stops it), logging to the state dir."""
        command = list(argv)
        if cgroup_procs:
            command = [sys.executable, "-I", "-S", str(LAUNCHER)]
            command += [str(p) for p in cgroup_procs] + ["--", *argv]
        with open(self.state_dir / log_name, "ab") as log:
            return subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=tag_env(self.prefix, self.env),
                start_new_session=True,
            )

    def _check_name(self, name: str) -> None:
        if not name.startswith(self.prefix) or not NAME_RE.fullmatch(name):
            raise LabError(f"lab machine names must start with {self.prefix!r}: {name!r}")

    # -- session -------------------------------------------------------------

    def start(self) -> FlatLab:
        """Lock the prefix, sweep leftovers, start the bus and machined."""
        reason = unavailable_reason()
        if reason is not None:
            raise LabUnavailable(reason)
        self._lock.acquire()
        self._open = True
        atexit.register(self.close)
        self._install_signal_handlers()
        try:
            sweep(self.prefix)
            self.state_dir.mkdir(parents=True)
            config = self.state_dir / "bus.conf"
            config.write_text(BUS_CONFIG.format(socket=self.socket))
            self._dbus = self._spawn(
                ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
                "dbus-daemon.log",
            )
            wait_for(
                lambda: True if self.socket.exists() else self._died(self._dbus, "dbus-daemon"),
                timeout=10,
                what="the private system bus",
            )
            self.start_machined()
        except BaseException:
            self.close()
            raise
        return self

    def _died(self, proc: subprocess.Popen[bytes] | None, what: str) -> None:
        if proc is not None and proc.poll() is not None:
            log = self.state_dir / f"{what}.log"
            raise LabError(f"{what} exited with status {proc.returncode}:\n{tail(log)}")

    def close(self) -> None:
        """Stop everything of this session and remove its traces. Idempotent."""
        if not self._open:
            return
        self._open = False
        try:
            for burner in list(self._burners):
                self._kill_group(burner)
            for proc in self._nspawn.values():
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in self._nspawn.values():
                self._reap(proc, STOP_TIMEOUT)
            self._nspawn.clear()
            self.containers.clear()
            self.stop_machined()
            if self._dbus is not None:
                self._dbus.terminate()
                self._reap(self._dbus, 10)
            sweep(self.prefix)
        finally:
            self._lock.release()
            self._restore_signal_handlers()
            atexit.unregister(self.close)

    def _install_signal_handlers(self) -> None:
        """SIGTERM/SIGHUP become KeyboardInterrupt, so teardown runs as for ^C."""
        if threading.current_thread() is not threading.main_thread():
            return

        def interrupt(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        for signum in (signal.SIGTERM, signal.SIGHUP):
            self._old_handlers[signum] = signal.signal(signum, interrupt)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._old_handlers.items():
            signal.signal(signum, handler)
        self._old_handlers.clear()

    @staticmethod
    def _reap(proc: subprocess.Popen[bytes], timeout: float) -> None:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    @staticmethod
    def _kill_group(proc: subprocess.Popen[bytes]) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # already gone: nothing to kill
        proc.wait(10)

    # -- machined ------------------------------------------------------------

    def start_machined(self) -> None:
        if self._machined is not None and self._machined.poll() is None:
            raise LabError("machined is already running")
        self._machined = self._spawn([str(MACHINED)], "machined.log")
        machined = self._machined

        def answers() -> bool | None:
            self._died(machined, "machined")
            return True if self.busctl.list_machines() is not None else None

        wait_for(answers, timeout=15, what="machined on the private bus")

    def stop_machined(self) -> None:
        if self._machined is not None:
            if self._machined.poll() is None:
                self._machined.terminate()
            self._reap(self._machined, 10)
            self._machined = None

    def restart_machined(self) -> None:
        """Kill machined and start it again; it re-reads /run/systemd/machines/."""
        self.stop_machined()
        self.start_machined()

    # -- images and containers ------------------------------------------------

    def add_image(self, name: str, tarball: Path | None = None) -> Path:
        """A stopped directory image /var/lib/machines/NAME."""
        self._check_name(name)
        root = MACHINES_DIR / name
        if root.exists():
            raise LabError(f"{root} exists already")
        started = time.monotonic()
        install_root(root, tarball, hostname=name)
        self.install_times[name] = time.monotonic() - started
        return root

    def boot(
        self,
        name: str,
        *,
        extra_args: Sequence[str] = (),
        tarball: Path | None = None,
        veth: bool = True,
    ) -> LabContainer:
        """Boot NAME (creating its image if needed) and wait until it is up.

        ``veth=False`` leaves out ``--network-veth`` (e.g. for ``--private-network``)."""
        self._check_name(name)
        if name in self._nspawn:
            raise LabError(f"{name} is already booted")
        root = MACHINES_DIR / name
        if not root.exists():
            self.add_image(name, tarball)
        started = time.monotonic()
        try:
            container = self._boot_once(name, root, extra_args, veth)
        except LabError:
            log = tail(self.state_dir / f"nspawn-{name}.log")
            if not (veth and self.veth and "veth" in log.lower() and name not in self._nspawn):
                raise
            self.veth = False  # e.g. no CAP_NET_ADMIN: boot without a veth link
            container = self._boot_once(name, root, extra_args)
        self.boot_times[name] = time.monotonic() - started
        return container

    def _boot_once(
        self, name: str, root: Path, extra_args: Sequence[str], veth: bool = True
    ) -> LabContainer:
        argv = ["systemd-nspawn", "--keep-unit", f"--machine={name}", "-D", str(root)]
        network = ["--network-veth"] if self.veth and veth else []
        argv += ["--boot", "--console=read-only", *network]
        argv += list(extra_args)
        log = self.state_dir / f"nspawn-{name}.log"
        log.unlink(missing_ok=True)
        proc = self._spawn(argv, log.name, cgroups.create_unit_dirs(name))
        self._nspawn[name] = proc
        try:
            leader = self._wait_registered(name, proc, log)
            self._wait_system_up(name, leader, log)
        except BaseException:
            self._nspawn.pop(name)
            if proc.poll() is None:
                proc.kill()
            proc.wait(10)
            for directory in cgroups.unit_dirs(name):
                cgroups.remove_tree(directory)
            raise
        container = LabContainer(name, leader, proc.pid, root, cgroups.unit_rel(name))
        self.containers[name] = container
        return container

    def _wait_registered(self, name: str, proc: subprocess.Popen[bytes], log: Path) -> int:
        def leader() -> int | None:
            if proc.poll() is not None:
                raise LabError(
                    f"systemd-nspawn for {name} exited with status {proc.returncode}:\n{tail(log)}"
                )
            props = self.busctl.machine(name, "State", "Leader")
            if props is not None and props["State"] == "running" and props["Leader"] > 0:
                return int(props["Leader"])
            return None

        return wait_for(
            leader,
            timeout=BOOT_TIMEOUT,
            what=f"machined to list {name} as running",
            details=lambda: tail(log),
        )

    def _wait_system_up(self, name: str, leader: int, log: Path) -> None:
        """Wait for ``systemctl is-system-running`` inside to say running/degraded
        (it cannot connect until the container's systemd has its socket up)."""
        enter = ["nsenter", "-t", str(leader), "-a"]
        last: list[str] = [""]

        def state() -> str | None:
            try:
                result = run(
                    [*enter, "systemctl", "is-system-running", "--wait"],
                    env=container_env(self.prefix),
                    timeout=BOOT_TIMEOUT,
                )
            except subprocess.TimeoutExpired as error:
                raise LabError(f"{name} did not finish booting:\n{tail(log)}") from error
            last[0] = (result.stdout + result.stderr).strip()
            answer = result.stdout.strip()
            if "Failed to connect to bus" in result.stderr or answer in ("", "offline", "unknown"):
                return None  # too early: systemd is not answering on its private socket yet
            return answer

        current = wait_for(
            state,
            timeout=BOOT_TIMEOUT,
            what=f"systemd in {name} to answer",
            details=lambda: f"{last[0]}\n{tail(log)}",
        )
        if current not in ("running", "degraded"):
            failed = run(
                [*enter, "systemctl", "--failed", "--no-pager"], env=container_env(self.prefix)
            )
            raise LabError(
                f"{name} booted into state {current!r} ({last[0]}):\n{failed.stdout}\n{tail(log)}"
            )

    def stop(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        """Power NAME off (SIGTERM to systemd-nspawn) and wait until machined drops it."""
        proc = self._nspawn.pop(name)
        self.containers.pop(name, None)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        self._reap(proc, timeout)
        if self._machined is not None and self._machined.poll() is None:
            wait_for(
                lambda: True if name not in self.busctl.require_machines() else None,
                timeout=timeout,
                what=f"machined to drop {name}",
            )
        for directory in cgroups.unit_dirs(name):
            cgroups.remove_tree(directory)

    def exec(
        self, name: str, argv: Sequence[str], **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in the container's namespaces (not its cgroup)."""
        leader = self.containers[name].leader
        kwargs.setdefault("env", container_env(self.prefix))
        kwargs.setdefault("timeout", 60)
        if "stdout" not in kwargs and "stderr" not in kwargs:
            kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("check", False)
        command = ["nsenter", "-t", str(leader), "-a", *argv]
        result: subprocess.CompletedProcess[str] = subprocess.run(command, **kwargs)
        return result

    @staticmethod
    def _cgroup_of(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cgroup").read_text()
        except FileNotFoundError as error:
            raise LabError(f"process {pid} exited") from error

    @contextmanager
    def burn_cpu(self, name: str) -> Iterator[int]:
        """A busy loop inside NAME, charged to NAME's cgroups; yields its PID."""
        leader = self.containers[name].leader
        procs = cgroups.create_unit_dirs(name, BURNER_CGROUP)
        argv = ["nsenter", "-t", str(leader), "-a", "sh", "-c", "while :; do :; done"]
        burner = self._spawn(argv, f"burner-{name}.log", procs)
        self._burners.add(burner)
        try:
            wanted = f"0::{cgroups.unit_rel(name)}/{BURNER_CGROUP}\n"
            wait_for(
                lambda: True if wanted in self._cgroup_of(burner.pid) else None,
                timeout=10,
                what=f"the CPU burner to enter {name}'s cgroup",
                interval=0.02,
            )
            yield burner.pid
        finally:
            self._kill_group(burner)
            self._burners.discard(burner)
            for procs_file in procs:
                cgroups.remove_tree(procs_file.parent)

"""The fleet benchmark's lab: 50 machines registered with a real machined, and a real sshd.

- :class:`labkit.FlatLab` (tests/lab/labkit) gives a private system bus and
  real ``systemd-machined`` (prefix ``ntlb-``: its own lock, state directory
  and sweep, never the test lab's ``ntl-``).
- Each machine is a leader process placed (as ``labkit/launcher.py`` does)
  into ``machine.slice/systemd-nspawn@NAME.service`` in the cgroup2 tree and
  the v1 hierarchies, then registered with machined's ``RegisterMachine``;
  no container is booted.  Most leaders are ``sleep infinity``; every fifth
  is a shell that counts to 3,000 once a second, so some CPU figures move.
- A real OpenSSH server on ``127.0.0.1:PORT`` with its own host key, config,
  pid file and ``authorized_keys`` in a private directory.  Its sessions get
  ``DBUS_SYSTEM_BUS_ADDRESS`` of the lab bus and a ``PATH`` that starts with
  a directory holding a ``systemd-stdio-bridge`` wrapper: systemd 252's
  bridge ignores that variable (it connects to ``/run/dbus/system_bus_socket``
  unless given ``-p``), so the wrapper passes ``-p "$DBUS_SYSTEM_BUS_ADDRESS"``.
  Everything else on the "remote" side is the VM itself: the remote ``sh``
  reads the machines' real cgroup files.
- A client config of its own (``ssh -F FILE``) with the aliases ``h1 h2 h3``,
  all the same ``127.0.0.1:PORT``, its own key and known_hosts; the user's
  ``~/.ssh`` is never read or written (``-F`` also keeps ssh from creating it).

Every process started here carries the lab tag of the prefix (the ssh
sessions too, through ``authorized_keys``), so a crashed run's leftovers are
swept by the next one; :meth:`FleetLab.close` stops and removes everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent.parent / "tests" / "lab"
if str(LAB_DIR) not in sys.path:
    sys.path.insert(0, str(LAB_DIR))

import labkit  # noqa: E402  (tests/lab on sys.path first, as the lab's conftest has it)
from labkit import cgroups  # noqa: E402
from labkit.common import TAG_VAR, tag_env, wait_for  # noqa: E402

PREFIX = "ntlb-"
SSHD = Path("/usr/sbin/sshd")
ALIASES = ("h1", "h2", "h3")
LAUNCHER = LAB_DIR / "labkit" / "launcher.py"
MACHINE1 = ("org.freedesktop.machine1", "/org/freedesktop/machine1")
MANAGER = "org.freedesktop.machine1.Manager"
#: A leader that uses a little CPU now and then (counting in the shell, once a second).
BUSY_LEADER = "while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; sleep 1; done"

SSHD_CONFIG = """# nspawn-tui fleet benchmark: loopback only, one key, nothing of the system's
Port {port}
ListenAddress 127.0.0.1
HostKey {dir}/ssh_host_ed25519_key
PidFile {dir}/sshd.pid
AuthorizedKeysFile {dir}/authorized_keys
PermitUserEnvironment yes
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
AllowTcpForwarding no
PrintMotd no
PrintLastLog no
MaxStartups 50
LogLevel INFO
"""

CLIENT_CONFIG = """Host {aliases}
  HostName 127.0.0.1
  Port {port}
  User root
  IdentityFile {dir}/id_ed25519
  IdentitiesOnly yes
  IdentityAgent none
  UserKnownHostsFile {dir}/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ControlMaster no
  ControlPath none
  LogLevel ERROR
"""

BRIDGE_WRAPPER = (
    '#!/bin/sh\nexec /usr/bin/systemd-stdio-bridge -p "$DBUS_SYSTEM_BUS_ADDRESS" "$@"\n'
)


class FleetLabUnavailable(Exception):
    """The fleet lab cannot run here; the message is the skip reason."""


def ensure_sshd() -> None:
    """Install Debian's openssh-server when /usr/sbin/sshd is missing (the
    image's policy-rc.d keeps the package from starting a system sshd)."""
    if SSHD.exists():
        return
    if shutil.which("apt-get") is None:
        raise FleetLabUnavailable("/usr/sbin/sshd is missing and there is no apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "openssh-server"]
    result = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        result = subprocess.run(install, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not SSHD.exists():
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise FleetLabUnavailable(f"cannot install openssh-server: {' / '.join(tail)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _keygen(path: Path, comment: str) -> str:
    argv = ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    subprocess.run(argv, check=True, capture_output=True)
    return path.with_name(path.name + ".pub").read_text().strip()


def _stop(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class FleetLab:
    """Machined with ``count`` registered machines, and an sshd in front of the VM."""

    def __init__(self, count: int = 50) -> None:
        self.count = count
        self.names = [f"{PREFIX}m{k:02d}" for k in range(count)]
        self.lab = labkit.FlatLab(prefix=PREFIX, veth=False)
        self.dir = Path(tempfile.mkdtemp(prefix="ntl-bench-fleet-", dir="/run"))
        self.port = 0
        self.ssh_config = self.dir / "ssh_config"
        self.sshd: subprocess.Popen[bytes] | None = None
        self.leaders: dict[str, subprocess.Popen[bytes]] = {}
        self._made_run_sshd = False

    @property
    def bus_address(self) -> str:
        return self.lab.bus_address

    # ---------------------------------------------------------------- session

    def start(self) -> FleetLab:
        """Everything, or nothing (a failure closes what was started)."""
        reason = labkit.unavailable_reason()
        if reason is not None:
            raise FleetLabUnavailable(reason)
        if shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
            raise FleetLabUnavailable("the ssh client is not installed (openssh-client)")
        ensure_sshd()
        try:
            self.lab.start()  # holds the prefix's lock and swept a crashed run's processes
            _kill_stale_sshds()  # sshd's process title hides the lab tag
            for stale in Path("/run").glob("ntl-bench-fleet-*"):
                if stale != self.dir:
                    shutil.rmtree(stale, ignore_errors=True)  # a crashed run's keys and config
            self._register_all()
            self._start_sshd()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop sshd, unregister and kill the machines, close the lab. Idempotent."""
        try:
            if self.sshd is not None:
                _stop(self.sshd)
                self.sshd = None
            _kill_stale_sshds()
            leaders = {proc.pid for proc in self.leaders.values()}
            for pid in labkit.tagged_pids(PREFIX) - leaders:
                if _comm(pid) in ("sshd", "sh", "systemd-stdio-b"):
                    _kill(pid)  # sessions whose client went away without a goodbye
            if self.leaders:
                for name in self.leaders:
                    self._busctl("UnregisterMachine", "s", name, check=False)
                for proc in self.leaders.values():
                    _stop(proc, 2.0)
                for name in self.leaders:
                    for directory in cgroups.unit_dirs(name):
                        cgroups.remove_tree(directory)
                self.leaders.clear()
        finally:
            self.lab.close()
            shutil.rmtree(self.dir, ignore_errors=True)
            if self._made_run_sshd:
                try:
                    Path("/run/sshd").rmdir()
                except OSError:
                    pass  # another sshd uses it now: leave it
                self._made_run_sshd = False

    # --------------------------------------------------------------- machines

    def _busctl(self, method: str, *args: str, check: bool = True) -> str:
        argv = ["busctl", f"--address={self.bus_address}", "call", *MACHINE1, MANAGER, method]
        result = subprocess.run([*argv, *args], capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            raise labkit.LabError(f"{method} {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def _register_all(self) -> None:
        env = tag_env(PREFIX, self.lab.env)
        for index, name in enumerate(self.names):
            procs = cgroups.create_unit_dirs(name)
            program = ["sh", "-c", BUSY_LEADER] if index % 5 == 0 else ["sleep", "infinity"]
            argv = [sys.executable, "-I", "-S", str(LAUNCHER), *map(str, procs), "--", *program]
            self.leaders[name] = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        for name, proc in self.leaders.items():
            wanted = f"0::{cgroups.unit_rel(name)}\n"
            wait_for(
                lambda p=proc, w=wanted: True if _exec_done(p.pid, w) else None,  # type: ignore[misc]
                timeout=10,
                what=f"the leader of {name} to enter its cgroup",
                interval=0.01,
            )
            self._busctl(
                "RegisterMachine", "sayssus", name, "0", "nspawn", "container", str(proc.pid), ""
            )
        listed = self.lab.busctl.require_machines()
        mine = sorted(n for n in listed if n.startswith(PREFIX))
        if mine != sorted(self.names):
            raise labkit.LabError(f"machined lists {len(mine)} of {self.count} machines")

    # -------------------------------------------------------------------- sshd

    def _start_sshd(self) -> None:
        run_sshd = Path("/run/sshd")
        if not run_sshd.exists():
            run_sshd.mkdir(mode=0o755)
            self._made_run_sshd = True
        self.dir.chmod(0o700)
        host_key = _keygen(self.dir / "ssh_host_ed25519_key", "ntl-bench-host")
        client_key = _keygen(self.dir / "id_ed25519", "ntl-bench-client")
        bin_dir = self.dir / "bin"
        bin_dir.mkdir()
        bridge = bin_dir / "systemd-stdio-bridge"
        bridge.write_text(BRIDGE_WRAPPER)
        bridge.chmod(0o755)
        options = ",".join(
            [
                f'environment="DBUS_SYSTEM_BUS_ADDRESS={self.bus_address}"',
                f'environment="PATH={bin_dir}:/usr/sbin:/usr/bin:/sbin:/bin"',
                f'environment="{TAG_VAR}={PREFIX}"',  # the sweep finds the sessions too
            ]
        )
        (self.dir / "authorized_keys").write_text(f"{options} {client_key}\n")
        self.port = _free_port()
        (self.dir / "sshd_config").write_text(SSHD_CONFIG.format(port=self.port, dir=self.dir))
        key_type, key_blob = host_key.split()[:2]
        (self.dir / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {key_type} {key_blob}\n")
        self.ssh_config.write_text(
            CLIENT_CONFIG.format(aliases=" ".join(ALIASES), port=self.port, dir=self.dir)
        )
        with open(self.dir / "sshd.log", "ab") as log:
            self.sshd = subprocess.Popen(
                [str(SSHD), "-D", "-e", "-f", str(self.dir / "sshd_config")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=tag_env(PREFIX),
                start_new_session=True,
            )
        sshd = self.sshd
        wait_for(
            lambda: self._answers(sshd),
            timeout=15,
            what="the benchmark's sshd to accept the key",
            details=lambda: (self.dir / "sshd.log").read_text(errors="replace")[-2000:],
        )

    def _answers(self, sshd: subprocess.Popen[bytes]) -> bool | None:
        if sshd.poll() is not None:
            log = (self.dir / "sshd.log").read_text(errors="replace")[-2000:]
            raise labkit.LabError(f"sshd exited with status {sshd.returncode}:\n{log}")
        probe = ["busctl", "call", *MACHINE1, MANAGER, "GetMachine", "s", self.names[0]]
        result = subprocess.run(
            self.ssh_argv(ALIASES[0], *probe), capture_output=True, text=True, check=False
        )
        return True if result.returncode == 0 else None

    def monitor_bus(self) -> tuple[subprocess.Popen[bytes], Path]:
        """``dbus-monitor --profile`` of the lab bus into a file (see :func:`monitored`)."""
        out = self.dir / f"monitor-{time.monotonic_ns()}.txt"
        argv = ["dbus-monitor", "--address", self.bus_address, "--profile"]
        with open(out, "wb") as sink:
            proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.DEVNULL)
        time.sleep(0.3)  # it is listening before the period starts
        return proc, out

    def ssh_argv(self, alias: str, *remote: str) -> list[str]:
        return ["ssh", "-F", str(self.ssh_config), "-T", alias, *remote]


def monitored(proc: subprocess.Popen[bytes], out: Path) -> dict[str, int]:
    """Messages seen: method calls by member, errors by name, and all of them."""
    proc.terminate()
    proc.wait(5)
    counts: dict[str, int] = {}
    for line in out.read_text(errors="replace").splitlines():
        fields = line.split("\t")
        if fields[0] in ("mc", "mr", "err", "sig"):
            counts["all messages"] = counts.get("all messages", 0) + 1
        if fields[0] == "mc" and len(fields) >= 8:
            key = f"call {fields[7]}"
        elif fields[0] == "err" and len(fields) >= 6:
            key = f"error {fields[5]}"
        else:
            continue
        counts[key] = counts.get(key, 0) + 1
    return counts


def _kill_stale_sshds() -> None:
    """SIGKILL every sshd started by this module (its config is in ``/run/ntl-bench-fleet-*``)
    and their sessions.  Found by command line: sshd overwrites its environment with its
    process title, so the lab tag the sweep looks for is gone from a crashed run's sshd."""
    parents: dict[int, int] = {}
    listeners: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(stat[stat.rindex(")") + 2 :].split()[1])
        if b"sshd" in cmdline and b"/run/ntl-bench-fleet-" in cmdline:
            listeners.add(pid)
    doomed = set(listeners)
    grew = True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in doomed} - doomed
        doomed |= more
        grew = bool(more)
    for pid in doomed:
        _kill(pid)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _exec_done(pid: int, wanted_cgroup: str) -> bool:
    """The launcher moved itself into the unit's cgroup and exec'd its program."""
    try:
        in_unit = wanted_cgroup in Path(f"/proc/{pid}/cgroup").read_text()
        return in_unit and _comm(pid) in ("sleep", "sh")
    except OSError:
        return False


if __name__ == "__main__":
    lab = FleetLab().start()
    try:
        print(f"bus {lab.bus_address}  sshd 127.0.0.1:{lab.port}  ssh -F {lab.ssh_config} h1")
        print(subprocess.run(lab.ssh_argv("h1", "busctl", "list"), capture_output=True).returncode)
        time.sleep(float(os.environ.get("FLEET_LAB_HOLD", "0")))
    finally:
        lab.close()

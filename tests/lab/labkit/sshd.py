"""A real OpenSSH server inside the nested lab's outer host: a remote systemd host on loopback.

The outer shares the VM's network, so its ``sshd`` (Debian's openssh-server,
installed in the outer's root) listens on ``127.0.0.1:PORT`` of the VM
(``ListenAddress``/``Port`` in a drop-in written before the outer boots).
Sessions land in the outer: real systemd as PID 1, its own bus, machined and
``systemd-stdio-bridge`` there.  The client side is the test's own: a key
pair, a ``known_hosts`` holding the outer's host key (read from its root, so
host-key checking stays on) and an ``ssh -F`` config file with an alias;
the user's ``~/.ssh`` is never read or written.
"""

from __future__ import annotations

import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .common import LabError

#: The alias of the outer host in the test's ssh config.
ALIAS = "ntl-outer-ssh"

SSHD_DROP_IN = """# nspawn-tui lab: loopback only, keys only
Port {port}
ListenAddress 127.0.0.1
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UseDNS no
"""


def free_port() -> int:
    """A TCP port free on loopback now (the outer's sshd takes it at boot)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def prepare_root(root: Path, port: int) -> None:
    """Before the outer boots: sshd on 127.0.0.1:PORT only (never the VM's port 22)."""
    if not (root / "usr/sbin/sshd").exists():
        raise LabError(f"{root} has no sshd (openssh-server is not in the outer's packages)")
    drop_in = root / "etc/ssh/sshd_config.d"
    drop_in.mkdir(parents=True, exist_ok=True)
    (drop_in / "ntl-lab.conf").write_text(SSHD_DROP_IN.format(port=port))


@dataclass(frozen=True)
class SshAccess:
    """How a test reaches the outer over ssh: ``ssh -F config ALIAS``."""

    config: Path
    alias: str
    port: int
    key: Path

    def argv(self, *remote: str) -> list[str]:
        return ["ssh", "-F", str(self.config), "-o", "BatchMode=yes", self.alias, *remote]


def client_files(root: Path, port: int, where: Path, alias: str = ALIAS) -> SshAccess:
    """A key authorised for the outer's root, its host key in a known_hosts, a config file."""
    where.mkdir(parents=True, exist_ok=True)
    key = where / "id_ed25519"
    if not key.exists():
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ntl-lab", "-f", str(key)],
            check=True,
        )
    ssh_dir = root / "root/.ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    authorized = ssh_dir / "authorized_keys"
    public = key.with_suffix(".pub").read_text()
    if public not in (authorized.read_text() if authorized.exists() else ""):
        with authorized.open("a") as out:
            out.write(public)
    authorized.chmod(0o600)
    host_keys = sorted((root / "etc/ssh").glob("ssh_host_*_key.pub"))
    if not host_keys:
        raise LabError(f"the outer has no ssh host keys in {root / 'etc/ssh'}")
    known = where / "known_hosts"
    known.write_text(
        "".join(
            f"[127.0.0.1]:{port} {' '.join(path.read_text().split()[:2])}\n" for path in host_keys
        )
    )
    config = where / "ssh_config"
    config.write_text(
        f"Host {alias}\n"
        "  HostName 127.0.0.1\n"
        f"  Port {port}\n"
        "  User root\n"
        f"  IdentityFile {key}\n"
        "  IdentitiesOnly yes\n"
        "  IdentityAgent none\n"
        f"  UserKnownHostsFile {known}\n"
        "  GlobalKnownHostsFile /dev/null\n"
        "  StrictHostKeyChecking yes\n"
        "  LogLevel ERROR\n"
    )
    return SshAccess(config=config, alias=alias, port=port, key=key)

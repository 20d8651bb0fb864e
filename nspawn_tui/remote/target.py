"""Where a remote host is: ``[USER@]HOST[:PORT]``, and the ssh command lines that reach it.

The system ``ssh`` client is run as it is: the user's ``~/.ssh/config``, agent
and known_hosts apply; ``BatchMode=yes`` so it never asks for a password or a
host key (it fails with ssh's own message instead), and host-key checking is
never turned off here.  A test gives its own config file (``ssh_config``,
``ssh -F FILE``), never the user's.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

#: The word for this machine in ``--host`` and in the hosts file.
LOCAL: Final = "local"

#: Options of every ssh this app runs (see the module docstring).
BASE_OPTIONS: Final = (
    "-o", "BatchMode=yes",
    "-o", "ConnectTimeout=10",
    "-o", "ServerAliveInterval=5",
    "-o", "ServerAliveCountMax=3",
)  # fmt: skip

# A host name or address as ssh takes it: no option-like start, no spaces or
# controls, no shell metacharacters (an ssh_config alias is a host too).
_HOST = re.compile(r"[A-Za-z0-9_.%~+-]+|\[[0-9A-Fa-f:.%A-Za-z]+\]", re.ASCII)
_USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*", re.ASCII)
_LABEL = re.compile(r"[A-Za-z0-9_.@:\[\]-]{1,64}", re.ASCII)


class TargetError(ValueError):
    """A ``--host`` value or hosts-file entry that is not ``[USER@]HOST[:PORT]``."""


@dataclass(frozen=True, slots=True)
class SshTarget:
    """One remote host. ``label`` names it on screen and in ``list --json`` (unique in a fleet)."""

    host: str
    user: str | None = None
    port: int | None = None
    label: str = ""
    group: str = ""
    ssh_config: str | None = None  # ssh -F FILE; None: ssh's own (~/.ssh/config)
    ssh: str = "ssh"  # the client program

    @property
    def destination(self) -> str:
        """``user@host`` (or ``host``) as ssh takes it; brackets of an IPv6 address removed."""
        host = self.host[1:-1] if self.host.startswith("[") else self.host
        return f"{self.user}@{host}" if self.user else host

    @property
    def name(self) -> str:
        """The label, or ``[USER@]HOST[:PORT]`` as typed."""
        if self.label:
            return self.label
        text = f"{self.user}@{self.host}" if self.user else self.host
        return f"{text}:{self.port}" if self.port else text

    def ssh_argv(self, remote: Sequence[str], *, tty: bool = False) -> list[str]:
        """``ssh [options] DESTINATION -- 'word' 'word'...``: each remote word quoted for the
        remote shell (ssh joins them with spaces into one line).  ``tty``: ``-t`` (a shell),
        else ``-T`` (a byte stream: the bus, a journal, the reader shell)."""
        argv = [self.ssh, "-x", "-t" if tty else "-T", *BASE_OPTIONS]
        if self.ssh_config:
            argv += ["-F", self.ssh_config]
        if self.port:
            argv += ["-p", str(self.port)]
        argv += ["--", self.destination]
        argv += [shlex.quote(word) for word in remote]
        return argv


def parse_target(text: str, *, label: str = "", group: str = "") -> SshTarget | None:
    """``[USER@]HOST[:PORT]`` (``[v6]:PORT`` for an IPv6 address); None for ``local``.

    Raises :class:`TargetError` with what is wrong; never lets a value reach
    ssh that it would read as an option (``-oProxyCommand=...``).
    """
    value = text.strip()
    if value == LOCAL:
        return None
    if not value:
        raise TargetError("an empty host")
    user: str | None = None
    if "@" in value:
        user, _, value = value.rpartition("@")
        if not _USER.fullmatch(user):
            raise TargetError(f"{text!r}: {user!r} is not a user name")
    port: int | None = None
    if value.startswith("["):
        close = value.find("]")
        if close < 0:
            raise TargetError(f"{text!r}: an IPv6 address needs its closing ']'")
        rest = value[close + 1 :]
        value = value[: close + 1]
        if rest:
            if not rest.startswith(":"):
                raise TargetError(f"{text!r}: only ':PORT' may follow ']'")
            port = _port(text, rest[1:])
    elif value.count(":") == 1:
        value, _, port_text = value.partition(":")
        port = _port(text, port_text)
    if not value or value.startswith("-") or not _HOST.fullmatch(value):
        raise TargetError(f"{text!r} is not [USER@]HOST[:PORT]")
    if label and not _LABEL.fullmatch(label):
        raise TargetError(f"{label!r}: a host's name is 1 to 64 of A-Z a-z 0-9 _ . @ : [ ] -")
    return SshTarget(host=value, user=user, port=port, label=label, group=group)


def _port(text: str, port: str) -> int:
    if not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise TargetError(f"{text!r}: {port!r} is not a port (1 to 65535)")
    return int(port)

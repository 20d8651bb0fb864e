"""First-boot setup of a new tree without entering it: ``systemd-firstboot --root=DIR``.

The root password is hashed here (:func:`hash_password`, ``openssl passwd
-6 -stdin`` with the clear text on its standard input, never in an argv) and
only the hash travels on: in the plan, in ``--root-password-hashed=``, and
masked in every command shown.  ``--force`` is given because debootstrap
already wrote ``/etc/hostname``, ``/etc/passwd`` and ``/etc/shadow``, which
systemd-firstboot (systemd 252) would otherwise leave alone.  An SSH key is
written to ``/root/.ssh/authorized_keys`` (0700/0600) through directory file
descriptors that never follow a symbolic link out of the tree.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from typing import Final

from nspawn_tui.create.model import FirstBoot

HASH_RE: Final = re.compile(r"\$(1|5|6|y|gy|7|2[abxy])\$[^\s:]+")
MASK: Final = "'$6$...'"
_NOFOLLOW: Final = os.O_NOFOLLOW | os.O_CLOEXEC


class FirstBootError(ValueError):
    """A password or key that cannot be used; the message says why."""


def hash_password(clear: str, openssl: str = "openssl") -> str:
    """A SHA-512 crypt(3) hash of ``clear`` (``$6$salt$...``); blocking: run it in a thread.

    The clear text goes to ``openssl passwd -6 -stdin`` on its standard
    input, never on a command line another user could read in /proc.
    """
    if not clear:
        raise FirstBootError("the password is empty")
    if "\n" in clear or "\r" in clear or "\0" in clear:
        raise FirstBootError("a password cannot hold a line break or a NUL character")
    try:
        done = subprocess.run(
            [openssl, "passwd", "-6", "-stdin"],
            input=clear + "\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise FirstBootError(f"cannot hash the password with {openssl}: {error}") from None
    hashed = done.stdout.strip()
    if done.returncode != 0 or not HASH_RE.fullmatch(hashed):
        raise FirstBootError(f"{openssl} passwd failed: {done.stderr.strip()[:200]}")
    return hashed


def hash_problem(hashed: str) -> str | None:
    if hashed and not HASH_RE.fullmatch(hashed):
        return "the root password must be a crypt(3) hash ($6$...), never the clear text"
    return None


def key_problem(key: str) -> str | None:
    if not key:
        return None
    if "\n" in key.strip() or "\r" in key or "\0" in key:
        return "the SSH key must be one line"
    words = key.split()
    if len(words) < 2 or not (words[0].startswith(("ssh-", "ecdsa-", "sk-"))):
        return "the SSH key must be a public key line (ssh-ed25519 AAAA... comment)"
    return None


def firstboot_argv(tree: str, setup: FirstBoot, tool: str = "systemd-firstboot") -> list[str]:
    """systemd-firstboot's argv, [] when there is nothing for it to set."""
    options = []
    if setup.hostname:
        options.append(f"--hostname={setup.hostname}")
    if setup.root_password_hash:
        options.append(f"--root-password-hashed={setup.root_password_hash}")
    if setup.timezone:
        options.append(f"--timezone={setup.timezone}")
    if setup.locale:
        options.append(f"--locale={setup.locale}")
    if not options:
        return []
    return [tool, f"--root={tree}", "--force", *options]


def shown(argv: list[str]) -> str:
    """The shell equivalent of ``argv`` with a password hash masked."""
    words = []
    for word in argv:
        key, sep, _value = word.partition("=")
        if sep and key == "--root-password-hashed":
            words.append(f"{key}={MASK}")
        else:
            words.append(shlex.quote(word))
    return " ".join(words)


def networkd_argv(tree: str) -> list[str]:
    return ["systemctl", f"--root={tree}", "enable", "systemd-networkd"]


def ssh_key_command(tree: str) -> str:
    keys = shlex.quote(f"{tree}/root/.ssh/authorized_keys")
    return (
        f"install -d -m 0700 {shlex.quote(tree + '/root/.ssh')} && "
        f"echo KEY >> {keys} && chmod 0600 {keys}"
    )


def write_authorized_key(tree: str, key: str) -> None:
    """Append ``key`` to TREE/root/.ssh/authorized_keys (0700 directory, 0600 file).

    Blocking (run it in a thread).  Every step is relative to a directory
    descriptor opened with O_NOFOLLOW: a symbolic link in the tree (a clone
    can hold any) is refused, never followed onto the host.
    """
    line = key.strip() + "\n"
    fds: list[int] = []
    try:
        fds.append(os.open(tree, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW))
        for name, mode in (("root", 0o700), (".ssh", 0o700)):
            try:
                os.mkdir(name, mode, dir_fd=fds[-1])
            except FileExistsError:
                pass  # there already: opened below, refused if it is a link
            fds.append(os.open(name, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW, dir_fd=fds[-1]))
        os.fchmod(fds[-1], 0o700)
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | _NOFOLLOW
        fd = os.open("authorized_keys", flags, 0o600, dir_fd=fds[-1])
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError as error:
        raise FirstBootError(f"cannot write /root/.ssh/authorized_keys: {error}") from None
    finally:
        for fd in reversed(fds):
            os.close(fd)

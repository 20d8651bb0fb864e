"""What this host's dnf and pacman can install from, for a Fedora or Arch tree.

On a Fedora host ``dnf --installroot`` uses the host's repositories and
signing keys, and on an Arch host ``pacstrap`` the host's ``pacman.conf``,
mirror list and keyring.  Elsewhere (a Debian host with Debian's ``dnf`` or
``arch-install-scripts``) there are none: the form's mirror is then the
repository, and its packages are still checked:

- dnf: against the key given (``CreatePlan.signing_key``) or the host's
  ``RPM-GPG-KEY-fedora-RELEASE-primary`` (``/etc/pki/rpm-gpg``, or
  ``/usr/share/distribution-gpg-keys/fedora``); never with ``gpgcheck`` off;
- pacstrap: against the host's pacman keyring (``/etc/pacman.d/gnupg``,
  made with ``pacman-key --init`` and ``--populate archlinux`` from Debian's
  ``archlinux-keyring``), through a ``pacman.conf`` written for the mirror.
"""

from __future__ import annotations

import configparser
import glob
import os
from dataclasses import dataclass
from typing import Final

RPM_KEY_DIRS: Final = ("/etc/pki/rpm-gpg", "/usr/share/distribution-gpg-keys/fedora")
YUM_REPOS_DIR: Final = "/etc/yum.repos.d"
PACMAN_CONF: Final = "/etc/pacman.conf"
PACMAN_KEYRING: Final = "/etc/pacman.d/gnupg"
#: the repositories a pacman.conf written for a mirror names (an Arch mirror has both)
ARCH_REPOS: Final = ("core", "extra")
KEYRING_HOWTO: Final = (
    "apt-get install archlinux-keyring && pacman-key --init && pacman-key --populate archlinux"
)


@dataclass(frozen=True)
class ForeignRepos:
    """This host's repositories and keys for dnf and pacman (see the module docstring)."""

    dnf_repos: bool = False  # an enabled repository in /etc/yum.repos.d
    rpm_keys: tuple[str, ...] = ()  # RPM-GPG-KEY-fedora-*-primary files found
    pacman_repos: bool = False  # a repository section in /etc/pacman.conf
    pacman_keyring: bool = False  # /etc/pacman.d/gnupg has a public keyring


def _dnf_repos(repos_dir: str) -> bool:
    for path in sorted(glob.glob(f"{glob.escape(repos_dir)}/*.repo")):
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue  # a broken file: dnf itself skips or reports it
        for section in parser.sections():
            fields = parser[section]
            if fields.get("enabled", "1").strip() in ("0", "false", "no", "False"):
                continue
            if any(fields.get(key, "").strip() for key in ("baseurl", "metalink", "mirrorlist")):
                return True
    return False


_SOURCES: Final = ("Server", "Include")


def _pacman_repos(conf: str) -> bool:
    try:
        with open(conf, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return False
    section = ""
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section and section != "options" and line.split("=", 1)[0].strip() in _SOURCES:
            return True
    return False


def detect_foreign(
    *,
    key_dirs: tuple[str, ...] = RPM_KEY_DIRS,
    repos_dir: str = YUM_REPOS_DIR,
    pacman_conf: str = PACMAN_CONF,
    keyring: str = PACMAN_KEYRING,
) -> ForeignRepos:
    """What this host has (blocking: a few small files; call it in a thread)."""
    keys = tuple(
        path
        for directory in key_dirs
        for path in sorted(glob.glob(f"{glob.escape(directory)}/RPM-GPG-KEY-fedora-*-primary"))
    )
    has_keyring = os.path.isfile(os.path.join(keyring, "pubring.gpg")) or os.path.isfile(
        os.path.join(keyring, "pubring.kbx")
    )
    return ForeignRepos(_dnf_repos(repos_dir), keys, _pacman_repos(pacman_conf), has_keyring)


def fedora_key(release: str, found: tuple[str, ...]) -> str:
    """The host's key file for Fedora ``release`` ("" if none), as a file:// URL."""
    wanted = f"RPM-GPG-KEY-fedora-{release}-primary"
    path = next((p for p in found if os.path.basename(p) == wanted), "")
    return f"file://{path}" if path else ""


def arch_server(mirror: str) -> str:
    """The ``Server =`` value of an Arch mirror (its repositories under ``$repo/os/$arch``)."""
    base = mirror.rstrip("/")
    if "$repo" in base:
        return base  # given in pacman's own form already
    return f"{base}/$repo/os/$arch"


def pacman_conf_text(mirror: str) -> str:
    """A ``pacman.conf`` for pacstrap that installs from ``mirror`` with signatures required."""
    server = arch_server(mirror)
    lines = [
        "# written by nspawn-tui for one pacstrap run",
        "[options]",
        "Architecture = auto",
        f"GPGDir = {PACMAN_KEYRING}/",
        "SigLevel = Required DatabaseOptional",
        "LocalFileSigLevel = Optional",
    ]
    for repo in ARCH_REPOS:
        lines += ["", f"[{repo}]", f"Server = {server}"]
    return "\n".join(lines) + "\n"


def mirrorlist_text(mirror: str) -> str:
    """The new tree's ``/etc/pacman.d/mirrorlist``: its pacman uses the same mirror."""
    head = "# written by nspawn-tui: the mirror the tree was made from"
    return f"{head}\nServer = {arch_server(mirror)}\n"

"""Bootstrappers (debootstrap, pacstrap, dnf), the argv each runs, and the host's Debian mirror.

Each bootstrapper is offered only when its tool is installed (``shutil.which``);
the others name the Debian package that provides them.  Every argv includes
what a booting container needs: ``systemd`` and ``dbus`` (and ``systemd-sysv``
on the Debian family, whose ``/sbin/init`` it provides).
"""

from __future__ import annotations

import glob
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from nspawn_tui.create.model import Bootstrapper, CreatePlan, Distro

#: What booting needs, by distribution family.
DEBIAN_BOOT: Final = ("systemd", "dbus", "systemd-sysv")
ARCH_BOOT: Final = ("base", "systemd", "dbus")
FEDORA_BOOT: Final = ("systemd", "passwd", "dnf", "fedora-release")

APT_SOURCES_LIST: Final = "/etc/apt/sources.list"
APT_SOURCES_DIR: Final = "/etc/apt/sources.list.d"
UBUNTU_MIRROR: Final = "http://archive.ubuntu.com/ubuntu"

#: (distros, tool, Debian package) of every bootstrapper, in the form's order.
KNOWN: Final[tuple[tuple[tuple[Distro, ...], str, str], ...]] = (
    (("debian", "ubuntu"), "debootstrap", "debootstrap"),
    (("arch",), "pacstrap", "arch-install-scripts"),
    (("fedora",), "dnf", "dnf"),
)


def detect_bootstrappers(
    which: Callable[[str], str | None] = shutil.which,
) -> tuple[Bootstrapper, ...]:
    """Every known bootstrapper, available or not (with the package that provides it)."""
    found = []
    for distros, tool, package in KNOWN:
        path = which(tool) or ""
        found.append(Bootstrapper(distros, tool, package, bool(path), path))
    return tuple(found)


def bootstrapper_for(distro: Distro, known: Sequence[Bootstrapper]) -> Bootstrapper | None:
    return next((b for b in known if distro in b.distros), None)


def boot_packages(distro: Distro) -> tuple[str, ...]:
    """The packages always installed (what booting needs): said in the form."""
    if distro in ("debian", "ubuntu"):
        return DEBIAN_BOOT
    if distro == "arch":
        return ARCH_BOOT
    if distro == "fedora":
        return FEDORA_BOOT
    return ()


def _merged(base: Sequence[str], extra: Sequence[str]) -> list[str]:
    merged = list(base)
    for package in extra:
        if package and package not in merged:
            merged.append(package)
    return merged


def bootstrap_argv(plan: CreatePlan, tool: str = "", pacman_conf: str = "pacman.conf") -> list[str]:
    """The bootstrapper's command line for ``plan`` (``tool``: its path, else its name).

    With a mirror, pacstrap reads ``pacman_conf`` (written by the run from
    :func:`.repos.pacman_conf_text`) and does not copy the host's mirror list;
    dnf checks the mirror's packages against ``plan.signing_key``.
    """
    tree = plan.tree
    if plan.distro in ("debian", "ubuntu"):
        argv = [tool or "debootstrap"]
        if plan.variant:
            argv.append(f"--variant={plan.variant}")
        argv.append("--include=" + ",".join(_merged(DEBIAN_BOOT, plan.packages)))
        argv += [plan.release, tree]
        if plan.mirror:
            argv.append(plan.mirror)
        return argv
    if plan.distro == "arch":
        argv = [tool or "pacstrap"]
        if plan.mirror:
            argv += ["-C", pacman_conf, "-M"]
        return [*argv, "-c", tree, *_merged(ARCH_BOOT, plan.packages)]
    if plan.distro == "fedora":
        argv = [tool or "dnf", "-y", f"--installroot={tree}", f"--releasever={plan.release}"]
        argv += ["--setopt=install_weak_deps=False"]
        if plan.mirror:
            argv += [f"--repofrompath=nspawn-tui,{plan.mirror}", "--repo=nspawn-tui"]
            if plan.signing_key:
                argv.append(f"--setopt=nspawn-tui.gpgkey={plan.signing_key}")
        return [*argv, "install", *_merged(FEDORA_BOOT, plan.packages)]
    raise ValueError(f"no bootstrapper for {plan.distro!r}")


def _one_line_uris(text: str) -> list[str]:
    uris = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words or words[0] != "deb":
            continue
        words = words[1:]
        if words and words[0].startswith("["):  # options: [arch=amd64 signed-by=...]
            while words and not words[0].endswith("]"):
                words = words[1:]
            words = words[1:]
        if words:
            uris.append(words[0])
    return uris


def _deb822_uris(text: str) -> list[str]:
    uris = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw or raw[:1].isspace():
                continue
            key, _, value = raw.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        uris += fields.get("uris", "").split()
    return uris


def _is_main_archive(uri: str) -> bool:
    lowered = uri.rstrip("/").lower()
    return lowered.startswith(("http://", "https://", "file:/")) and not lowered.endswith(
        ("-security", "/security", "debian-security")
    )


def default_mirror(sources_list: str = APT_SOURCES_LIST, sources_dir: str = APT_SOURCES_DIR) -> str:
    """The host's Debian mirror: the first main archive in its apt sources, "" if none.

    Reads deb822 ``*.sources`` (``URIs:``) in ``sources_dir`` and the one-line
    ``sources_list``; security archives are skipped.
    """
    candidates: list[str] = []
    for path in sorted(glob.glob(f"{glob.escape(sources_dir)}/*.sources")):
        candidates += _deb822_uris(_read(path))
    candidates += _one_line_uris(_read(sources_list))
    for path in sorted(glob.glob(f"{glob.escape(sources_dir)}/*.list")):
        candidates += _one_line_uris(_read(path))
    return next((uri for uri in candidates if _is_main_archive(uri)), "")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""  # no such file: no sources there

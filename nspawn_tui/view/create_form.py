"""The create form's logic without Textual: field values in, problems and a CreatePlan out.

:class:`FormValues` is what the form holds (text as typed, check boxes);
:func:`problems` says, per field, what is wrong with it (checked as typed,
never raising, whatever the text); :func:`build_plan` makes the
:class:`~nspawn_tui.create.model.CreatePlan` once nothing is.  Ports read
``tcp:8080:80, 2222:22``; bind mounts ``/srv/www, /data:/var/lib/data``
(the host path must exist).  The shell equivalents each section shows are
:mod:`nspawn_tui.view.create_preview`'s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal, cast

from nspawn_tui.create.bootstrap import boot_packages
from nspawn_tui.create.checks import complete_plan, foreign_problem
from nspawn_tui.create.model import (
    Bind,
    Bootstrapper,
    CreatePlan,
    CreateSupport,
    Distro,
    FirstBoot,
    NetworkMode,
    NspawnSetup,
    PortForward,
)
from nspawn_tui.create.names import validate_name
from nspawn_tui.create.nspawnfile import setup_problem
from nspawn_tui.images.names import name_problem as image_name_problem

DISTROS: Final[tuple[Distro, ...]] = ("debian", "ubuntu", "arch", "fedora", "clone")
DISTRO_LABELS: Final[dict[str, str]] = {
    "debian": "Debian",
    "ubuntu": "Ubuntu",
    "arch": "Arch Linux",
    "fedora": "Fedora",
    "clone": "Clone an image",
}
#: The release each distribution's form starts with.
DEFAULT_RELEASES: Final[dict[str, str]] = {"debian": "bookworm", "ubuntu": "noble", "fedora": "40"}
DEBIAN_FAMILY: Final = frozenset({"debian", "ubuntu"})
NETWORKS: Final[tuple[NetworkMode, ...]] = ("veth", "host", "bridge")
NETWORK_LABELS: Final[dict[str, str]] = {
    "veth": "private (veth)",
    "host": "the host's network",
    "bridge": "a bridge",
}

_RELEASE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_PACKAGE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9+._:@=-]{0,127}")
_TIMEZONE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
_LOCALE: Final = re.compile(r"[A-Za-z][A-Za-z0-9_.@-]{0,63}")
_BRIDGE: Final = re.compile(r"[A-Za-z0-9_.-]{1,15}")
_MIRROR: Final = re.compile(r"(https?|ftp|file)://[^\s'\"\\]+|file:/[^\s'\"\\]*")
_KEY_TYPES: Final = ("ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-")


def always_included(distro: str) -> tuple[str, ...]:
    """The packages every booting container gets, whatever the extra ones."""
    return boot_packages(distro) if distro in DISTROS else ()


@dataclass(frozen=True)
class FormValues:
    """The form's fields as typed (stripped when read)."""

    name: str = ""
    distro: str = "debian"
    release: str = "bookworm"
    mirror: str = ""
    signing_key: str = ""  # dnf with a mirror: the key's URL ("" = this host's)
    packages: str = ""
    minbase: bool = True
    directory: str = ""
    clone_source: str = ""
    hostname: str = ""
    password: str = ""
    password_again: str = ""
    ssh_key: str = ""
    timezone: str = ""
    locale: str = ""
    networkd: bool = False
    network: str = "veth"
    bridge: str = ""
    ports: str = ""
    binds: str = ""
    binds_ro: str = ""
    private_users: bool = False
    enable: bool = False
    start: bool = False


def bootstrapper_for(distro: str, support: CreateSupport) -> Bootstrapper | None:
    return next((b for b in support.bootstrappers if distro in b.distros), None)


def distro_problem_free(distro: str, support: CreateSupport) -> bool:
    """Whether ``distro`` can be bootstrapped here (a clone always can)."""
    if distro == "clone":
        return True
    tool = bootstrapper_for(distro, support)
    return tool is not None and tool.available


def name_problem(name: str, existing: frozenset[str] = frozenset()) -> str | None:
    """Why ``name`` cannot be the new machine's name (machined's rules, names taken), or None."""
    return validate_name(name, existing)


def split_words(text: str) -> list[str]:
    """``a, b c`` → ``["a", "b", "c"]``."""
    return [word for word in re.split(r"[,\s]+", text) if word]


def parse_ports(text: str) -> tuple[PortForward, ...]:
    """``tcp:8080:80, udp:53, 2222:22`` → port forwards; ValueError says what is wrong."""
    ports = []
    for item in split_words(text):
        parts = item.split(":")
        protocol = "tcp"
        if parts[0].lower() in ("tcp", "udp"):
            protocol = parts.pop(0).lower()
        if not 1 <= len(parts) <= 2 or not all(p.isascii() and p.isdigit() for p in parts):
            raise ValueError(f"'{item}': write [tcp:|udp:]HOST_PORT[:CONTAINER_PORT]")
        numbers = [int(p) for p in parts]
        if not all(1 <= n <= 65535 for n in numbers):
            raise ValueError(f"'{item}': a port is 1 to 65535")
        host_port, container_port = numbers[0], numbers[-1]
        ports.append(PortForward(host_port, container_port, cast(Literal["tcp", "udp"], protocol)))
    return tuple(ports)


def parse_binds(
    text: str, *, read_only: bool, exists: Callable[[str], bool] = os.path.exists
) -> tuple[Bind, ...]:
    """``/srv/www, /data:/var/lib/data`` → bind mounts; ValueError names a missing host path."""
    binds = []
    for item in split_words(text):
        host, _, inside = item.partition(":")
        if not host.startswith("/"):
            raise ValueError(f"'{item}': the host path must be absolute (/...)")
        if inside and not inside.startswith("/"):
            raise ValueError(f"'{item}': the path inside must be absolute (/...)")
        if ":" in inside:
            raise ValueError(f"'{item}': write HOST_PATH[:PATH_INSIDE]")
        if not exists(host):
            raise ValueError(f"{host} does not exist on the host")
        binds.append(Bind(host, inside if inside != host else "", read_only))
    return tuple(binds)


def ssh_key_is_line(text: str) -> bool:
    """Whether ``text`` is a public key line (else it is taken as a file's path)."""
    return text.startswith(_KEY_TYPES)


def expand_home(path: str) -> str:
    """``~/x`` and ``~user/x`` as a path; the text itself when it names no home."""
    try:
        return os.path.expanduser(path)
    except (ValueError, KeyError):  # "~\0": pwd refuses the name
        return path


def _ssh_key_problem(text: str, exists: Callable[[str], bool]) -> str | None:
    if not text:
        return None
    if ssh_key_is_line(text):
        if len(text.split()) < 2:
            return "a key line is TYPE KEY [COMMENT]"
        return None
    if not text.startswith(("/", "~")):
        return "give a public key line (ssh-ed25519 AAAA...) or the path of a .pub file"
    if "\0" in text or not exists(expand_home(text)):
        return f"{text} does not exist"
    return None


def _base_problems(v: FormValues, support: CreateSupport) -> dict[str, str]:
    found: dict[str, str] = {}
    problem = name_problem(v.name.strip(), support.existing)
    if problem is not None:
        found["name"] = problem
    distro = v.distro
    if distro == "clone":
        source = v.clone_source.strip()
        if not source:
            found["clone_source"] = "give the image to clone"
        elif source not in support.existing:
            found["clone_source"] = f"there is no image called {source}"
    else:
        tool = bootstrapper_for(distro, support)
        if tool is None:
            found["distro"] = f"no bootstrapper for {distro} on this host"
        elif not tool.available:
            found["distro"] = f"{tool.tool} is not installed: apt-get install {tool.package}"
        release = v.release.strip()
        if distro != "arch" and not _RELEASE.fullmatch(release):
            found["release"] = (
                "give a release (bookworm, noble, 40)"
                if not release
                else ("a release is letters, digits, '.', '_' and '-'")
            )
        mirror = v.mirror.strip()
        if mirror and not _MIRROR.fullmatch(mirror):
            found["mirror"] = "a mirror is a URL: http://, https://, ftp:// or file:/"
        bad = [p for p in split_words(v.packages) if not _PACKAGE.fullmatch(p)]
        if bad:
            found["packages"] = f"'{bad[0]}' is not a package name"
        if tool is not None and tool.available and distro in ("fedora", "arch"):
            found.update(_foreign_problems(v, distro, support))
    directory = v.directory.strip()
    if not directory.startswith("/") or "\n" in directory:
        found["directory"] = "the directory must be an absolute path"
    return found


def _foreign_problems(v: FormValues, distro: str, support: CreateSupport) -> dict[str, str]:
    """What dnf or pacstrap lacks here (create/repos.py), under the field that mends it."""
    plan = CreatePlan(
        "form", cast(Distro, distro), v.release.strip(), v.mirror.strip(),
        signing_key=v.signing_key.strip() if distro == "fedora" else "",
    )  # fmt: skip
    problem = foreign_problem(complete_plan(plan, support.foreign), support.foreign)
    if problem is None:
        return {}
    if "keyring" in problem:
        return {"distro": problem}
    return {"signing_key" if "key" in problem else "mirror": problem}


def _firstboot_problems(v: FormValues, exists: Callable[[str], bool]) -> dict[str, str]:
    found: dict[str, str] = {}
    hostname = v.hostname.strip()
    if hostname:
        problem = image_name_problem(hostname)
        if problem is not None:
            found["hostname"] = problem.replace("name", "host name", 1)
    if v.password != v.password_again and (v.password_again or not v.password):
        found["password_again"] = "the passwords differ"
    elif v.password and not v.password_again:
        found["password_again"] = "type the password again"
    problem = _ssh_key_problem(v.ssh_key.strip(), exists)
    if problem is not None:
        found["ssh_key"] = problem
    timezone = v.timezone.strip()
    if timezone and not _TIMEZONE.fullmatch(timezone):
        found["timezone"] = "a time zone is Area/City (Europe/Berlin) or UTC"
    locale = v.locale.strip()
    if locale and not _LOCALE.fullmatch(locale):
        found["locale"] = "a locale is like C.UTF-8 or de_DE.UTF-8"
    return found


def _settings_problems(v: FormValues, exists: Callable[[str], bool]) -> dict[str, str]:
    found: dict[str, str] = {}
    if v.network not in NETWORKS:
        found["network"] = "choose host, veth or bridge"
    if v.network == "bridge" and not _BRIDGE.fullmatch(v.bridge.strip()):
        found["bridge"] = "give the bridge's name (at most 15 characters, no '/')"
    try:
        ports = parse_ports(v.ports)
    except ValueError as exc:
        found["ports"] = str(exc)
    else:
        if ports and v.network == "host":
            found["ports"] = "port forwards need a private network (veth or bridge)"
    binds: list[Bind] = []
    for key, read_only in (("binds", False), ("binds_ro", True)):
        try:
            binds += parse_binds(getattr(v, key), read_only=read_only, exists=exists)
        except ValueError as exc:
            found[key] = str(exc)
    if not found:  # what the settings model itself refuses (the file is made with it)
        network = v.network if v.network in NETWORKS else "veth"
        setup = NspawnSetup(network, v.bridge.strip(), parse_ports(v.ports), tuple(binds))
        problem = setup_problem(setup, exists)
        if problem is not None:
            found["binds" if binds else "ports"] = problem
    return found


def problems(
    values: FormValues, support: CreateSupport, exists: Callable[[str], bool] = os.path.exists
) -> dict[str, str]:
    """What is wrong, by field name of :class:`FormValues`; empty when the plan can be made."""
    if support.refusal:
        return {"name": support.refusal}
    return {
        **_base_problems(values, support),
        **_firstboot_problems(values, exists),
        **_settings_problems(values, exists),
    }


def read_ssh_key(text: str) -> str:
    """The key line typed, or the first key line of the file named (blocking: a thread)."""
    text = text.strip()
    if not text or ssh_key_is_line(text):
        return text
    with open(expand_home(text), encoding="utf-8", errors="replace") as file:
        for line in file:
            if ssh_key_is_line(line.strip()):
                return line.strip()
    raise ValueError(f"{text} holds no public key line")


def build_plan(
    values: FormValues,
    support: CreateSupport,
    *,
    password_hash: str = "",
    ssh_key: str = "",
    exists: Callable[[str], bool] = os.path.exists,
) -> CreatePlan:
    """The plan of a form without problems (ValueError with the first one otherwise).

    The password arrives hashed (``password_hash``) and the key as its line
    (``ssh_key``, from :func:`read_ssh_key`): neither work happens here.
    """
    found = problems(values, support, exists)
    if found:
        field, message = next(iter(found.items()))
        raise ValueError(f"{field}: {message}")
    name = values.name.strip()
    distro = cast(Distro, values.distro)
    clone = distro == "clone"
    debian = distro in DEBIAN_FAMILY
    return CreatePlan(
        name=name,
        distro=distro,
        release="" if clone or distro == "arch" else values.release.strip(),
        mirror="" if clone else values.mirror.strip(),
        signing_key=values.signing_key.strip() if distro == "fedora" else "",
        packages=() if clone else tuple(split_words(values.packages)),
        variant="minbase" if debian and values.minbase else "",
        directory=values.directory.strip() or support.machines_dir,
        clone_source=values.clone_source.strip() if clone else "",
        firstboot=FirstBoot(
            hostname=values.hostname.strip() or name,
            root_password_hash=password_hash,
            root_ssh_key=ssh_key,
            timezone=values.timezone.strip(),
            locale=values.locale.strip(),
            enable_networkd=values.networkd,
        ),
        nspawn=NspawnSetup(
            network=cast(NetworkMode, values.network),
            bridge=values.bridge.strip() if values.network == "bridge" else "",
            ports=parse_ports(values.ports),
            binds=parse_binds(values.binds, read_only=False, exists=exists)
            + parse_binds(values.binds_ro, read_only=True, exists=exists),
            private_users=values.private_users,
        ),
        enable=values.enable,
        start=values.start,
    )


def switched_distro(values: FormValues, distro: str, support: CreateSupport) -> FormValues:
    """The values once ``distro`` is chosen: a release or mirror still at its default follows."""
    old = values.distro
    release, mirror = values.release, values.mirror
    if release.strip() in ("", DEFAULT_RELEASES.get(old, "")):
        release = DEFAULT_RELEASES.get(distro, "")
    if mirror.strip() in ("", default_mirror(old, support)):
        mirror = default_mirror(distro, support)
    return replace(values, distro=distro, release=release, mirror=mirror)


def default_mirror(distro: str, support: CreateSupport) -> str:
    """The host's apt mirror for Debian; the bootstrapper's own default otherwise."""
    return support.default_mirror if distro == "debian" else ""

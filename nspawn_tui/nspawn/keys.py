"""Known keys of .nspawn settings files (systemd.nspawn(5) of systemd 252) and their checks.

Only the sections ``[Exec]``, ``[Files]`` and ``[Network]`` exist. Resource
limits are unit properties, never .nspawn settings: they are refused here with
a message saying where they belong. This module never imports Textual.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from nspawn_tui.units.limits import LimitError, parse_cpu_list

RESOURCE_HINT: Final = (
    "resource limits are properties of the machine's unit: set them with the limits "
    "editor (systemctl set-property), not in a .nspawn file, where systemd-nspawn ignores them"
)


# ---------------------------------------------------------------- validation

Check = Callable[[str], str | None]  # error message, or None when fine

_TRUE: Final = frozenset({"1", "yes", "y", "true", "t", "on"})
_FALSE: Final = frozenset({"0", "no", "n", "false", "f", "off"})


def _is_bool(value: str) -> bool:
    return value.lower() in _TRUE | _FALSE


def _boolean(value: str) -> str | None:
    return None if _is_bool(value) else "takes a boolean (yes/no, true/false, on/off, 1/0)"


def _choice(*choices: str, boolean: bool = False) -> Check:
    def check(value: str) -> str | None:
        if value in choices or (boolean and _is_bool(value)):
            return None
        accepted = ", ".join(choices) + (" or a boolean" if boolean else "")
        return f"takes one of {accepted}"

    return check


def _regex(pattern: str, what: str, *, empty: bool = False) -> Check:
    compiled = re.compile(pattern)

    def check(value: str) -> str | None:
        if (empty and value == "") or compiled.fullmatch(value):
            return None
        return f"takes {what}"

    return check


def _any(empty: bool = True) -> Check:
    def check(value: str) -> str | None:
        return None if empty or value.strip() else "takes a value"

    return check


def _int_range(low: int, high: int) -> Check:
    def check(value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return f"takes an integer from {low} to {high}"
        return None if low <= number <= high else f"takes an integer from {low} to {high}"

    return check


def _private_users(value: str) -> str | None:
    if _is_bool(value) or value in ("pick", "identity") or re.fullmatch(r"\d+(:\d+)?", value):
        return None
    return "takes a boolean, 'pick', 'identity', or UID[:COUNT]"


def _cpu_list(value: str) -> str | None:
    try:
        parse_cpu_list(value)
    except LimitError as error:
        return f"takes a CPU list like 0-3,6 ({error.message})"
    return None


def _port(value: str) -> str | None:
    match = re.fullmatch(r"(?:(tcp|udp):)?(\d+)(?::(\d+))?", value)
    if match and all(1 <= int(p) <= 65535 for p in match.groups()[1:] if p is not None):
        return None
    return "takes [tcp:|udp:]HOSTPORT[:CONTAINERPORT] with ports from 1 to 65535"


_PATH_SPEC: Final = _regex(r"\+?/[^:]*(:[^:]*){0,2}", "SOURCE[:DEST[:OPTIONS]] with absolute paths")
_CAPS: Final = _regex(
    r"(all|(CAP_)?[A-Za-z_]+)([\s,]+(all|(CAP_)?[A-Za-z_]+))*",
    "capability names like CAP_NET_ADMIN, or 'all'",
    empty=True,
)
_LIMIT: Final = _regex(
    r"(infinity|[0-9][0-9A-Za-z.]*)(:(infinity|[0-9][0-9A-Za-z.]*))?",
    "a number or 'infinity', or SOFT:HARD",
)
_IFNAME: Final = _regex(r"[^\s:/]{1,15}", "a network interface name")
_RLIMITS: Final = (
    "CPU FSIZE DATA STACK CORE RSS NOFILE AS NPROC MEMLOCK LOCKS SIGPENDING MSGQUEUE NICE "
    "RTPRIO RTTIME"
).split()

#: Known keys by section: (check, repeatable)
KNOWN_KEYS: Final[dict[str, dict[str, tuple[Check, bool]]]] = {
    "Exec": {
        "Boot": (_boolean, False),
        "Ephemeral": (_boolean, False),
        "ProcessTwo": (_boolean, False),
        "Parameters": (_any(), True),
        "Environment": (
            _regex(r"[A-Za-z_][A-Za-z0-9_]*=.*", "VARIABLE=VALUE", empty=True),
            True,
        ),
        "User": (_any(empty=False), False),
        "WorkingDirectory": (_regex(r"/.*", "an absolute path"), False),
        "PivotRoot": (_regex(r"/[^:]*(:/[^:]*)?", "PATH[:PATH] with absolute paths"), False),
        "Capability": (_CAPS, True),
        "DropCapability": (_CAPS, True),
        "AmbientCapability": (_CAPS, True),
        "NoNewPrivileges": (_boolean, False),
        "KillSignal": (
            _regex(r"(SIG)?[A-Z0-9]+([+-]\d+)?|\d+", "a signal name like SIGRTMIN+3"),
            False,
        ),
        "Personality": (_regex(r"[a-z0-9_-]+", "an architecture such as x86 or x86-64"), False),
        "MachineID": (
            _regex(
                r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                "a 128-bit ID (32 hexadecimal digits)",
            ),
            False,
        ),
        "PrivateUsers": (_private_users, False),
        "NotifyReady": (_boolean, False),
        "SystemCallFilter": (_any(), True),
        **{f"Limit{name}": (_LIMIT, False) for name in _RLIMITS},
        "OOMScoreAdjust": (_int_range(-1000, 1000), False),
        "CPUAffinity": (_cpu_list, True),
        "Hostname": (_regex(r"[A-Za-z0-9._-]{1,64}", "a host name"), False),
        "ResolvConf": (
            _choice(
                "off",
                "copy-host",
                "copy-static",
                "copy-uplink",
                "copy-stub",
                "replace-host",
                "replace-static",
                "replace-uplink",
                "replace-stub",
                "bind-host",
                "bind-static",
                "bind-uplink",
                "bind-stub",
                "delete",
                "auto",
            ),
            False,
        ),
        "Timezone": (_choice("off", "copy", "bind", "symlink", "delete", "auto"), False),
        "LinkJournal": (
            _choice("no", "host", "try-host", "guest", "try-guest", "auto", boolean=True),
            False,
        ),
        "SuppressSync": (_boolean, False),
    },
    "Files": {
        "ReadOnly": (_boolean, False),
        "Volatile": (_choice("state", "overlay", boolean=True), False),
        "Bind": (_PATH_SPEC, True),
        "BindReadOnly": (_PATH_SPEC, True),
        "BindUser": (_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", "a user name", empty=True), True),
        "TemporaryFileSystem": (_regex(r"/[^:]*(:.*)?", "PATH[:OPTIONS]"), True),
        "Inaccessible": (_regex(r"/.*", "an absolute path"), True),
        "Overlay": (_regex(r"\+?/.*", "PATH:PATH[:PATH...]"), True),
        "OverlayReadOnly": (_regex(r"\+?/.*", "PATH:PATH[:PATH...]"), True),
        "PrivateUsersOwnership": (_choice("off", "chown", "map", "auto"), False),
        "PrivateUsersChown": (_boolean, False),
    },
    "Network": {
        "Private": (_boolean, False),
        "VirtualEthernet": (_boolean, False),
        "VirtualEthernetExtra": (
            _regex(r"[^\s:/]{1,15}(:[^\s:/]{1,15})?", "HOST[:CONTAINER]"),
            True,
        ),
        "Interface": (_IFNAME, True),
        "MACVLAN": (_IFNAME, True),
        "IPVLAN": (_IFNAME, True),
        "Bridge": (_IFNAME, False),
        "Zone": (_regex(r"[A-Za-z0-9_-]{1,12}", "a zone name (at most 12 characters)"), False),
        "Port": (_port, True),
    },
}

#: Unit properties that people sometimes put into .nspawn files.
_RESOURCE_KEYS: Final = frozenset(
    "CPUQuota CPUQuotaPeriodSec CPUWeight StartupCPUWeight CPUShares MemoryMax MemoryHigh "
    "MemoryLow MemoryMin MemorySwapMax MemoryLimit TasksMax IOWeight StartupIOWeight "
    "IODeviceWeight IOReadBandwidthMax IOWriteBandwidthMax AllowedCPUs AllowedMemoryNodes "
    "DeviceAllow DevicePolicy Slice Delegate CPUAccounting MemoryAccounting TasksAccounting "
    "IOAccounting".split()
)


def check_entry(section: str, key: str, value: str) -> str | None:
    """Why ``key=value`` in ``[section]`` is not accepted, or None when it is."""
    keys = KNOWN_KEYS.get(section)
    if keys is None:
        known = ", ".join(f"[{name}]" for name in KNOWN_KEYS)
        extra = f"; {RESOURCE_HINT}" if section.lower() in ("resource", "resources") else ""
        return f"unknown section [{section}]: a .nspawn file has only {known}{extra}"
    entry = keys.get(key)
    if entry is None:
        if key in _RESOURCE_KEYS:
            return f"{key}= is not a .nspawn setting: {RESOURCE_HINT}"
        return f"unknown key {key}= in [{section}]"
    problem = entry[0](value)
    return None if problem is None else f"{key}= {problem}, not '{value}'"


def is_repeatable(section: str, key: str) -> bool:
    entry = KNOWN_KEYS.get(section, {}).get(key)
    return entry is not None and entry[1]

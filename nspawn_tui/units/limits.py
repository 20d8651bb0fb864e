"""systemd resource-control value syntax: parse, validate, format.

The values follow systemd.resource-control(5) of systemd 252 and the way
``systemctl set-property`` turns them into D-Bus properties of a unit
(``SetUnitProperties(name, runtime, [(property, variant), ...])``):

=============  ==========================================  =====================
field          accepted text                               D-Bus property
=============  ==========================================  =====================
CPUQuota       ``20%``, ``150%``, empty (no quota)         CPUQuotaPerSecUSec t
CPUWeight      1..10000, ``idle``, empty (default)         CPUWeight t
MemoryMax      size (K, M, G, T; base 1024), ``N%``,       MemoryMax t or
MemoryHigh     ``infinity``, empty (no limit)              MemoryMaxScale u
MemorySwapMax
TasksMax       number, ``N%``, ``infinity``, empty         TasksMax t / TasksMaxScale u
IOWeight       1..10000, empty (default)                   IOWeight t
AllowedCPUs    CPU list ``0-3,6``, empty (all)             AllowedCPUs ay
=============  ==========================================  =====================

This module never imports Textual.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from nspawn_tui.units import UINT64_MAX
from nspawn_tui.units.names import unit_of

#: systemd's "infinity" / "unset" for 't' properties.
UINT32_MAX: Final = 2**32 - 1
#: The largest CPU index systemd accepts in a CPU set.
CPU_INDEX_LIMIT: Final = 8192
#: The largest quota systemd parses (an int number of permyriad).
_MAX_PERMYRIAD: Final = 2**31 - 1

# Largest first: the suffix used when formatting is the largest that divides.
_SIZE_SUFFIXES: Final = (
    ("E", 1024**6),
    ("P", 1024**5),
    ("T", 1024**4),
    ("G", 1024**3),
    ("M", 1024**2),
    ("K", 1024),
)
_SIZE_MULTIPLIER: Final = dict(_SIZE_SUFFIXES) | {"B": 1, "": 1}

_PERCENT_RE: Final = re.compile(r"(\d+)(?:\.(\d{1,2}))?%", re.ASCII)
_SIZE_RE: Final = re.compile(r"(\d+)(?:\.(\d+))?\s*([KMGTPEB]?)", re.ASCII)
_UINT_RE: Final = re.compile(r"\d+", re.ASCII)
_CPU_ITEM_RE: Final = re.compile(r"(\d+)(?:-(\d+))?", re.ASCII)


class LimitError(ValueError):
    """A value that systemd would not accept; the message says what would be."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class LimitField:
    """One editable resource-control property of a unit."""

    name: str  # systemd's name, e.g. "MemoryMax"
    label: str  # for people, e.g. "Memory max"
    help: str  # what is accepted
    kind: str  # "quota", "cpu-weight", "weight", "size", "tasks", "cpus"


LIMIT_FIELDS: Final[tuple[LimitField, ...]] = (
    LimitField(
        "CPUQuota",
        "CPU quota",
        "% of one CPU, e.g. 20% or 150% (1.5 CPUs); empty: no quota",
        "quota",
    ),
    LimitField(
        "CPUWeight",
        "CPU weight",
        "1 to 10000 (kernel default 100) or 'idle'; empty: default",
        "cpu-weight",
    ),
    LimitField(
        "MemoryMax",
        "Memory max",
        "size with K, M, G or T (base 1024) e.g. 300M, or % of RAM; infinity/empty: none",
        "size",
    ),
    LimitField(
        "MemoryHigh",
        "Memory high",
        "throttle above: size with K, M, G or T, or % of RAM; infinity/empty: none",
        "size",
    ),
    LimitField(
        "MemorySwapMax",
        "Swap max",
        "size with K, M, G or T, 0 for no swap, or %; infinity/empty: no limit",
        "size",
    ),
    LimitField(
        "TasksMax",
        "Tasks max",
        "number of tasks, or % of the system's maximum; infinity/empty: no limit",
        "tasks",
    ),
    LimitField(
        "IOWeight",
        "IO weight",
        "1 to 10000 (kernel default 100); empty: default",
        "weight",
    ),
    LimitField(
        "AllowedCPUs",
        "Allowed CPUs",
        "CPU indices or ranges, e.g. 0-3,6; empty: all CPUs",
        "cpus",
    ),
)

FIELDS_BY_NAME: Final[dict[str, LimitField]] = {f.name: f for f in LIMIT_FIELDS}

#: D-Bus property of a unit that holds each field's current value.
DBUS_PROPERTY: Final[dict[str, str]] = {
    "CPUQuota": "CPUQuotaPerSecUSec",
    "CPUWeight": "CPUWeight",
    "MemoryMax": "MemoryMax",
    "MemoryHigh": "MemoryHigh",
    "MemorySwapMax": "MemorySwapMax",
    "TasksMax": "TasksMax",
    "IOWeight": "IOWeight",
    "AllowedCPUs": "AllowedCPUs",
}

# Limits that systemd refuses to set to zero (its D-Bus minimum is 1).
_NONZERO: Final = frozenset({"MemoryMax", "MemoryHigh", "TasksMax"})


@dataclass(frozen=True, slots=True)
class LimitValue:
    """A parsed, valid value of one field."""

    name: str  # e.g. "MemoryMax"
    text: str  # canonical systemd syntax, "" for a reset
    prop: str  # D-Bus property to set, e.g. "MemoryMax" or "MemoryMaxScale"
    signature: str  # "t", "u" or "ay"
    value: int | bytes

    def to_dbus(self) -> tuple[str, str, object]:
        """``(property, signature, value)`` for ``SetUnitProperties``."""
        return (self.prop, self.signature, self.value)

    def to_systemctl(self) -> str:
        """The ``NAME=VALUE`` argument of ``systemctl set-property``."""
        return f"{self.name}={self.text}"


# ------------------------------------------------------------------ parsing


def _parse_permyriad(text: str) -> int | None:
    """ "12.5%" -> 1250; None when ``text`` is not a percentage."""
    match = _PERCENT_RE.fullmatch(text)
    if match is None:
        return None
    whole, frac = match.group(1), match.group(2) or ""
    return int(whole) * 100 + int(frac.ljust(2, "0") or "0")


def _format_permyriad(permyriad: int) -> str:
    whole, frac = divmod(permyriad, 100)
    if frac == 0:
        return f"{whole}%"
    return f"{whole}.{frac:02d}".rstrip("0") + "%"


def _scale_from_permyriad(permyriad: int) -> int:
    """systemd's UINT32_SCALE_FROM_PERMYRIAD: 100% == UINT32_MAX, rounded."""
    return (min(permyriad, 10000) * UINT32_MAX + 5000) // 10000


def parse_size(text: str) -> int | None:
    """systemd's parse_size(base 1024); None when ``text`` is not a size."""
    match = _SIZE_RE.fullmatch(text)
    if match is None:
        return None
    whole, frac, suffix = match.group(1), match.group(2) or "", match.group(3)
    multiplier = _SIZE_MULTIPLIER[suffix]
    size = int(whole) * multiplier
    if frac:
        size += int(frac) * multiplier // 10 ** len(frac)
    return size


def format_size(size: int) -> str:
    """Bytes in systemd syntax, exact: 314572800 -> "300M", 1000 -> "1000"."""
    if size >= UINT64_MAX:
        return "infinity"
    for suffix, multiplier in _SIZE_SUFFIXES:
        if size and size % multiplier == 0:
            return f"{size // multiplier}{suffix}"
    return str(size)


def parse_cpu_list(text: str) -> frozenset[int]:
    """ "0-3,6" (commas or whitespace) -> {0, 1, 2, 3, 6}; raises LimitError."""
    cpus: set[int] = set()
    for item in re.split(r"[\s,]+", text.strip()):
        if not item:
            continue
        match = _CPU_ITEM_RE.fullmatch(item)
        if match is None:
            raise LimitError(f"'{item}' is not a CPU index or range")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise LimitError(f"'{item}' is a backwards range")
        if last >= CPU_INDEX_LIMIT:
            raise LimitError(f"CPU {last} is out of range (at most {CPU_INDEX_LIMIT - 1})")
        cpus.update(range(first, last + 1))
    return frozenset(cpus)


def format_cpu_list(cpus: Iterable[int]) -> str:
    """{0, 1, 3} -> "0-1,3"."""
    ranges: list[str] = []
    ordered = sorted(set(cpus))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        ranges.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(ranges)


def cpus_to_mask(cpus: Iterable[int]) -> bytes:
    """CPU set as systemd's D-Bus 'ay' bitmask (bit n of byte n//8 = CPU n)."""
    cpu_list = list(cpus)
    if not cpu_list:
        return b""
    mask = bytearray(max(cpu_list) // 8 + 1)
    for cpu in cpu_list:
        mask[cpu // 8] |= 1 << (cpu % 8)
    return bytes(mask)


def mask_to_cpus(mask: bytes | bytearray | Iterable[int]) -> frozenset[int]:
    """The inverse of :func:`cpus_to_mask`."""
    return frozenset(
        index * 8 + bit
        for index, byte in enumerate(bytes(mask))
        for bit in range(8)
        if byte & (1 << bit)
    )


def _parse_quota(name: str, text: str) -> LimitValue:
    prop = "CPUQuotaPerSecUSec"
    if text in ("", "infinity"):
        return LimitValue(name, "", prop, "t", UINT64_MAX)
    permyriad = _parse_permyriad(text)
    if permyriad is None:
        raise LimitError(
            f"{name}: '{text}' is not a percentage; use e.g. 20% (of one CPU) or 150%, "
            "or leave it empty for no quota"
        )
    if permyriad <= 0:
        raise LimitError(f"{name}: {text} is too small; use more than 0%")
    if permyriad > _MAX_PERMYRIAD:
        raise LimitError(f"{name}: {text} is too large")
    # systemctl: permyriad * USEC_PER_SEC / 10000
    return LimitValue(name, _format_permyriad(permyriad), prop, "t", permyriad * 100)


def _parse_weight(name: str, text: str, *, idle: bool) -> LimitValue:
    if text == "":
        return LimitValue(name, "", name, "t", UINT64_MAX)
    if idle and text == "idle":
        return LimitValue(name, "idle", name, "t", 0)
    accepted = "a number from 1 to 10000" + (", 'idle'" if idle else "")
    if _UINT_RE.fullmatch(text) is None:
        raise LimitError(f"{name}: '{text}' is not a weight; use {accepted}, or empty for default")
    weight = int(text)
    if not 1 <= weight <= 10000:
        raise LimitError(f"{name}: {weight} is out of range; use {accepted}, or empty for default")
    return LimitValue(name, str(weight), name, "t", weight)


def _parse_scaled(name: str, text: str, permyriad: int) -> LimitValue:
    if permyriad > 10000:
        raise LimitError(f"{name}: {text} is more than 100%")
    if permyriad == 0 and name in _NONZERO:
        raise LimitError(f"{name}: 0% is too small; use 'infinity' or empty to remove the limit")
    return LimitValue(
        name, _format_permyriad(permyriad), f"{name}Scale", "u", _scale_from_permyriad(permyriad)
    )


def _parse_size_limit(name: str, text: str) -> LimitValue:
    if text in ("", "infinity"):
        return LimitValue(name, "infinity" if text else "", name, "t", UINT64_MAX)
    permyriad = _parse_permyriad(text)
    if permyriad is not None:
        return _parse_scaled(name, text, permyriad)
    size = parse_size(text)
    if size is None:
        raise LimitError(
            f"{name}: '{text}' is not a size; use a number with K, M, G or T (base 1024), "
            "a percentage, or 'infinity'"
        )
    if size >= UINT64_MAX:
        raise LimitError(f"{name}: {text} is too large; use 'infinity' for no limit")
    if size == 0 and name in _NONZERO:
        raise LimitError(f"{name}: 0 is too small; use 'infinity' or empty to remove the limit")
    return LimitValue(name, format_size(size), name, "t", size)


def _parse_tasks(name: str, text: str) -> LimitValue:
    if text in ("", "infinity"):
        return LimitValue(name, "infinity" if text else "", name, "t", UINT64_MAX)
    permyriad = _parse_permyriad(text)
    if permyriad is not None:
        return _parse_scaled(name, text, permyriad)
    if _UINT_RE.fullmatch(text) is None:
        raise LimitError(
            f"{name}: '{text}' is not a number of tasks; use a number, a percentage, or 'infinity'"
        )
    tasks = int(text)
    if tasks == 0:
        raise LimitError(f"{name}: 0 is too small; use 'infinity' or empty to remove the limit")
    if tasks >= UINT64_MAX:
        raise LimitError(f"{name}: {text} is too large; use 'infinity' for no limit")
    return LimitValue(name, str(tasks), name, "t", tasks)


def _parse_cpus(name: str, text: str) -> LimitValue:
    try:
        cpus = parse_cpu_list(text)
    except LimitError as error:
        raise LimitError(
            f"{name}: {error.message}; use CPU indices or ranges like 0-3,6, or empty for all"
        ) from None
    return LimitValue(name, format_cpu_list(cpus), name, "ay", cpus_to_mask(cpus))


def parse_limit(name: str, text: str) -> LimitValue:
    """Parse ``text`` for field ``name``; raise :class:`LimitError` if systemd would not."""
    field = FIELDS_BY_NAME.get(name)
    if field is None:
        known = ", ".join(FIELDS_BY_NAME)
        raise LimitError(f"{name}: not a limit nspawn-tui can set (known: {known})")
    text = text.strip()
    if field.kind == "quota":
        return _parse_quota(name, text)
    if field.kind in ("cpu-weight", "weight"):
        return _parse_weight(name, text, idle=field.kind == "cpu-weight")
    if field.kind == "size":
        return _parse_size_limit(name, text)
    if field.kind == "tasks":
        return _parse_tasks(name, text)
    return _parse_cpus(name, text)


def validate_all(values: Mapping[str, str]) -> tuple[dict[str, LimitValue], dict[str, str]]:
    """Parse every value: ``(parsed by field, error message by field)``."""
    parsed: dict[str, LimitValue] = {}
    errors: dict[str, str] = {}
    for name, text in values.items():
        try:
            parsed[name] = parse_limit(name, text)
        except LimitError as error:
            errors[name] = error.message
    return parsed, errors


# --------------------------------------------------------------- formatting


def format_limit(name: str, dbus_value: object) -> str:
    """A unit's current D-Bus property value (see :data:`DBUS_PROPERTY`) in systemd syntax."""
    field = FIELDS_BY_NAME.get(name)
    if field is None:
        raise LimitError(f"{name}: not a limit nspawn-tui knows")
    if field.kind == "cpus":
        if isinstance(dbus_value, bytes | bytearray | list | tuple):
            return format_cpu_list(mask_to_cpus(dbus_value))
        raise LimitError(f"{name}: expected a byte array, got {dbus_value!r}")
    if isinstance(dbus_value, bool) or not isinstance(dbus_value, int):
        raise LimitError(f"{name}: expected an integer, got {dbus_value!r}")
    value = dbus_value
    if field.kind == "quota":
        if value >= UINT64_MAX:
            return "infinity"
        return _format_permyriad((value + 50) // 100)
    if field.kind in ("cpu-weight", "weight"):
        if value >= UINT64_MAX:
            return ""
        if value == 0 and field.kind == "cpu-weight":
            return "idle"
        return str(value)
    if field.kind == "tasks":
        return "infinity" if value >= UINT64_MAX else str(value)
    return format_size(value)


def systemctl_command(unit: str, values: Mapping[str, str], runtime: bool) -> str:
    """The ``systemctl set-property`` command line equivalent to applying ``values``.

    ``unit`` is a unit name or a machine name (then ``systemd-nspawn@NAME.service``).
    Valid values are shown in canonical form, invalid ones as typed.
    """
    if not unit.endswith((".service", ".scope", ".slice")):
        unit = unit_of(unit)
    order = [f.name for f in LIMIT_FIELDS if f.name in values]
    order += [name for name in values if name not in FIELDS_BY_NAME]
    args = ["systemctl", "set-property"]
    if runtime:
        args.append("--runtime")
    args.append(unit)
    for name in order:
        try:
            args.append(parse_limit(name, values[name]).to_systemctl())
        except LimitError:
            args.append(f"{name}={values[name].strip()}")
    return shlex.join(args)

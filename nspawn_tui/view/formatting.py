"""Text forms of figures, shared by the UI and the ``list`` command (no Textual)."""

from __future__ import annotations

from typing import Final

from nspawn_tui.host.base import UNLIMITED

UNAVAILABLE: Final = "n/a"
INFINITY: Final = "∞"
_SCALED_UNITS: Final = "KMGTPE"
_UNLIMITED_FROM: Final = 2**62


def is_unlimited(value: int | None) -> bool:
    return value is not None and value >= _UNLIMITED_FROM


def format_bytes(value: int | float | None) -> str:
    """Bytes in base 1024 with systemd's suffixes: 512B, 1.5K, 300M, 12G."""
    if value is None:
        return UNAVAILABLE
    if value >= UNLIMITED or (value >= _UNLIMITED_FROM and isinstance(value, int)):
        return INFINITY
    amount = float(value)
    if -1024.0 < amount < 1024.0:
        return f"{int(amount)}B"
    # Called for every figure every second: comparisons rather than abs() and
    # a lookup of the last unit per step (the same results, a third faster).
    for unit in _SCALED_UNITS:
        amount /= 1024.0
        if -1024.0 < amount < 1024.0 or unit == "E":
            return f"{amount:.1f}{unit}" if amount < 10 else f"{amount:.0f}{unit}"
    raise AssertionError("unreachable")


def format_rate(value: float | None) -> str:
    if value is None:
        return UNAVAILABLE
    return f"{format_bytes(value)}/s"


def format_percent(value: float | None) -> str:
    if value is None:
        return UNAVAILABLE
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}"


def format_count(value: int | None) -> str:
    if value is None:
        return UNAVAILABLE
    if is_unlimited(value):
        return INFINITY
    return str(value)


def format_memory(current: int | None, limit: int | None) -> str:
    """ "180M/1.0G", "180M" when unlimited, "n/a" when not accounted ("n/a/300M" with a limit)."""
    if current is None:
        if limit is not None and not is_unlimited(limit):
            return f"{UNAVAILABLE}/{format_bytes(limit)}"
        return UNAVAILABLE
    if limit is None or is_unlimited(limit):
        return format_bytes(current)
    return f"{format_bytes(current)}/{format_bytes(limit)}"


def format_duration(seconds: float | None) -> str:
    """Coarse uptime: "45s", "12m", "3h 05m", "4d 02h". Changes rarely on purpose."""
    if seconds is None or seconds < 0:
        return ""
    total = int(seconds)
    if total < 60:
        return f"{total}s"
    minutes, _ = divmod(total, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def memory_fraction(current: int | None, limit: int | None) -> float | None:
    """Used share of the limit, or None when there is no (known) limit."""
    if current is None or limit is None or is_unlimited(limit) or limit <= 0:
        return None
    return current / limit

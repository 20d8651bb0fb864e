"""Image names and size limits, checked as systemd checks them, before anything is sent.

New image names follow the rules of a machine's name (systemd's
``hostname_is_valid()``, which importd applies to every name it creates and
nspawn to every machine it boots): 1 to 64 characters, ASCII letters,
digits, ``-`` and ``.``; no label (between dots) that is empty, starts or
ends with ``-``.  machined itself would accept more for a clone or a rename
(any file name), but such an image could not be booted under its name.

Limits take ``machinectl set-limit``'s syntax: a size in base 1024 (``10G``,
``512M``, ``1.5T``, bytes without a suffix), or ``none``/``infinity``/``-``
for no limit.
"""

from __future__ import annotations

from typing import Final

from nspawn_tui.units import UINT64_MAX

#: systemd's HOST_NAME_MAX: the longest machine (and importable image) name.
NAME_MAX: Final = 64
#: What SetImageLimit takes for "no limit".
NO_LIMIT: Final = UINT64_MAX
_NO_LIMIT_WORDS: Final = frozenset({"none", "infinity", "-"})
_LDH: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


class ImageNameError(ValueError):
    """A name or a limit systemd would refuse; the message says what it would take."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a new image's name, or None when it can."""
    if not name:
        return "the name is empty"
    if name == ".host":
        return "'.host' is the host itself"
    if len(name) > NAME_MAX:
        return f"the name is {len(name)} characters long; at most {NAME_MAX}"
    for char in name:
        if char != "." and char not in _LDH:
            shown = repr(char) if char.isprintable() and char != " " else f"U+{ord(char):04X}"
            return f"{shown} is not allowed: use letters a-z, A-Z, digits, '-' and '.'"
    for label in name.split("."):
        if not label:
            return "a name cannot start or end with '.' nor hold '..'"
        if label.startswith("-") or label.endswith("-"):
            return "a part of the name cannot start or end with '-'"
    return None


def check_name(name: str) -> str:
    """``name`` when it is valid for a new image; :class:`ImageNameError` otherwise."""
    problem = name_problem(name)
    if problem is not None:
        raise ImageNameError(problem)
    return name


def parse_image_limit(text: str) -> int:
    """Bytes of a limit typed in ``machinectl set-limit``'s syntax (:data:`NO_LIMIT`: none).

    :class:`ImageNameError` with what is accepted when systemd would refuse it.
    """
    value = text.strip()
    if not value:
        raise ImageNameError("give a size such as 10G or 512M, or 'none' for no limit")
    if value.lower() in _NO_LIMIT_WORDS:
        return NO_LIMIT
    from nspawn_tui.units import limits  # only when a limit is typed: not before the first frame

    size = limits.parse_size(value)  # systemd's parse_size(), base 1024
    if size is None:
        raise ImageNameError(
            f"'{value}' is not a size: use a number with K, M, G or T (base 1024), "
            "bytes without a suffix, or 'none'"
        )
    if size >= NO_LIMIT:
        raise ImageNameError(f"{value} is too large; use 'none' for no limit")
    if size == 0:
        raise ImageNameError("0 would leave no room; use 'none' to remove the limit")
    return size


def format_image_limit(limit: int | None) -> str:
    """A limit in the syntax :func:`parse_image_limit` reads: "10G", "none"."""
    if limit is None or limit >= NO_LIMIT:
        return "none"
    from nspawn_tui.units import limits

    return limits.format_size(limit)

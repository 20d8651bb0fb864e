"""A machine's name in a fleet: ``HOST/NAME`` (a machine or image name never holds a ``/``)."""

from __future__ import annotations

SEPARATOR = "/"


def qualify(host: str, name: str) -> str:
    return f"{host}{SEPARATOR}{name}"


def split(qualified: str) -> tuple[str, str]:
    """``("web1", "db")`` for ``"web1/db"``; ``("", name)`` for a name without a host."""
    host, sep, name = qualified.partition(SEPARATOR)
    return (host, name) if sep else ("", qualified)

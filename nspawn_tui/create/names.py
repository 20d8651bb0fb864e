"""The new container's name, checked as machined checks it, and against names already taken."""

from __future__ import annotations

from collections.abc import Collection

from nspawn_tui.images.names import name_problem
from nspawn_tui.safe import clean


def validate_name(name: str, existing: Collection[str] = ()) -> str | None:
    """Why ``name`` cannot be a new container's name, or None when it can.

    machined's rules (systemd's ``hostname_is_valid()``): 1 to 64 characters,
    ``[a-zA-Z0-9-.]``, not ``.host``, no empty label (a leading or trailing
    ``.``, or ``..``), no label starting or ending with ``-``; and no machine
    or image of that name (``existing``).
    """
    problem = name_problem(name)
    if problem is not None:
        return problem
    if name in existing:
        return f"a machine or image called {clean(name)} exists already"
    return None

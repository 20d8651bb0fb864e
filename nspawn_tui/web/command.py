"""The command each browser tab runs: ``python -m nspawn_tui --web-child`` and the host options.

textual-serve runs a command *string* through ``/bin/sh`` for every tab, so
every word is quoted (:func:`shlex.join`) and each option's value is glued to
it (``--host=VALUE``): a value that starts with ``-`` stays a value.  The
string starts with ``exec`` so the app is the tab's process itself, not a
child of a shell (it gets the server's quit and its signals).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["flag", "value", "repeat"]


@dataclass(frozen=True, slots=True)
class HostOption:
    """A host option of ``serve`` that each tab's app gets too."""

    dest: str
    flag: str
    kind: Kind


#: Every option of cli.py's "host" group (a test compares the two).
HOST_OPTIONS: Final[tuple[HostOption, ...]] = (
    HostOption("demo", "--demo", "flag"),
    HostOption("seed", "--seed", "value"),
    HostOption("demo_machines", "--demo-machines", "value"),
    HostOption("bus", "--bus", "value"),
    HostOption("interval", "--interval", "value"),
    HostOption("read_only", "--read-only", "flag"),
    HostOption("scrollback", "--scrollback", "value"),
    HostOption("host", "--host", "repeat"),
    HostOption("ssh_config", "--ssh-config", "value"),
    HostOption("config", "--config", "value"),
    HostOption("demo_hosts", "--demo-hosts", "value"),
    HostOption("or_demo", "--or-demo", "flag"),
)

WEB_CHILD: Final = "--web-child"


def host_words(args: argparse.Namespace, *, read_only: bool) -> list[str]:
    """The host options set in ``args`` as words; ``--read-only`` when ``read_only``."""
    words: list[str] = []
    for option in HOST_OPTIONS:
        value = getattr(args, option.dest, None)
        if option.dest == "read_only":
            value = bool(value) or read_only
        if value is None or value is False:
            continue
        if option.kind == "flag":
            words.append(option.flag)
        elif option.kind == "repeat":
            words.extend(f"{option.flag}={item}" for item in value)
        else:
            words.append(f"{option.flag}={value}")
    return words


def child_argv(options: Sequence[str], executable: str | None = None) -> list[str]:
    """The app of one tab: this Python, the package, ``--web-child`` and ``options``."""
    return [executable or sys.executable, "-m", "nspawn_tui", WEB_CHILD, *options]


def command_string(argv: Sequence[str]) -> str:
    """``argv`` as one ``/bin/sh`` command that runs exactly it (``exec``, each word quoted)."""
    if not argv:
        raise ValueError("an empty command")
    return "exec " + shlex.join(argv)

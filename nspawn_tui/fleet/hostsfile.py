"""The hosts of a fleet: ``--host`` values, or the ``[[hosts]]`` of the config file.

The config file is TOML (``$XDG_CONFIG_HOME/nspawn-tui/config.toml``, else
``~/.config/nspawn-tui/config.toml``)::

    [[hosts]]
    address = "local"              # this machine

    [[hosts]]
    address = "root@web1.example:2222"
    name = "web1"                  # optional: shown instead of the address
    group = "production"           # optional

Every mistake raises :class:`HostsError` naming the file, the line and the
key; nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nspawn_tui.remote.target import LOCAL, SshTarget, TargetError, parse_target

HOST_KEYS = frozenset({"address", "name", "group"})


class HostsError(ValueError):
    """A ``--host`` value or a hosts entry of the config file that cannot be used."""


def targets_from_options(values: Sequence[str]) -> list[SshTarget | None]:
    """``--host`` values in order; a value given twice is one host."""
    found: list[SshTarget | None] = []
    seen: set[str] = set()
    for value in values:
        try:
            target = parse_target(value)
        except TargetError as exc:
            raise HostsError(f"--host {exc}") from None
        label = LOCAL if target is None else target.name
        if label not in seen:
            seen.add(label)
            found.append(target)
    return found


def load_hosts(path: str | Path) -> list[SshTarget | None]:
    """The ``[[hosts]]`` of the config file at ``path`` ([] when it has none)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HostsError(f"{path}: cannot be read ({exc})") from None
    return parse_hosts(text, str(path))


def parse_hosts(text: str, where: str) -> list[SshTarget | None]:
    import tomllib  # only when a config file is there: not on every start

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # its message ends with "(at line N, column M)"
        raise HostsError(f"{where}: not valid TOML: {exc}") from None
    entries = data.get("hosts")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise HostsError(
            f"{where}, line {_line_of(text, 'hosts')}: 'hosts' must be a list of tables ([[hosts]])"
        )
    found: list[SshTarget | None] = []
    labels: set[str] = set()
    for index, entry in enumerate(entries):
        line = _entry_line(text, index)
        if line:
            at = f"{where}, line {line}"
        else:  # an inline list (hosts = [{...}, ...]): its line, and which entry
            at = f"{where}, line {_line_of(text, 'hosts')}, hosts entry {index + 1}"
        target = _entry(entry, at)
        label = LOCAL if target is None else target.name
        if label in labels:
            raise HostsError(f"{at}: the host {label!r} is listed twice")
        labels.add(label)
        found.append(target)
    return found


def _entry(entry: Any, at: str) -> SshTarget | None:
    if not isinstance(entry, dict):
        raise HostsError(f"{at}: each host is a table with 'address' ([[hosts]])")
    unknown = sorted(set(entry) - HOST_KEYS)
    if unknown:
        raise HostsError(
            f"{at}: unknown key {unknown[0]!r} (a host has {', '.join(sorted(HOST_KEYS))})"
        )
    for key in HOST_KEYS & set(entry):
        if not isinstance(entry[key], str):
            raise HostsError(f"{at}: {key!r} must be a string, not {type(entry[key]).__name__}")
    if "address" not in entry:
        raise HostsError(f"{at}: the host has no 'address' ([USER@]HOST[:PORT] or \"local\")")
    try:
        parse_target(entry["address"])
    except TargetError as exc:
        raise HostsError(f"{at}: 'address' {exc}") from None
    try:
        return parse_target(
            entry["address"], label=entry.get("name", ""), group=entry.get("group", "")
        )
    except TargetError as exc:  # the address is fine: the name is not
        raise HostsError(f"{at}: 'name' {exc}") from None


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*\[*\s*{re.escape(key)}\b", line):
            return number
    return 0


def _entry_line(text: str, index: int) -> int:
    """The line of the ``index``-th ``[[hosts]]`` header (0 when written another way)."""
    headers = [
        number
        for number, line in enumerate(text.splitlines(), 1)
        if re.fullmatch(r"\s*\[\[\s*hosts\s*\]\]\s*(#.*)?", line)
    ]
    return headers[index] if index < len(headers) else 0

"""Reading and checking the config file: every mistake is a :class:`ConfigProblem`.

A problem names the file, the line and the key; that entry keeps its default
and the rest of the file still applies.  A file that is not TOML at all
applies nothing (one problem, with tomllib's line and column).  The
``[[hosts]]`` are read by :mod:`nspawn_tui.fleet.hostsfile`; their mistakes are
problems here too (the fleet then falls back to this machine).
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nspawn_tui.config.lines import key_lines, line_of
from nspawn_tui.config.model import (
    COLUMN_KEYS,
    CONFIRM_DEFAULTS,
    CPU_MODES,
    MAX_INTERVAL,
    MAX_SCROLLBACK,
    MIN_INTERVAL,
    MIN_SCROLLBACK,
    Config,
    ConfigProblem,
)

TOP_KEYS = ("interval", "cpu", "columns", "sort", "scrollback", "theme", "keys", "confirm", "hosts")
_MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
#: a key name Textual accepts: a letter or digit, or a lower-case name ("f5", "question_mark")
_KEY_NAME = re.compile(rf"(?:(?:{'|'.join(_MODIFIERS)})\+)*(?:[A-Za-z0-9]|[a-z][a-z0-9_]*)")
_HOSTS_AT = re.compile(r".*?, line (\d+)(?:, hosts entry \d+)?: (.*)", re.DOTALL)


class _Problems:
    """The problems found so far, with the file's key lines to name them."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = key_lines(text)
        self.found: list[ConfigProblem] = []

    def add(self, path: tuple[str, ...], message: str, key: str | None = None) -> None:
        line = line_of(self.lines, *path)
        self.found.append(ConfigProblem(self.path, line, key or ".".join(path), message))


def default_config_path() -> str | None:
    """``$XDG_CONFIG_HOME/nspawn-tui/config.toml`` (``~/.config`` when unset); None without HOME."""
    base = os.environ.get("XDG_CONFIG_HOME") or ""
    if not base or not os.path.isabs(base):
        home = os.environ.get("HOME")
        if not home:
            return None
        base = os.path.join(home, ".config")
    return os.path.join(base, "nspawn-tui", "config.toml")


def config_path(path: str | None) -> str | None:
    """``path``, else the XDG file's (None without HOME and XDG_CONFIG_HOME)."""
    return path or default_config_path()


def load_config(path: str | None) -> Config:
    """The settings of the file at ``path`` (None: the XDG one; missing: the defaults).

    A ``path`` given but missing or unreadable is a problem; the XDG file missing is not.
    """
    if path is None:
        path = default_config_path()
        if path is None or not os.path.exists(path):
            return Config()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path, problems=(ConfigProblem(path, None, "", "no such file"),))
    except (OSError, UnicodeDecodeError) as exc:
        problem = ConfigProblem(path, None, "", f"cannot be read ({exc})")
        return Config(path=path, problems=(problem,))
    return parse_config(text, path)


def parse_config(text: str, path: str) -> Config:
    """The settings in ``text`` (the file at ``path``), with a problem for each mistake."""
    import tomllib  # only when there is a file: not on every start

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
        line = None
        if at:
            line = int(at.group(1))
            message = f"{message[: at.start()]} (column {at.group(2)})"
        problem = ConfigProblem(path, line, "", f"not valid TOML: {message}")
        return Config(path=path, problems=(problem,))
    problems = _Problems(path, text)
    settings: dict[str, Any] = {}
    for key, value in data.items():
        if key not in TOP_KEYS:
            problems.add((key,), f"unknown key (known: {', '.join(TOP_KEYS)})")
            continue
        if key == "hosts":
            _check_hosts(text, path, problems)
            continue
        _READERS[key](value, problems, settings)
    return dataclasses.replace(Config(), **settings, path=path, problems=tuple(problems.found))


# ---------------------------------------------------------------- the keys


def _quoted(text: str) -> str:
    """``text`` in double quotes, controls as escapes (JSON's)."""
    import json  # only when there is a problem to say: not on every start

    return json.dumps(text, ensure_ascii=False)


def _kind(value: object) -> str:
    kinds = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string"}
    kinds |= {list: "a list", dict: "a table"}
    return kinds.get(type(value), "a date or time")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _interval(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    number = _number(value)
    if number is None:
        problems.add(("interval",), f"must be a number of seconds, not {_kind(value)}")
    elif not MIN_INTERVAL <= number <= MAX_INTERVAL:
        problems.add(
            ("interval",), f"must be between {MIN_INTERVAL:g} and {MAX_INTERVAL:g}, not {number:g}"
        )
    else:
        settings["interval"] = number


def _cpu(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if value not in CPU_MODES:
        shown = _quoted(value) if isinstance(value, str) else _kind(value)
        problems.add(("cpu",), f'must be "core" or "host", not {shown}')
    else:
        settings["cpu_mode"] = value


def _column_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return f"a column is a string, not {_kind(value)}"
    if value not in COLUMN_KEYS:
        return f"unknown column {_quoted(value)} (known: {', '.join(COLUMN_KEYS)})"
    return None


def _columns(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if not isinstance(value, list):
        problems.add(("columns",), f"must be a list of columns, not {_kind(value)}")
        return
    for item in value:
        problem = _column_problem(item)
        if problem:
            problems.add(("columns",), problem)
            return
    twice = [key for index, key in enumerate(value) if key in value[:index]]
    if twice:
        problems.add(("columns",), f"{_quoted(twice[0])} is listed twice")
    elif "name" not in value:
        problems.add(("columns",), 'must include "name"')
    else:
        # all of them in the default order is the default: None
        settings["columns"] = None if tuple(value) == COLUMN_KEYS else tuple(value)


def _sort(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    reverse = isinstance(value, str) and value.startswith("-")
    key = value[1:] if isinstance(value, str) and reverse else value
    problem = _column_problem(key)
    if problem:
        problems.add(("sort",), problem.replace("a column is", "must be"))
    else:
        settings["sort"], settings["sort_reverse"] = key, reverse


def _scrollback(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(("scrollback",), f"must be a whole number of lines, not {_kind(value)}")
    elif not MIN_SCROLLBACK <= value <= MAX_SCROLLBACK:
        problems.add(
            ("scrollback",), f"must be between {MIN_SCROLLBACK} and {MAX_SCROLLBACK}, not {value}"
        )
    else:
        settings["scrollback"] = value


def _theme(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if not isinstance(value, str) or not value.strip():
        kind = "an empty string" if isinstance(value, str) else _kind(value)
        problems.add(("theme",), f"must be the name of a theme, not {kind}")
    else:
        settings["theme"] = value


#: Key names Textual shortens (its textual.keys.KEY_NAME_REPLACEMENTS, Textual 8).
_SHORT_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a key name Textual accepts (None when it is)."""
    if _KEY_NAME.fullmatch(key):
        return None
    shown = _quoted(key)
    if len(key) == 1 and key.isprintable() and not key.isspace():
        name = unicodedata.name(key, "").lower().replace(" ", "_").replace("-", "_")
        name = _SHORT_NAMES.get(name, name)  # Textual's own names for these six
        if name:
            return f'{shown} is not a key name: write "{name}"'
    return f'{shown} is not a key name (e.g. "K", "ctrl+x", "f5", "question_mark")'


def _binding_ids(table: dict[str, Any], prefix: str = "") -> list[tuple[str, tuple[str, ...], Any]]:
    """(binding id, its path under [keys], keys) of a table, nested tables flattened."""
    found: list[tuple[str, tuple[str, ...], Any]] = []
    for name, value in table.items():
        if isinstance(value, dict):
            for binding, path, keys in _binding_ids(value, f"{prefix}{name}."):
                found.append((binding, (name, *path), keys))
        else:
            found.append((f"{prefix}{name}", (name,), value))
    return found


def _keys(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        problems.add(("keys",), f"must be a table ([keys]), not {_kind(value)}")
        return
    keys: dict[str, tuple[str, ...]] = {}
    lines: dict[str, int] = {}
    for binding, path, given in _binding_ids(value):
        where = ("keys", binding) if ("keys", binding) in problems.lines else ("keys", *path)
        name = f"keys.{binding}"
        chosen = [given] if isinstance(given, str) else given
        if not isinstance(chosen, list) or not all(isinstance(k, str) for k in chosen):
            problems.add(where, f"must be a key or a list of keys, not {_kind(given)}", name)
            continue
        if not chosen:
            problems.add(where, "needs at least one key", name)
            continue
        problem = next((p for p in map(key_problem, chosen) if p), None)
        if problem:
            problems.add(where, problem, name)
            continue
        keys[binding] = tuple(chosen)
        line = line_of(problems.lines, *where)
        if line is not None:
            lines[binding] = line
    settings["keys"], settings["key_lines"] = keys, lines


def _confirm(value: object, problems: _Problems, settings: dict[str, Any]) -> None:
    if not isinstance(value, dict):
        problems.add(("confirm",), f"must be a table ([confirm]), not {_kind(value)}")
        return
    confirm = dict(CONFIRM_DEFAULTS)
    for name, ask in value.items():
        if name not in CONFIRM_DEFAULTS:
            known = ", ".join(CONFIRM_DEFAULTS)
            problems.add(("confirm", name), f"unknown action class (known: {known})")
        elif not isinstance(ask, bool):
            problems.add(("confirm", name), f"must be true or false, not {_kind(ask)}")
        else:
            confirm[name] = ask
    settings["confirm"] = confirm


def _check_hosts(text: str, path: str, problems: _Problems) -> None:
    """The fleet's own reader says what is wrong with ``[[hosts]]``."""
    from nspawn_tui.fleet.hostsfile import HostsError, parse_hosts  # only with [[hosts]]

    try:
        parse_hosts(text, path)
    except HostsError as exc:
        match = _HOSTS_AT.fullmatch(str(exc))
        if match:
            line = int(match.group(1))
            problems.found.append(ConfigProblem(path, line or None, "hosts", match.group(2)))
        else:
            problems.add(("hosts",), str(exc))


_READERS: dict[str, Callable[[object, _Problems, dict[str, Any]], None]] = {
    "interval": _interval,
    "cpu": _cpu,
    "columns": _columns,
    "sort": _sort,
    "scrollback": _scrollback,
    "theme": _theme,
    "keys": _keys,
    "confirm": _confirm,
}


def with_options(config: Config, *, interval: float | None, scrollback: int | None) -> Config:
    """``config`` with what the command line gave (None: not given, the file's or default)."""
    changes: dict[str, Any] = {}
    if interval is not None:
        changes["interval"] = interval
    if scrollback is not None:
        changes["scrollback"] = scrollback
    return dataclasses.replace(config, **changes) if changes else config

"""Where a key is written in a TOML file: ``tomllib`` gives values, not positions.

A line-by-line scan that knows table headers (``[keys]``, ``[[hosts]]``) and
``key = value`` lines (bare, quoted and dotted keys); lines inside a
multi-line string or array are not keys, so they are skipped while one is open.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"\s*\[(\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
#: a key (bare, "quoted" or 'literal', dotted) followed by "="
_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*="""
)
_PART = re.compile(r"""[A-Za-z0-9_-]+|"((?:[^"\\]|\\.)*)"|'([^']*)'""")


def _parts(key: str) -> tuple[str, ...]:
    parts = []
    for match in _PART.finditer(key):
        if match.group(1) is not None:
            parts.append(match.group(1).encode().decode("unicode_escape", "replace"))
        elif match.group(2) is not None:
            parts.append(match.group(2))
        else:
            parts.append(match.group(0))
    return tuple(parts)


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Each key's first line: ``("interval",)``, ``("keys", "dashboard.kill")``, ``("keys",)``.

    A table header is the line of its own path; a dotted key under ``[keys]``
    (``dashboard.kill = "K"``) is found as ``("keys", "dashboard", "kill")``.
    """
    found: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    open_quote = ""  # the delimiter of a multi-line string being read
    depth = 0  # brackets of a multi-line array being read
    for number, line in enumerate(text.splitlines(), 1):
        if open_quote:
            if open_quote in line:
                open_quote = ""
            continue
        if depth > 0:
            depth += _brackets(line)
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            table = _parts(header.group(2))
            found.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        found.setdefault((*table, *_parts(key.group(1))), number)
        value = line[key.end() :]
        for quote in ('"""', "'''"):
            if value.count(quote) % 2 == 1:
                open_quote = quote
        if not open_quote:
            depth = max(0, _brackets(value))
    return found


def _brackets(text: str) -> int:
    """Open minus closed array brackets on a line (strings and comments aside)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", text).split("#", 1)[0]
    return text.count("[") - text.count("]")


def line_of(lines: dict[tuple[str, ...], int], *path: str) -> int | None:
    """The line of ``path``, else of the nearest enclosing table written in the file."""
    for end in range(len(path), 0, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None

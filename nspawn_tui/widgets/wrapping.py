"""Wrapping the detail panel's lines: at spaces and after a path's ``/``, under the value.

No widget here: :func:`wrap_line` is shared by the panel's text and its graph titles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from rich.cells import chop_cells

from nspawn_tui.safe import cell_width

#: "Cgroup:    ": continuation lines of a wrapped value start under the value
_LABEL: Final = re.compile(r"[A-Za-z][A-Za-z ]*: +")
_WORD: Final = re.compile(r"([^ ]+)( *)")
#: the parts of a path, each with its separator: "/", "machine.slice/", "x.service"
_PATH_PART: Final = re.compile(r"[^/]*/|[^/]+")


#: a piece of a line: its text, the spaces after it, its width, and on the
#: first piece of a path the whole path's width (else 0)
_Chunk = tuple[str, str, int, int]


def _chunks(text: str) -> Iterator[_Chunk]:
    """Pieces a line may break between, each with the spaces after it.

    Words break at spaces; absolute paths also after each ``/`` (no space).
    """
    for match in _WORD.finditer(text):
        word, spaces = match.groups()
        if word.startswith("/") and len(word) > 1:
            parts = _PATH_PART.findall(word)
            whole = cell_width(word)
            for part in parts[:-1]:
                yield part, "", cell_width(part), whole
                whole = 0
            yield parts[-1], spaces, cell_width(parts[-1]), whole
        else:
            yield word, spaces, cell_width(word), 0


def _groups(text: str) -> list[list[_Chunk]]:
    """The chunks of ``text`` in groups: fields apart by two spaces or more."""
    groups: list[list[_Chunk]] = [[]]
    for chunk in _chunks(text):
        groups[-1].append(chunk)
        if len(chunk[1]) >= 2:
            groups.append([])
    return [group for group in groups if group]


def wrap_line(line: str, width: int) -> list[str]:
    """``line`` (cleaned text) in lines of at most ``width`` cells.

    Breaks at spaces and after the ``/`` of paths, never mid-word unless a
    word is longer than a whole line; a field (words apart by single spaces,
    as "peak 500M") or a path goes whole to the next line when it fits there
    under the value.  Continuation lines of a "Label:  value" line are indented
    under the value (less when that is what lets a path part fit).
    """
    if width <= 0 or cell_width(line) <= width:
        return [line]
    label = _LABEL.match(line)
    if label is not None and label.end() <= width // 2:
        indent = label.end()
    else:  # a continuation line ("           host0 up ..."): under its own start
        indent = min(len(line) - len(line.lstrip(" ")), width // 2)
    body = line.lstrip(" ")
    lines: list[str] = []
    current = line[: len(line) - len(body)]
    used = len(current)
    gap = ""

    def new_line(size: int) -> None:
        nonlocal current, used, gap
        lines.append(current)
        pad = min(indent, max(0, width - size))
        current, used, gap = " " * pad, pad, ""

    for group in _groups(body):
        whole = sum(size + len(spaces) for _, spaces, size, _ in group) - len(group[-1][1])
        if used + len(gap) + whole > width and indent + whole <= width and current.strip():
            new_line(whole)
        for chunk, spaces, size, path in group:
            if (
                path
                and used + len(gap) + path > width
                and indent + path <= width
                and current.strip()
            ):
                new_line(path)  # a path goes whole to the next line if it fits there
            elif used + len(gap) + size > width and current.strip():
                new_line(size)
            current += gap
            used += len(gap)
            pad = min(width - 1, len(current) - len(current.lstrip(" ")))
            while used + size > width:  # longer than the line: folded (mid-word, no choice)
                room = width - used
                head = chop_cells(chunk, room)[0] if room > 0 else ""
                if not head:  # not even its first character fits here
                    if used:
                        if current.strip():
                            lines.append(current)
                        current, used = "", 0
                        continue
                    head = chunk[:1]  # a double-width character on a 1-cell line
                lines.append(current + head)
                chunk = chunk[len(head) :]
                size = cell_width(chunk)
                current, used = " " * pad, pad  # the rest under its start
            current += chunk
            used += size
            gap = spaces
    if current.strip() or not lines:
        lines.append(current)
    return [text.rstrip(" ") for text in lines]

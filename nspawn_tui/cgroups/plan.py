"""Read plans: a cgroup's kept descriptors and parsers, read without a lookup per file.

Internal to :mod:`~nspawn_tui.cgroups.reader`, which builds the plans (during a
full read, file by file through its per-directory state) and decides when one
is valid.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Final

from nspawn_tui.cgroups.figures import FastParse, Parse, fast_for, parse_bytes
from nspawn_tui.cgroups.layout import CgroupPaths

CHUNK: Final = 4096
#: a first read of CHUNK bytes shorter than this holds the whole file (seq_file
#: records are short; a record that does not fit the kernel's page is left for later)
SHORT_READ: Final = CHUNK - 512
#: files shorter than this are read with a SMALL buffer by a plan (a small bytes
#: object is cheaper to allocate); a read that fills the buffer reads the rest
SMALL_FILE: Final = 192
SMALL: Final = 256
NEVER: Final = float("-inf")
pread: Final = os.pread

#: a kept descriptor of a file read at every sweep: (fd, buffer size, whole-file
#: bound, fast parser, parser)
Entry = tuple[int, int, int, FastParse, Parse]
#: the other files of a figure, tried when the first gives nothing:
#: (entries, whether they are all the files of the figure), or None
More = tuple[tuple[Entry, ...], bool] | None
#: one figure, but for its first descriptor: (slot, size, bound, fast, parse, more)
Step = tuple[int, int, int, FastParse, Parse, More]


def entry(fd: int, length: int, parse: Parse) -> Entry:
    """*fd* of a file of *length* bytes."""
    size, bound = (SMALL, SMALL) if length < SMALL_FILE else (CHUNK, SHORT_READ)
    return (fd, size, bound, fast_for(parse), parse)


@dataclass(slots=True)
class DirState:
    """What the reader knows of one cgroup directory."""

    ident: tuple[int, int]  # (st_dev, st_ino) of the directory when first seen
    verified_at: float
    fds: dict[str, int] = field(default_factory=dict)
    missing: dict[str, float] = field(default_factory=dict)  # file -> re-check time
    slow: dict[str, tuple[float, object]] = field(default_factory=dict)  # file -> (read at, value)
    plans: list[Plan] = field(default_factory=list)  # the plans that use this directory


#: a slow file of a plan: (slot, its directory's state, file name, fd, parser)
SlowFile = tuple[int, DirState, str, int, Parse]


@dataclass(slots=True)
class Plan:
    """How to read one cgroup (one :class:`CgroupPaths` object) until *deadline*.

    *deadline* is the first of: *hard* (a missing file is due for a re-check:
    only a full read does that), *verify_at* (the directories' identity is
    due for a check) and *slow_at* (the slow files are due). The reader
    renews a plan past the last two without a full read. Whatever closes a
    descriptor of these directories or clears their slow values sets
    *deadline* to NEVER first.
    """

    paths: CgroupPaths
    steps: tuple[Step, ...]  # shared by the plans of the same shape
    fds: tuple[int, ...]  # the first descriptor of each step
    base: list[Any]  # SLOTS values: the slow ones, None for the others
    dirs: tuple[tuple[str, DirState], ...]
    slow: tuple[SlowFile, ...] | None  # None: a slow file is not kept open
    hard: float
    verify_at: float
    slow_at: float
    deadline: float = NEVER


@dataclass(slots=True)
class Draft:
    """What a full read learns, for the plan of the next reads."""

    steps: list[Step] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    used: dict[str, DirState] = field(default_factory=dict)
    slow: list[SlowFile] | None = field(default_factory=list)
    hard: float = float("inf")
    slow_at: float = float("inf")
    possible: bool = True

    def file(
        self, state: DirState | None, directory: str, name: str, data: bytes | None
    ) -> int | None:
        """Note a file just read; its kept descriptor when a plan can read it."""
        if state is None:
            self.possible = False  # the directory is gone
            return None
        self.used[directory] = state
        fd = state.fds.get(name)
        if data is not None and fd is not None:
            return fd
        until = state.missing.get(name)
        if data is None and until is not None:
            self.hard = min(self.hard, until)  # skipped until its re-check
        else:
            self.possible = False  # not kept (max_fds), or a transient failure
        return None

    def slow_file(
        self, state: DirState | None, directory: str, slot: int, name: str, parse: Parse
    ) -> None:
        """Note a slow file whose value :meth:`CgroupReader._get_slow` just gave."""
        cached = None if state is None else state.slow.get(name)
        if state is None or cached is None:
            self.possible = False
            return
        self.used[directory] = state
        self.slow_at = min(self.slow_at, cached[0])
        if (fd := state.fds.get(name)) is not None:
            if self.slow is not None:
                self.slow.append((slot, state, name, fd, parse))
        elif (until := state.missing.get(name)) is not None:
            self.hard = min(self.hard, until)
        else:
            self.slow = None  # read without keeping it: only a full read does that

    def step(self, slot: int, entries: list[Entry], complete: bool) -> None:
        """The files of one figure that a plan reads, in order."""
        if entries:
            (fd, size, bound, fast, parse), rest = entries[0], tuple(entries[1:])
            more = (rest, complete) if rest or not complete else None
            self.steps.append((slot, size, bound, fast, parse, more))
            self.fds.append(fd)
        elif not complete:
            self.possible = False


class Unsure(Exception):
    """A plan cannot tell (a file it did not open may be needed): make a full read."""


def read_entries(entries: tuple[Entry, ...], complete: bool) -> Any:
    """A plan's other files for one figure, after the first gave nothing."""
    for fd, size, bound, fast, parse in entries:
        data = pread(fd, size, 0)
        if len(data) >= bound:
            data = read_rest(fd, data)
        value = parse_bytes(fast, parse, data)
        if value is not None:
            return value
    if not complete:
        raise Unsure  # the full read did not need the next file: it may not be open
    return None


def read_rest(fd: int, first: bytes) -> bytes:
    """*first* and what follows it in the file."""
    chunks = [first]
    offset = len(first)
    while chunk := pread(fd, CHUNK, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def pread_all(fd: int) -> bytes:
    first = pread(fd, CHUNK, 0)
    if len(first) < SHORT_READ:
        return first
    return read_rest(fd, first)

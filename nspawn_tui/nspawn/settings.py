""".nspawn settings files (systemd.nspawn(5) of systemd 252): find, parse, edit, write.

A :class:`SettingsFile` keeps every line as it was read (comments, blank
lines, order, repeated keys, line endings), so an unchanged file renders back
byte for byte and an edit changes only the lines it touches.

Resource limits (MemoryMax=, CPUQuota=, ...) are *not* .nspawn settings: they
are properties of the machine's unit, set with ``systemctl set-property`` (see
:mod:`nspawn_tui.units.limits`). A ``[Resource]`` section or ``MemoryMax=`` here
would be silently ignored by systemd-nspawn, so they are refused.

This module never imports Textual.
"""

from __future__ import annotations

import enum
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nspawn_tui.nspawn import ETC_DIR
from nspawn_tui.nspawn.keys import KNOWN_KEYS, check_entry, is_repeatable

RUN_DIR: Final = Path("/run/systemd/nspawn")
ENCODING: Final = "utf-8"
ERRORS: Final = "surrogateescape"  # undecodable bytes survive a round trip
COMMENTS: Final = ("#", ";")


class SettingsError(ValueError):
    """A settings file or edit that systemd-nspawn would not accept."""


# ------------------------------------------------------------------ the file


class LineKind(enum.Enum):
    BLANK = "blank"
    COMMENT = "comment"
    SECTION = "section"
    ENTRY = "entry"
    INVALID = "invalid"


@dataclass(slots=True)
class Line:
    """One logical line: one physical line, or several joined by backslashes."""

    raw: str  # exactly as read, line endings included
    kind: LineKind
    section: str | None  # the section it is in (its own name for a header)
    key: str = ""
    value: str = ""
    dangling: bool = False  # ends in a continuation that reached the end of the file


@dataclass(frozen=True, slots=True)
class Problem:
    line: int  # 1-based number of the first physical line
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


def _physical_lines(text: str) -> list[str]:
    """Split on "\\n" only, keeping the endings (str.splitlines splits on more)."""
    lines = text.split("\n")
    result = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        result.append(lines[-1])
    return result


def _strip_eol(raw: str) -> str:
    return raw.rstrip("\n").rstrip("\r")


def _continues(content: str) -> bool:
    return content.rstrip().endswith("\\")


class SettingsFile:
    """A parsed .nspawn file that renders back to exactly what was read."""

    def __init__(self, lines: list[Line], newline: str = "\n") -> None:
        self.lines = lines
        self.newline = newline

    @classmethod
    def parse(cls, text: str) -> SettingsFile:
        """Parse leniently: unknown keys are kept (see :meth:`problems`)."""
        physical = _physical_lines(text)
        newline = "\r\n" if physical and physical[0].endswith("\r\n") else "\n"
        lines: list[Line] = []
        section: str | None = None
        i = 0
        while i < len(physical):
            raw = physical[i]
            content = _strip_eol(raw).strip()
            i += 1
            if not content:
                lines.append(Line(raw, LineKind.BLANK, section))
            elif content.startswith(COMMENTS):
                lines.append(Line(raw, LineKind.COMMENT, section))
            elif content.startswith("["):
                if content.endswith("]") and len(content) > 2:
                    section = content[1:-1]
                    lines.append(Line(raw, LineKind.SECTION, section))
                else:
                    lines.append(Line(raw, LineKind.INVALID, section))
            else:
                parts: list[str] = []
                dangling = False
                while _continues(content):
                    parts.append(content.rstrip()[:-1].strip())
                    content = ""
                    # a comment block inside a continued line is skipped
                    while i < len(physical) and _strip_eol(physical[i]).strip().startswith(
                        COMMENTS
                    ):
                        raw += physical[i]
                        i += 1
                    if i == len(physical):
                        dangling = True
                        break
                    content = _strip_eol(physical[i]).strip()
                    raw += physical[i]
                    i += 1
                parts.append(content)
                joined = " ".join(p for p in parts if p)
                kind = LineKind.ENTRY if "=" in joined else LineKind.INVALID
                key, _, value = joined.partition("=") if "=" in joined else ("", "", "")
                lines.append(Line(raw, kind, section, key.strip(), value.strip(), dangling))
        return cls(lines, newline)

    def render(self) -> str:
        return "".join(line.raw for line in self.lines)

    def _numbered(self) -> Iterator[tuple[int, Line]]:
        number = 1
        for line in self.lines:
            yield number, line
            number += max(1, line.raw.count("\n"))

    def problems(self) -> list[Problem]:
        """Everything systemd-nspawn would ignore or refuse, by line."""
        found: list[Problem] = []
        reported_sections: set[str] = set()
        for number, line in self._numbered():
            if line.kind is LineKind.INVALID:
                text = _strip_eol(line.raw).strip()
                found.append(Problem(number, f"'{text}' is neither [Section] nor Key=Value"))
            elif line.kind is LineKind.SECTION:
                assert line.section is not None
                if line.section not in KNOWN_KEYS and line.section not in reported_sections:
                    reported_sections.add(line.section)
                    message = check_entry(line.section, "", "")
                    assert message is not None
                    found.append(Problem(number, message))
            elif line.kind is LineKind.ENTRY:
                if line.section is None:
                    found.append(Problem(number, f"{line.key}= comes before any [Section]"))
                elif line.section in KNOWN_KEYS:
                    message = check_entry(line.section, line.key, line.value)
                    if message is not None:
                        found.append(Problem(number, message))
        return found

    def validate(self) -> None:
        """Raise :class:`SettingsError` listing every problem."""
        found = self.problems()
        if found:
            raise SettingsError("; ".join(str(p) for p in found))

    # ------------------------------------------------------------- queries

    def sections(self) -> list[str]:
        seen: list[str] = []
        for line in self.lines:
            if line.kind is LineKind.SECTION and line.section not in seen:
                assert line.section is not None
                seen.append(line.section)
        return seen

    def _indices(self, section: str, key: str) -> list[int]:
        return [
            i
            for i, line in enumerate(self.lines)
            if line.kind is LineKind.ENTRY and line.section == section and line.key == key
        ]

    def get(self, section: str, key: str) -> list[str]:
        """Every value of ``key`` in ``section``, in file order."""
        return [self.lines[i].value for i in self._indices(section, key)]

    def entries(self) -> list[tuple[str, str, str]]:
        return [
            (line.section, line.key, line.value)
            for line in self.lines
            if line.kind is LineKind.ENTRY and line.section is not None
        ]

    # --------------------------------------------------------------- edits

    def _entry(self, section: str, key: str, value: str) -> Line:
        if "\n" in value or "\r" in value:
            raise SettingsError(f"{key}= value must be on one line")
        message = check_entry(section, key, value.strip())
        if message is not None:
            raise SettingsError(message)
        value = value.strip()
        return Line(f"{key}={value}{self.newline}", LineKind.ENTRY, section, key, value)

    def _insertion_point(self, section: str) -> int:
        """After the last entry (or header) of the last block of ``section``; -1 if absent."""
        point = -1
        for i, line in enumerate(self.lines):
            if line.section == section and line.kind in (LineKind.SECTION, LineKind.ENTRY):
                point = i + 1
        return point

    def _ensure_terminated(self, index: int) -> None:
        """Give line ``index - 1`` an ending, so that a line inserted after it stays apart."""
        if index <= 0:
            return
        line = self.lines[index - 1]
        if not line.raw.endswith("\n"):
            line.raw += self.newline
        if line.dangling:
            # "Key=value \\" at the end would swallow the next line: end it with an empty line
            line.raw += self.newline
            line.dangling = False

    def _insert(self, section: str, line: Line) -> None:
        point = self._insertion_point(section)
        if point < 0:
            self._ensure_terminated(len(self.lines))
            if self.lines and self.lines[-1].kind is not LineKind.BLANK:
                self.lines.append(Line(self.newline, LineKind.BLANK, self.lines[-1].section))
            self.lines.append(Line(f"[{section}]{self.newline}", LineKind.SECTION, section))
            point = len(self.lines)
        self._ensure_terminated(point)
        self.lines.insert(point, line)

    def set(self, section: str, key: str, value: str) -> None:
        """Make ``value`` the only value of ``key``: replaces the first, drops the others."""
        line = self._entry(section, key, value)
        indices = self._indices(section, key)
        if not indices:
            self._insert(section, line)
            return
        first = indices[0]
        old = self.lines[first]
        if not old.raw.endswith("\n"):
            line.raw = line.raw[: -len(self.newline)]
        self.lines[first] = line
        for i in reversed(indices[1:]):
            del self.lines[i]

    def add(self, section: str, key: str, value: str) -> None:
        """Add one more value of a repeatable key (Bind=, Port=, ...) after its last one."""
        line = self._entry(section, key, value)
        if not is_repeatable(section, key):
            raise SettingsError(f"{key}= takes one value; set it instead of adding another")
        indices = self._indices(section, key)
        if not indices:
            self._insert(section, line)
            return
        point = indices[-1] + 1
        self._ensure_terminated(point)
        self.lines.insert(point, line)

    def remove(self, section: str, key: str, index: int | None = None) -> None:
        """Remove every value of ``key`` (``index`` None) or its ``index``-th value."""
        indices = self._indices(section, key)
        if not indices:
            raise SettingsError(f"[{section}] has no {key}=")
        if index is not None:
            if not -len(indices) <= index < len(indices):
                raise SettingsError(f"[{section}] has {len(indices)} {key}= lines, not {index + 1}")
            indices = [indices[index]]
        for i in reversed(indices):
            del self.lines[i]


def parse_checked(text: str) -> SettingsFile:
    """Parse and validate; raise :class:`SettingsError` naming every problem."""
    settings = SettingsFile.parse(text)
    settings.validate()
    return settings


# ------------------------------------------------------------- file system


def find_settings(
    name: str,
    image_path: str | Path | None = None,
    *,
    etc_dir: Path = ETC_DIR,
    run_dir: Path = RUN_DIR,
) -> Path | None:
    """The settings file systemd-nspawn would use for machine ``name``, if any.

    ``/etc/systemd/nspawn/NAME.nspawn``, then ``/run/systemd/nspawn/NAME.nspawn``,
    then ``NAME.nspawn`` beside the image (``/var/lib/machines/NAME.nspawn``).
    """
    candidates = [etc_dir / f"{name}.nspawn", run_dir / f"{name}.nspawn"]
    if image_path is not None and str(image_path):
        candidates.append(Path(image_path).parent / f"{name}.nspawn")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def default_settings_path(name: str, *, etc_dir: Path = ETC_DIR) -> Path:
    """Where a new settings file for ``name`` goes (where all its settings take effect)."""
    return etc_dir / f"{name}.nspawn"


def read_settings(path: Path) -> str:
    """The file's text; undecodable bytes are kept (surrogateescape)."""
    try:
        return path.read_bytes().decode(ENCODING, ERRORS)
    except OSError as error:
        raise SettingsError(f"cannot read {path}: {error.strerror or error}") from error


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def write_atomic(path: Path, text: str) -> Path | None:
    """Replace ``path`` with ``text`` atomically; keep the old file as ``NAME.bak``.

    Temporary file in the same directory, fsync, rename over ``path``, fsync of
    the directory. Returns the backup's path (None when there was no old file).
    """
    directory = path.parent
    data = text.encode(ENCODING, ERRORS)
    backup: Path | None = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if path.exists():
                shutil.copymode(path, tmp)
                backup = backup_path(path)
                _keep_backup(path, backup)
            else:
                os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_directory(directory)
    except OSError as error:
        raise SettingsError(f"cannot write {path}: {error.strerror or error}") from error
    return backup


def _keep_backup(path: Path, backup: Path) -> None:
    """Make ``backup`` the current content of ``path`` (hard link, else copy)."""
    tmp_backup = backup.with_name(f".{backup.name}.tmp")
    tmp_backup.unlink(missing_ok=True)
    try:
        os.link(path, tmp_backup)
    except OSError:
        shutil.copy2(path, tmp_backup)
    os.replace(tmp_backup, backup)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

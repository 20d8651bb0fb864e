"""Export journal records to a file: cleaned text by default, raw bytes on request.

The default export is what the log view shows: every message through
:func:`~nspawn_tui.safe.clean_lines` (an ESC is ``^[``, invalid UTF-8 and bidi
overrides U+FFFD), so ``cat`` of the file cannot drive the terminal that reads
it.  A *raw* export, which the user asks for explicitly, writes the messages
as they came: the parser keeps invalid UTF-8 as lone surrogates
(``surrogateescape``), and they are turned back into the original bytes here.

The path is checked before anything is written, and each problem is an
:class:`ExportError` with a message fit to show next to the path: empty,
NUL byte, too long, a directory, a missing directory, no permission, an
existing file (never replaced unless ``overwrite``; the check and the
creation are one ``O_EXCL`` open, so no race replaces it either).

This module never imports Textual.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterable, Sequence
from datetime import tzinfo
from typing import Final

from nspawn_tui.journal.records import LogRecord, format_record_text

#: The longest path Linux accepts (PATH_MAX, with its NUL).
PATH_MAX: Final = 4096
#: The longest file name (one path component) most file systems accept.
NAME_MAX: Final = 255

#: Surrogates that ``surrogateescape`` cannot turn into a byte (it takes U+DC80-U+DCFF).
_NOT_A_BYTE: Final = re.compile("[\ud800-\udc7f\udd00-\udfff]")


class ExportError(Exception):
    """Why an export was not written, in words fit to show beside the path.

    ``exists`` is True when the only problem is an existing file (the caller
    may ask and try again with ``overwrite``).
    """

    def __init__(self, message: str, *, exists: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.exists = exists


def default_export_path(names: Sequence[str]) -> str:
    """``~/nspawn-tui-logs-NAMES.log``, the names reduced to safe file-name characters."""
    safe = "-".join(re.sub(r"[^A-Za-z0-9_.-]", "_", n) for n in names) or "logs"
    return os.path.join("~", f"nspawn-tui-logs-{safe[:200]}.log")


def record_bytes(record: LogRecord, tz: tzinfo | None = None, *, raw: bool = False) -> bytes:
    """One record as exported: a line (continuation lines indented) and its newline."""
    text = format_record_text(record, tz, raw=raw) + "\n"
    if not raw:
        return text.encode("utf-8", errors="replace")
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        # a surrogate that stands for no byte (a JSON "\ud800" escape): U+FFFD
        return _NOT_A_BYTE.sub("\ufffd", text).encode("utf-8", errors="surrogateescape")


def check_export_path(path: str, *, overwrite: bool = False) -> str:
    """The file ``path`` names (``~`` expanded), fit to be written; else :class:`ExportError`."""
    if not path.strip():
        raise ExportError("give a file name")
    if "\x00" in path:
        raise ExportError("a file name cannot hold a NUL character")
    target = os.path.expanduser(path)
    try:
        encoded = os.fsencode(target)
    except UnicodeError:
        raise ExportError("not a valid file name (an unpaired surrogate)") from None
    if len(encoded) >= PATH_MAX:
        raise ExportError(f"path too long ({len(encoded):,} bytes, at most {PATH_MAX - 1:,})")
    if any(len(part) > NAME_MAX for part in encoded.split(b"/")):
        raise ExportError(f"a name in the path is longer than {NAME_MAX} bytes")
    if target.endswith("/") or os.path.isdir(target):
        raise ExportError("that is a directory: add a file name")
    parent = os.path.dirname(target) or "."
    if not os.path.isdir(parent):
        what = "not a directory" if os.path.lexists(parent) else "no such directory"
        raise ExportError(f"{what}: {parent}")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return target
    except OSError as error:
        raise ExportError(f"{error.strerror or error}: {target}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ExportError(f"exists and is not a regular file: {target}")
    if not overwrite:
        raise ExportError(f"{target} exists", exists=True)
    return target


def write_export(
    path: str,
    records: Iterable[LogRecord],
    tz: tzinfo | None = None,
    *,
    raw: bool = False,
    overwrite: bool = False,
) -> str:
    """Write ``records`` to ``path``; the file written.  Raises only :class:`ExportError`."""
    target = check_export_path(path, overwrite=overwrite)
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    flags |= os.O_TRUNC if overwrite else os.O_EXCL
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError:
        raise ExportError(f"{target} exists", exists=True) from None
    except OSError as error:
        raise ExportError(_os_message(error, target)) from None
    try:
        with open(fd, "wb") as out:
            for record in records:
                out.write(record_bytes(record, tz, raw=raw))
    except OSError as error:
        if not overwrite:  # the file is ours, and half written: not left behind
            with contextlib.suppress(OSError):
                os.unlink(target)
        raise ExportError(_os_message(error, target)) from None
    return target


def _os_message(error: OSError, target: str) -> str:
    if error.errno == errno.ELOOP:
        return f"a symbolic link: {target}"
    return f"{error.strerror or error}: {target}"

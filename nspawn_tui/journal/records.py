"""Journal records and the parser of ``journalctl -o json`` lines.

The data classes of the log view (:class:`LogRecord`, :class:`LogBatch`,
:class:`SourceStatus`, :class:`LogOptions`), the parser, the split of a
journal cursor into its parts (the store keeps them compactly) and whether a
record matches a search (:func:`record_matches`; searches are compiled in
:mod:`.patterns`). Import them from :mod:`nspawn_tui.journal.sources`.
Never imports Textual.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final, Literal

from nspawn_tui.journal.patterns import SearchPattern
from nspawn_tui.safe import clean, clean_lines

#: Fields the log view needs; asking journalctl for only these halves its cost.
OUTPUT_FIELDS: Final = (
    "MESSAGE",
    "PRIORITY",
    "_SYSTEMD_UNIT",
    "SYSLOG_IDENTIFIER",
    "_COMM",
    "_PID",
    "_BOOT_ID",
)

#: syslog priority names, index = priority number.
PRIORITY_NAMES: Final = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")

#: Shown instead of a field that journalctl printed as ``null`` (over 4096 bytes).
OMITTED_TEXT: Final = "[field over 4096 bytes omitted by journalctl; see the full record]"

_seq = itertools.count()


def next_seq() -> int:
    """A new arrival number (process-wide, increasing)."""
    return next(_seq)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One journal entry, reduced to what the log view shows."""

    machine: str
    timestamp: int | None  # realtime, microseconds since the epoch
    priority: int | None  # 0 (emerg) .. 7 (debug)
    unit: str
    identifier: str  # SYSLOG_IDENTIFIER, else _COMM
    pid: str
    message: str  # full text, several lines kept
    boot_id: str
    cursor: str
    seq: int  # arrival order, breaks timestamp ties

    def fields(self) -> dict[str, str]:
        """The record as journal fields (what the record view shows without a fetch)."""
        out: dict[str, str] = {}
        if self.timestamp is not None:
            out["__REALTIME_TIMESTAMP"] = str(self.timestamp)
        if self.cursor:
            out["__CURSOR"] = self.cursor
        if self.priority is not None:
            out["PRIORITY"] = str(self.priority)
        for key, value in (
            ("_SYSTEMD_UNIT", self.unit),
            ("SYSLOG_IDENTIFIER", self.identifier),
            ("_PID", self.pid),
            ("_BOOT_ID", self.boot_id),
            ("_MACHINE_NAME", self.machine),
        ):
            if value:
                out[key] = value
        out["MESSAGE"] = self.message
        return out


@dataclass(frozen=True, slots=True)
class LogBatch:
    """Records read from one source in one go (``broken`` lines could not be parsed)."""

    machine: str
    records: Sequence[LogRecord]
    broken: int = 0


SourceState = Literal["joined", "stopped", "error"]


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source started (``joined``), ended (``stopped``) or failed (``error``)."""

    machine: str
    state: SourceState
    message: str = ""  # cleaned on creation: it quotes journalctl and the container

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", clean(self.message))


LogEvent = LogBatch | SourceStatus


@dataclass(frozen=True, slots=True)
class LogOptions:
    """What to read: ``journalctl -n LINES [-f] [-p PRIORITY] [-u UNIT] [-b BOOT]``."""

    lines: int = 1000
    priority: int | None = None  # show this priority and more important ones
    unit: str | None = None
    boot: int | None = None  # 0 this boot, -1 the previous one, None all
    follow: bool = True


# ----------------------------------------------------------------- parsing


def _field_text(value: object) -> str | None:
    """A journal JSON field value as text; None when journalctl omitted it."""
    if isinstance(value, str):
        return value
    if value is None:
        return None
    if isinstance(value, list):
        if value and all(isinstance(b, int) for b in value):
            try:
                # lossless: invalid UTF-8 becomes lone surrogates, which clean()
                # shows as U+FFFD and a raw export turns back into the bytes
                return bytes(value).decode("utf-8", errors="surrogateescape")
            except ValueError:  # a number outside 0..255
                return " ".join(str(b) for b in value)
        # A repeated field: a list of values (strings, byte arrays, nulls).
        for item in value:
            text = _field_text(item)
            if text is not None:
                return text
        return "" if value else None
    return str(value)


def _message_text(value: object) -> str:
    if isinstance(value, list) and value and not all(isinstance(b, int) for b in value):
        parts = [_field_text(item) for item in value]
        return "\n".join(OMITTED_TEXT if p is None else p for p in parts)
    text = _field_text(value)
    return OMITTED_TEXT if text is None else text


def _text(value: object) -> str | None:
    """:func:`_field_text`, quicker for the usual plain string."""
    return value if type(value) is str else _field_text(value)


def _int_or_none(value: object) -> int | None:
    text = value if type(value) is str else _field_text(value)
    if text is None:
        return None
    try:
        return int(text)  # int() itself allows surrounding whitespace
    except ValueError:
        return None


#: Short fields repeat (a unit, an identifier, a boot ID): each distinct value
#: is cleaned and interned once, and shared by every record that has it.
_SHORT_FIELDS: dict[str | None, str] = {}
_SHORT_FIELDS_MAX: Final = 50_000


def _short_field(value: str | None) -> str:
    shown = _SHORT_FIELDS.get(value)
    if shown is None:
        if len(_SHORT_FIELDS) >= _SHORT_FIELDS_MAX:  # bounded: PIDs are many over a day
            _SHORT_FIELDS.clear()
        shown = _SHORT_FIELDS[value] = sys.intern(clean(value))
    return shown


_decode = json.JSONDecoder().decode  # json.loads without its checks for other encodings


def parse_record(line: bytes | str, machine: str) -> LogRecord | None:
    """Parse one line of ``journalctl -o json``; None when it is not a JSON object.

    Never raises for bad input: byte-array fields are decoded losslessly
    (``surrogateescape``), ``null`` fields become a placeholder.  The short
    fields (unit, identifier, PID, boot ID) are cleaned here, as they enter
    the model; the message is kept as it came (a raw export writes its
    bytes back) and is cleaned where it is shown or exported as text.
    """
    try:
        data = _decode(line if isinstance(line, str) else line.decode())
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    if not isinstance(data, dict):
        return None
    get = data.get
    priority = _int_or_none(get("PRIORITY"))
    if priority is not None and not 0 <= priority <= 7:
        priority = None
    identifier = _text(get("SYSLOG_IDENTIFIER")) or _text(get("_COMM")) or ""
    short = _short_field
    message = get("MESSAGE")
    cursor = get("__CURSOR")
    return LogRecord(
        machine,
        _int_or_none(get("__REALTIME_TIMESTAMP")),
        priority,
        short(_text(get("_SYSTEMD_UNIT"))),
        short(identifier),
        short(_text(get("_PID"))),
        message if type(message) is str else _message_text(message),
        short(_text(get("_BOOT_ID"))),
        cursor if type(cursor) is str else _field_text(cursor) or "",
        next(_seq),
    )


def parse_full_record(line: bytes | str) -> dict[str, str]:
    """Every field of one JSON record as display text (for the record view); {} if unparsable.

    Field names are cleaned as one line, values with their newlines kept.
    """
    try:
        data = json.loads(line)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in data.items():
        text = _message_text(value) if key == "MESSAGE" else _field_text(value)
        out[clean(str(key))] = OMITTED_TEXT if text is None else clean_lines(text)
    return out


#: A journal cursor as journald writes it (``sd_journal_get_cursor``):
#: ``s=SEQNUM_ID;i=SEQNUM;b=BOOT_ID;m=MONOTONIC;t=REALTIME;x=XOR_HASH``, the
#: numbers in lowercase hex without leading zeros; ``m`` and ``x`` may be absent.
_HEX64 = r"(0|[1-9a-f][0-9a-f]{0,15})"
_CURSOR = re.compile(
    rf"s=([0-9a-f]{{1,64}});i={_HEX64};b=([0-9a-f]{{1,64}})(?:;m={_HEX64})?;t={_HEX64}(?:;x={_HEX64})?"
)
_FRAMES: dict[tuple[str, str, bool, bool], str] = {}
_FRAMES_MAX: Final = 4096


def split_cursor(cursor: str, realtime: int) -> tuple[str, int, int, int] | None:
    """``cursor`` as a frame many records share and its own numbers ``i``, ``m``, ``x``.

    ``frame.format(i, m, x, realtime)`` gives the cursor back byte for byte;
    None when it cannot (not journald's format, leading zeros, or a ``t``
    that is not ``realtime``). An absent ``m`` or ``x`` is 0.
    """
    found = _CURSOR.fullmatch(cursor)
    if found is None:
        return None
    s, i, b, m, t, x = found.groups()
    if int(t, 16) != realtime:
        return None
    key = (s, b, m is None, x is None)
    frame = _FRAMES.get(key)
    if frame is None:
        if len(_FRAMES) >= _FRAMES_MAX:  # bounded: boots and journal files come and go
            _FRAMES.clear()
        frame = f"s={s};i={{0:x}};b={b}{'' if m is None else ';m={1:x}'};t={{3:x}}"
        frame = _FRAMES[key] = frame + ("" if x is None else ";x={2:x}")
    return frame, int(i, 16), int(m, 16) if m else 0, int(x, 16) if x else 0


def format_time(timestamp: int | None, tz: tzinfo | None = None, *, date: bool = False) -> str:
    """``HH:MM:SS.mmm`` (with ``date``: ``YYYY-MM-DD HH:MM:SS.mmm``) in ``tz`` (local)."""
    if timestamp is None:
        return "--:--:--.---" if not date else "----------  --:--:--.---"
    try:
        moment = datetime.fromtimestamp(timestamp / 1_000_000, tz)
    except (OverflowError, OSError, ValueError):
        return "??:??:??.???"
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if date else "%H:%M:%S")
    return f"{text}.{moment.microsecond // 1000:03d}"


def format_record_text(record: LogRecord, tz: tzinfo | None = None, *, raw: bool = False) -> str:
    """A record as plain text for export; continuation lines are indented.

    Every line cleaned (:func:`clean`) unless ``raw``: then the record is as
    it came (encode the result with ``surrogateescape`` to get its bytes back).
    """
    who = record.identifier or "?"
    if record.pid:
        who = f"{who}[{record.pid}]"
    lines = record.message.split("\n")
    head = f"{format_time(record.timestamp, tz, date=True)} {record.machine} {who}: {lines[0]}"
    if not raw:  # every field, not only the message: a record may not come from the parser
        head, lines = clean(head), [clean(line) for line in lines]
    return "\n".join([head, *("    " + rest for rest in lines[1:])])


def record_matches(pattern: SearchPattern, record: LogRecord) -> bool:
    """Whether ``pattern`` occurs in the message or identifier of ``record`` as shown."""
    return pattern.found(clean_lines(record.message)) or pattern.found(clean(record.identifier))


def parse_lines(lines: Iterable[bytes], machine: str) -> LogBatch:
    """Parse complete JSON lines into one batch (blank lines are skipped)."""
    records: list[LogRecord] = []
    broken = 0
    append = records.append
    for line in lines:
        if not line or line.isspace():
            continue
        record = parse_record(line, machine)
        if record is None:
            broken += 1
        else:
            append(record)
    return LogBatch(machine, records, broken)

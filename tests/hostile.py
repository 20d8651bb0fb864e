"""A hostile demo host: every string a container controls is an attack on the terminal.

:class:`HostileHost` is the frozen demo host whose machine names, OS
(``PRETTY_NAME`` and the whole os-release), addresses, unit, service, root
directory, image names, types and paths, cgroup, machine ID, journal records
(every field, the field *names* of the full record, binary fields as
undecodable bytes), settings file text, unit limit values, host name and
the error texts of failing actions carry terminal escape sequences (title,
OSC 52 clipboard, OSC 8 hyperlink, cursor moves, screen clear), 8-bit C1
controls, bidi overrides, zero-width and combining characters,
double-width characters, invalid UTF-8 (lone surrogates from
``surrogateescape``), Textual/Rich markup and 10,000-character strings.

It is a test fixture, not a ``--hostile`` option of the app: nobody runs a
dashboard to look at garbage, and the demo host stays the clean host of the
screenshots.  Tests use it through ``tests/`` being on ``sys.path``::

    from hostile import HostileHost, MIX
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Final

from nspawn_tui.host.base import HostError, Image, Machine, MachineDetails, SettingsText, Snapshot
from nspawn_tui.host.demo.host import DemoHost, MachineSpec
from nspawn_tui.host.demo.sim import SimMachine
from nspawn_tui.host.network import NetworkInfo
from nspawn_tui.host.processes import ProcessTable
from nspawn_tui.journal.sources import (
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceStatus,
    next_seq,
)
from nspawn_tui.terminal.relay import RelayResult
from nspawn_tui.units.limits import LIMIT_FIELDS

# ------------------------------------------------------------------ the strings

TITLE: Final = "\x1b]0;PWNED\x07"  # set the window title
CLIPBOARD: Final = "\x1b]52;c;cHduZWQ=\x07"  # write "pwned" to the clipboard
HYPERLINK: Final = "\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\"
CLEAR: Final = "\x1b[2J"
CSI: Final = (
    "\x1b[H",
    "\x1b[41m",
    "\x1b[10;10H",
    "\x1b[?1049l",
    "\x1b[6n",
    "\x1bc",
    "\x1b[1A\x1b[2K",
    "\x1bP$q\x1b\\",
)
C1: Final = ("\x9b2J", "\x9d0;PWNED\x9c", "\x9b41m", "\x85", "\x90$q\x9c", "\x8d", "\x9f")
BIDI: Final = (
    "\u202e",
    "\u202d",
    "\u202a",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
)
INVISIBLE: Final = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u2028", "\u2029")
COMBINING: Final = ("\u0301", "e\u0301", "Z\u0335\u0321\u0336\u0334\u0337")
WIDE: Final = ("漢字", "🐳", "ｗｉｄｅ", "👩\u200d👩\u200d👧")
#: bytes that are not UTF-8, as Python holds them after ``surrogateescape``
INVALID_UTF8: Final = b"bad\xff\xfe\xc3(\xed\xa0\x80".decode("utf-8", "surrogateescape")
MARKUP: Final = (
    "[/]",
    "[@click=app.quit]quit[/]",
    "[link=x]x[/link]",
    "[bold]",
    "[/bold]",
    "[red",
    "[b]x[/i]",
    "[on red]",
    "\\[",
    "[$accent]",
    "$accent",
)
C0: Final = ("\x00", "\x07", "\x08", "\r", "\t", "\n", "\x7f", "\x0b", "\x0c", "\x1b")

#: every attack in one string (about 300 characters)
MIX: Final = "".join(
    (TITLE, CLIPBOARD, HYPERLINK, CLEAR, *CSI, *C1, *BIDI, *INVISIBLE, *COMBINING, *WIDE)
    + (INVALID_UTF8, *MARKUP, *C0, "end")
)
#: 10,000 characters of attacks
LONG: Final = (MIX * (10_000 // len(MIX) + 1))[:10_000]

#: the sequences a container must never get to the terminal (raw-byte checks)
SEQUENCES: Final = ("\x1b]0;PWNED", "\x1b]52", "\x1b]8;;https://evil", CLEAR, "\x9b", "\x9d")

# ------------------------------------------------------------------ the machines

#: every attack that can be in a machine name: D-Bus strings are valid UTF-8, so
#: a name never holds undecodable bytes (and the demo host seeds from the name)
NAME_ATTACKS: Final = MIX.replace(INVALID_UTF8, "")

#: running container: every attack in its name
NAME_MIX: Final = "ct" + NAME_ATTACKS
#: running container: markup only (a name Textual would parse as markup)
NAME_MARKUP: Final = "[@click=app.quit]ct[/]"
#: stopped image: a title escape and a C1 CSI
NAME_STOPPED: Final = TITLE + "stopped" + C1[0] + "[/]"
#: running VM (no image): bidi override and wide characters
NAME_VM: Final = "vm" + BIDI[0] + "mv" + WIDE[0] + COMBINING[0]
#: running container: a 10,000-character name, and every one of its fields that long
NAME_LONG: Final = "long" + LONG.replace(INVALID_UTF8, "")
#: running container whose every action fails with a hostile error text
NAME_FAIL: Final = "fail" + CLEAR + "[/]" + CLIPBOARD
#: a well-behaved running container, for contrast
NAME_PLAIN: Final = "plain"

ALL_NAMES: Final = (NAME_MIX, NAME_MARKUP, NAME_STOPPED, NAME_VM, NAME_LONG, NAME_FAIL, NAME_PLAIN)

_SPECS: Final = (
    MachineSpec(NAME_MIX, profile="web", uptime=7200.0),
    MachineSpec(NAME_MARKUP, profile="light"),
    MachineSpec(NAME_STOPPED, state="stopped"),
    MachineSpec(
        NAME_VM, os_id="", machine_class="vm", image_type=None, network="host", profile="light"
    ),
    MachineSpec(NAME_LONG, profile="db", memory_max=1024**3),
    MachineSpec(NAME_FAIL, profile="bursty"),
    MachineSpec(NAME_PLAIN),
)

# ------------------------------------------------------------------ journals

MESSAGES: Final = (
    MIX,
    TITLE + "title " + CLIPBOARD + "clipboard " + CLEAR + "clear " + HYPERLINK,
    "multi\nline " + MIX + "\nthird line " + "".join(CSI),
    LONG,
    INVALID_UTF8 + " undecodable",
    "[@click=app.quit]click me[/] [link=x]x[/link] [bold]bold[/] [/] [red",
    "\rcarriage return hides this\r\x1b[2K",
    "tab\tseparated\tcolumns\x08\x08\x08backspaced\x7f",
    "漢字🐳 wide e\u0301 Z\u0335\u0321 \u202eevil\u202c \u200bzero " + "".join(BIDI),
    "",
    "".join(C1) + " C1 controls",
)
UNITS: Final = (
    "evil" + TITLE + ".service",
    "[@click=app.quit]unit[/].service",
    "long" + LONG[:3000] + ".service",
    "",
    "plain.service",
)
IDENTIFIERS: Final = ("evil" + TITLE, "[/]", MIX, LONG, "", "cron" + CLEAR)
PIDS: Final = ("1" + CLEAR, "42", INVALID_UTF8, "", LONG[:500])
RECORDS_PER_MACHINE: Final = 44  # four of each message
#: records whose full record cannot be fetched (the record view shows the error)
NO_FETCH: Final = "nofetch;"


def _accepts(record: LogRecord, options: LogOptions) -> bool:
    if options.priority is not None and (record.priority or 0) > options.priority:
        return False
    return not options.unit or record.unit == options.unit


def hostile_records(name: str, start: int, count: int = RECORDS_PER_MACHINE) -> list[LogRecord]:
    """``count`` records of machine ``name`` with every field hostile, from ``start`` (µs)."""
    records = []
    for i in range(count):
        marker = NO_FETCH if i % 5 == 4 else ""
        records.append(
            LogRecord(
                machine=name,
                timestamp=None if i % 11 == 7 else start + i * 1000,
                priority=None if i % 9 == 8 else i % 8,
                unit=UNITS[i % len(UNITS)],
                identifier=IDENTIFIERS[i % len(IDENTIFIERS)],
                pid=PIDS[i % len(PIDS)],
                message=MESSAGES[i % len(MESSAGES)],
                boot_id=MIX if i % 2 else "b" * 32,
                cursor="" if i % 13 == 12 else f"s=x;i={i:x};{marker}{MIX}",
                seq=next_seq(),
            )
        )
    return records


def full_record(record: LogRecord) -> dict[str, str]:
    """What ``journalctl -o json`` could give for ``record``: hostile names and values."""
    fields = record.fields()
    fields.update(
        {
            MIX: MIX,  # a field *name* with every attack
            "[@click=app.quit]": "[link=x]x[/link]",
            "_COMM": "evil" + TITLE,
            "_CMDLINE": LONG,
            "_EXE": "/usr/bin/" + CLEAR + INVALID_UTF8,
            "BINARY": INVALID_UTF8 + "\x00\x01\x02\x9b" + INVALID_UTF8,
            "_SOURCE_REALTIME_TIMESTAMP": "123" + TITLE,
            "PRIORITY": "3" + CLEAR,
            "CODE_FILE": "".join(BIDI) + "evil.c",
            "_HOSTNAME": MIX,
            "DOCUMENTATION": HYPERLINK,
        }
    )
    return fields


# ------------------------------------------------------------------ other texts

SETTINGS_TEXT: Final = (
    "# settings " + MIX + "\n"
    "[Exec]\n"
    "Boot=yes\n"
    "Environment=EVIL=" + TITLE + CLIPBOARD + "\n"
    "Evil" + CLEAR + "Key=1\n"
    "[" + TITLE + "Section]\n"
    "Hostname=" + "".join(C1) + "".join(BIDI) + "\n"
    "[@click=app.quit]=[/]\n" + INVALID_UTF8 + "\n"
)
#: the settings file of the other machines, and a valid change of it
PLAIN_SETTINGS: Final = "[Exec]\nBoot=yes\nPrivateUsers=pick\n"
VALID_SETTINGS: Final = "[Exec]\nBoot=yes\n"
#: machines whose settings file and unit limits are hostile (the others' are plain,
#: so that writing them, and the errors and messages that quote their names, are seen)
HOSTILE_FILES: Final = frozenset({NAME_MIX, NAME_LONG, NAME_STOPPED})


def relay_result(app: object, fd: int, login: bool) -> RelayResult:
    """An attach runner for tests: the shell "ran" and left a hostile message."""
    return RelayResult("exited", f"the shell said {MIX}")


class HostileHost(DemoHost):
    """The frozen demo host with only hostile machines (and one plain one)."""

    description = "hostile demo host (tests)"

    def __init__(self, *, seed: int = 1, read_only: bool = False) -> None:
        super().__init__(seed=seed, machines=0, read_only=read_only, frozen=True)
        for spec in _SPECS:
            self._add_machine(spec)
        self.opened_fds: list[int] = []

    # -- what a container controls ------------------------------------------------

    @staticmethod
    def text(name: str, label: str) -> str:
        """The hostile value of field ``label`` of machine ``name`` (10,000+ for the long one)."""
        if name == NAME_PLAIN:
            return f"{label} of plain"
        return f"{label}:{LONG if name == NAME_LONG else MIX}"

    def _make_row(self, m: SimMachine) -> Machine:
        row = super()._make_row(m)
        name = row.name
        if name == NAME_PLAIN:
            return row
        text = self.text
        return replace(
            row,
            service=text(name, "service"),
            root_directory=text(name, "root"),
            unit=text(name, "unit") if row.running else "",
            os=text(name, "PRETTY_NAME"),
            addresses=(text(name, "10.0.0.1"), text(name, "fd00::1")) if row.running else (),
            image_type=text(name, "type") if row.image_type is not None else None,
        )

    async def machine_details(self, name: str) -> MachineDetails:
        details = await super().machine_details(name)
        if name == NAME_PLAIN:
            return details
        text = self.text
        os_release = {
            "PRETTY_NAME": details.machine.os,
            "NAME": text(name, "NAME"),
            "ID": text(name, "ID"),
            "HOME_URL": "[link=https://evil.example/]home[/link]" + HYPERLINK,
            text(name, "KEY"): text(name, "value"),
        }
        image = details.image
        if image is not None:
            image = replace(image, image_type=text(name, "type"), path=text(name, "path"))
        return replace(
            details,
            os_release=os_release,
            cgroup=text(name, "/machine.slice/cgroup") if details.cgroup else None,
            image=image,
            enabled=text(name, "enabled") if details.enabled is not None else None,
        )

    async def list_images(self) -> list[Image]:
        images = await super().list_images()
        return [
            i
            if i.name == NAME_PLAIN
            else replace(i, image_type=self.text(i.name, "type"), path=self.text(i.name, "path"))
            for i in images
        ]

    async def snapshot(self) -> Snapshot:
        snap = await super().snapshot()
        return replace(snap, stats=replace(snap.stats, hostname="host" + MIX))

    async def processes(self, name: str) -> ProcessTable:
        """Commands, users and sub-cgroup paths: all hostile (the plain machine's too few)."""
        table = await super().processes(name)
        if name == NAME_PLAIN:
            return table
        text = self.text
        groups = tuple(
            replace(
                group,
                path=text(name, group.path),
                processes=tuple(
                    replace(p, command=text(name, p.command), user=text(name, "user"))
                    for p in group.processes
                ),
            )
            for group in table.groups
        )
        return replace(table, groups=groups, cgroup=text(name, "/machine.slice/cgroup"))

    async def network(self, name: str) -> NetworkInfo:
        """Interface names, kinds, states, bridges, addresses, ports and reason: all hostile."""
        info = await super().network(name)
        if name == NAME_PLAIN:
            return info
        text = self.text
        interfaces = tuple(
            replace(
                i,
                name=text(name, i.name),
                kind=text(name, "kind"),
                state=text(name, "state"),
                bridge=text(name, "bridge"),
                addresses=(text(name, "10.0.0.9"),),
            )
            for i in info.interfaces
        )
        return replace(
            info,
            interfaces=interfaces,
            port_forwards=(text(name, "tcp:80:80"),),
            reason=text(name, "reason"),
        )

    # -- journals -------------------------------------------------------------------

    def follow_logs(self, names: Sequence[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        return self._journal(list(dict.fromkeys(names)), options)

    async def _journal(self, names: list[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        start = int(self.now() * 1_000_000) - 3_600_000_000
        for index, name in enumerate(names):
            yield SourceStatus(name, "joined", "joined " + MIX)
            records = [r for r in hostile_records(name, start + index * 37) if _accepts(r, options)]
            yield LogBatch(name, records[-options.lines :] if options.lines > 0 else [], 2)
        for name in names:
            if name != NAME_PLAIN:
                yield SourceStatus(name, "error", f"journalctl -M {name} failed: {MIX}")
        if not options.follow or options.boot == -1:
            for name in names:
                yield SourceStatus(name, "stopped", "end of the journal " + MIX)
            return
        await asyncio.sleep(0.05)  # a live line, then quiet
        live = [r for r in hostile_records(names[0], start + 10**9, 11) if _accepts(r, options)]
        if live:
            yield LogBatch(names[0], live)
        await asyncio.Event().wait()

    async def log_record(self, record: LogRecord) -> dict[str, str]:
        if NO_FETCH in record.cursor:
            raise HostError(f"journalctl -M {record.machine} --cursor {record.cursor}: {MIX}")
        return full_record(record)

    # -- settings and limits ------------------------------------------------------------

    async def unit_limits(self, name: str) -> dict[str, str]:
        """Hostile values on the machines of :data:`HOSTILE_FILES`, the demo's elsewhere."""
        if name not in HOSTILE_FILES:
            return await super().unit_limits(name)
        self._get(name)
        return {field.name: self.text(name, field.name) for field in LIMIT_FIELDS}

    async def read_settings(self, name: str) -> SettingsText:
        """:data:`SETTINGS_TEXT` on the machines of :data:`HOSTILE_FILES`, a valid file elsewhere."""
        self._get(name)
        text = SETTINGS_TEXT if name in HOSTILE_FILES else PLAIN_SETTINGS
        return SettingsText(f"/etc/systemd/nspawn/{name}.nspawn", text, True)

    # -- actions: every one fails with a hostile text on NAME_FAIL ----------------------

    def _refuse(self, what: str, name: str) -> None:
        if name == NAME_FAIL:
            raise HostError(f"{what} {name} failed: {MIX}")

    async def _do_start(self, name: str) -> None:
        self._refuse("boot", name)
        await super()._do_start(name)

    async def _do_poweroff(self, name: str) -> None:
        self._refuse("power off", name)
        await super()._do_poweroff(name)

    async def _do_reboot(self, name: str) -> None:
        self._refuse("reboot", name)
        await super()._do_reboot(name)

    async def _do_terminate(self, name: str) -> None:
        self._refuse("terminate", name)
        await super()._do_terminate(name)

    async def _do_kill(self, name: str, signal_number: int, who: str) -> None:
        self._refuse("kill", name)
        await super()._do_kill(name, signal_number, who)

    async def _do_enable(self, name: str, enable: bool) -> None:
        self._refuse("enable" if enable else "disable", name)
        await super()._do_enable(name, enable)

    async def _do_set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        self._refuse(f"set-property {values!r} of", name)
        await super()._do_set_limits(name, values, runtime)

    async def _do_write_settings(self, name: str, text: str) -> str:
        self._refuse("write the settings of", name)
        await super()._do_write_settings(name, text)
        return f"saved the settings of {name}: {MIX}"

    async def _do_open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        self._refuse(f"shell as {user} {list(command)!r} in", name)
        self._running(name, "shell in")
        return self._null_fd()

    async def _do_open_login(self, name: str) -> int:
        self._refuse("login to", name)
        self._running(name, "login to")
        return self._null_fd()

    def _null_fd(self) -> int:
        fd = os.open(os.devnull, os.O_RDWR)
        self.opened_fds.append(fd)
        return fd


__all__ = [
    "ALL_NAMES",
    "LONG",
    "MIX",
    "NAME_FAIL",
    "NAME_LONG",
    "NAME_MARKUP",
    "NAME_MIX",
    "NAME_PLAIN",
    "NAME_STOPPED",
    "NAME_VM",
    "SEQUENCES",
    "SETTINGS_TEXT",
    "HOSTILE_FILES",
    "PLAIN_SETTINGS",
    "VALID_SETTINGS",
    "HostileHost",
    "full_record",
    "hostile_records",
    "relay_result",
]

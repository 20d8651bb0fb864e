"""From host data to the text of the machine table's cells (no Textual).

Kept apart from the widget so that formatting is tested without a screen,
and so the widget can compare cell texts to repaint only what changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from nspawn_tui.host.base import Machine, Sample
from nspawn_tui.host.network import HOST_NETWORK
from nspawn_tui.safe import clean
from nspawn_tui.view.formatting import (
    UNAVAILABLE,
    format_bytes,
    format_count,
    format_duration,
    format_percent,
    is_unlimited,
    memory_fraction,
)


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int  # minimum width in cells
    right: bool = False  # right-aligned
    flex: int = 0  # share of spare width
    optional: bool = False  # dropped first on narrow terminals
    drop: int = 0  # optional columns with the highest value go first, together


COLUMNS: Final = (
    Column("name", "NAME", 14, flex=2),
    Column("state", "STATE", 9),
    Column("os", "OS", 12, flex=3),
    Column("address", "ADDRESS", 15, optional=True, flex=2, drop=1),
    Column("cpu", "CPU%", 6, right=True),
    Column("memory", "MEMORY", 11, right=True),
    Column("tasks", "TASKS", 6, right=True),
    # Network bytes/s received and sent by the container ("host": its traffic is the host's)
    Column("rx", "RX/s", 6, right=True, optional=True, drop=2),
    Column("tx", "TX/s", 6, right=True, optional=True, drop=2),
    Column("uptime", "UPTIME", 8, right=True),
)
COLUMN_KEYS: Final = tuple(column.key for column in COLUMNS)

#: Cell styles (component classes of the table) by meaning.
STYLE_NONE: Final = ""
STYLE_DIM: Final = "dim"
STYLE_WARN: Final = "warn"
STYLE_HOT: Final = "hot"
STYLE_NA: Final = "na"

#: Put before the memory figure of a machine whose OOM-kill count rose since
#: it was first seen (with the "hot" style): "!494M/512M".
OOM_MARK: Final = "!"


@dataclass(slots=True)
class Row:
    """The texts, styles and sort keys of one machine's line.

    Read-only by convention, not frozen: one is built per machine per poll,
    and a frozen dataclass's ``__init__`` costs four times as much.
    Nothing assigns to a Row's fields (:func:`dataclasses.replace` makes new ones).
    """

    name: str
    cells: tuple[str, ...]
    styles: tuple[str, ...]
    sort_keys: tuple[tuple[int, float | str], ...]  # one per column: (missing?, value)
    running: bool
    #: In a fleet: the machine's host label (``name`` is ``HOST/NAME``) and its
    #: plain name, cleaned (the NAME cell under its host's row); "" for one host.
    host: str = ""
    short: str = ""


#: the sort key of a missing value (sorted last in either direction)
_MISSING: Final[tuple[int, float | str]] = (1, 0.0)
_DIM_STYLES: Final = (STYLE_DIM,) * len(COLUMNS)
_STOPPED_METRICS: Final = ("", "", "", "", "", "")
_WAITING_CELLS: Final = ("…", "…", "…", "…", "…")  # running, first sample not read yet
_WAITING_STYLES: Final = (STYLE_NA,) * 5 + (STYLE_NONE,)
#: The RX/s and TX/s cells of a machine on the host's network (its traffic is the host's).
HOST_NET_TEXT: Final = "host"
_HOST_NET: Final = ((HOST_NET_TEXT, HOST_NET_TEXT), (STYLE_DIM, STYLE_DIM))

#: cells, styles and sort keys of the identity columns, and the plain name in a fleet
Identity = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[int, float | str], ...], str]


def _tasks_style(sample: Sample | None) -> str:
    if sample is None or sample.tasks_current is None:
        return STYLE_NA
    limit = sample.tasks_max
    if limit is not None and limit < 2**62 and limit > 0 and sample.tasks_current >= 0.9 * limit:
        return STYLE_WARN
    return STYLE_NONE


def _key(value: float | str | None) -> tuple[int, float | str]:
    return _MISSING if value is None else (0, value)


def _identity(machine: Machine) -> Identity:
    """Cells, styles and sort keys of the columns that depend on the machine only."""
    running = machine.running
    address = machine.addresses[0] if machine.addresses else None
    # outside text: cleaned once per machine (the RowCache keeps the identity)
    cells = (
        clean(machine.name),
        clean(machine.state),
        clean(machine.os) or "—",
        clean(address) if running else "",
    )
    if running:
        styles: tuple[str, ...] = (
            STYLE_NONE, STYLE_NONE, STYLE_NONE if machine.os else STYLE_NA, STYLE_NONE
        )  # fmt: skip
    else:
        styles = _DIM_STYLES[:4]
    keys = (
        _key(machine.name),
        _key(f"{0 if running else 1}{machine.state}"),
        _key(machine.os or None),
        _key(address),
    )
    host = machine.host
    short = ""
    if host and machine.name.startswith(host + "/"):  # "HOST/NAME" (see fleet.names)
        short = clean(machine.name[len(host) + 1 :])
    return cells, styles, keys, short


def _limit_suffix(limit: int | None) -> str:
    """What :func:`format_memory` puts after the current figure: "/1.0G" or ""."""
    return "" if limit is None or is_unlimited(limit) else f"/{format_bytes(limit)}"


def _uptime_key(uptime: float | None) -> int | None:
    """Equal keys give equal :func:`format_duration` texts (minutes from 60 s on)."""
    if uptime is None or uptime < 0:
        return None
    total = int(uptime)
    return total // 60 if total >= 60 else -1 - total


def _row(
    identity: Identity,
    machine: Machine,
    sample: Sample | None,
    uptime: float | None,
    uptime_text: str,
    limit_suffix: str,
    cpu_scale: float,
    oom_base: int | None,
) -> Row:
    """A row from its identity part and the figures of ``sample``.

    ``oom_base`` is the OOM-kill count first seen: a higher count marks the
    memory cell (:data:`OOM_MARK`, hot); None marks nothing.
    """
    # Built for every machine every second: _key() and the formatting helpers
    # are inlined where that saves a call (the same results).
    cells, styles, keys, short = identity
    running = machine.running
    cpu = mem = tasks = rx = tx = None
    if sample is not None:
        cpu = sample.cpu_percent
        if cpu is not None:
            cpu /= cpu_scale
        mem = sample.memory_current
        tasks = sample.tasks_current
        rx, tx = sample.net_rx_bps, sample.net_tx_bps
    if running:
        if sample is not None:
            mem_text = (UNAVAILABLE if mem is None else format_bytes(mem)) + limit_suffix
            kills = sample.oom_kills
            if oom_base is not None and kills is not None and kills > oom_base:
                mem_text, mem_style = OOM_MARK + mem_text, STYLE_HOT
            elif mem is None:
                mem_style = STYLE_NA
            else:
                fraction = memory_fraction(mem, sample.memory_max)
                mem_style = STYLE_WARN if fraction is not None and fraction >= 0.9 else STYLE_NONE
            if sample.net_mode == HOST_NETWORK:
                net_cells, net_styles = _HOST_NET
            else:
                net_cells = (format_bytes(rx), format_bytes(tx))
                net_styles = (
                    STYLE_NA if rx is None else STYLE_NONE,
                    STYLE_NA if tx is None else STYLE_NONE,
                )
            metrics: tuple[str, ...] = (
                format_percent(cpu),
                mem_text,
                format_count(tasks),
                *net_cells,
                uptime_text,
            )
            metric_styles: tuple[str, ...] = (
                STYLE_NA if cpu is None else (STYLE_HOT if cpu >= 80 else STYLE_NONE),
                mem_style,
                _tasks_style(sample),
                *net_styles,
                STYLE_NONE,
            )
        else:
            metrics = (*_WAITING_CELLS, uptime_text)
            metric_styles = _WAITING_STYLES
    else:
        metrics, metric_styles = _STOPPED_METRICS, _DIM_STYLES[4:]
    sort_keys = keys + (
        _MISSING if cpu is None else (0, cpu),
        _MISSING if mem is None else (0, mem),
        _MISSING if tasks is None else (0, tasks),
        _MISSING if rx is None else (0, rx),
        _MISSING if tx is None else (0, tx),
        _MISSING if uptime is None else (0, uptime),
    )
    return Row(
        machine.name,
        cells + metrics,
        styles + metric_styles,
        sort_keys,
        running,
        machine.host,
        short,
    )


def _uptime(machine: Machine, now: float) -> float | None:
    return now - machine.started_at if machine.running and machine.started_at else None


def build_row(
    machine: Machine,
    sample: Sample | None,
    now: float,
    *,
    cpu_scale: float = 1.0,
    oom_base: int | None = None,
) -> Row:
    """One row; ``cpu_scale`` divides CPU % (1 = % of one core, N = % of N cores).

    An OOM-kill count above ``oom_base`` (the count first seen) is marked.
    """
    uptime = _uptime(machine, now)
    limit = sample.memory_max if sample is not None else None
    return _row(
        _identity(machine),
        machine,
        sample,
        uptime,
        format_duration(uptime),
        _limit_suffix(limit),
        cpu_scale,
        oom_base,
    )


def build_rows(
    machines: Sequence[Machine],
    samples: dict[str, Sample],
    now: float,
    *,
    cpu_scale: float = 1.0,
    oom_bases: Mapping[str, int] | None = None,
) -> list[Row]:
    """Rows of ``machines``; ``oom_bases``: the OOM-kill count first seen, by name."""
    bases = oom_bases or {}
    return [
        build_row(m, samples.get(m.name), now, cpu_scale=cpu_scale, oom_base=bases.get(m.name))
        for m in machines
    ]


@dataclass(slots=True)
class _Entry:
    """What :class:`RowCache` keeps of one machine between polls."""

    machine: Machine
    identity: Identity
    row: Row | None = None
    sample: Sample | None = None
    uptime: float | None = None
    cpu_scale: float = 1.0
    uptime_key: int | None = None
    uptime_text: str = ""
    limit: int | None = None
    limit_suffix: str = ""
    oom_base: int | None = None  # the OOM-kill count first seen (see RowCache)
    oom_started: float | None = None  # the machine's start time when it was taken


class RowCache:
    """:func:`build_rows` for a poll loop: what did not change is not built again.

    Hosts keep a :class:`Machine` object while nothing about the machine
    changes (the demo host does; machined builds equal ones), so its name,
    state, OS and address cells, styles and sort keys are kept with it.  A row
    whose machine, sample, CPU scale and uptime are all unchanged is reused
    whole; the uptime text is kept while its minute (its second, below one
    minute) stays the same, and the text of a memory limit while the limit does.
    The rows are equal to what :func:`build_rows` returns with
    ``oom_bases=cache.oom_bases()``.

    It also keeps each machine's OOM-kill count first seen (at the app's
    start, or when the machine appeared): a count above it marks the memory
    cell.  A machine that booted again while watched (its start time changed,
    or its count went down: a new cgroup) starts again from 0, since every
    kill of the new cgroup came after.
    """

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def build(
        self,
        machines: Sequence[Machine],
        samples: dict[str, Sample],
        now: float,
        *,
        cpu_scale: float = 1.0,
    ) -> list[Row]:
        entries = self._entries
        rows: list[Row] = []
        for machine in machines:
            name = machine.name
            sample = samples.get(name)
            entry = entries.get(name)
            if entry is None:
                entry = entries[name] = _Entry(machine, _identity(machine))
            elif entry.machine is not machine:
                if entry.machine != machine:
                    entry.identity = _identity(machine)
                    entry.row = None
                    started = machine.started_at
                    if (
                        started != entry.oom_started
                        and started is not None
                        and entry.oom_started is not None
                    ):  # booted again while watched: a new cgroup, all its kills are new
                        entry.oom_base, entry.oom_started = 0, started
                entry.machine = machine
            uptime = _uptime(machine, now)
            row = entry.row
            if (
                row is not None
                and sample is entry.sample
                and uptime == entry.uptime
                and cpu_scale == entry.cpu_scale
            ):
                rows.append(row)
                continue
            uptime_key = _uptime_key(uptime)
            if uptime_key is None or uptime_key != entry.uptime_key:
                entry.uptime_text = format_duration(uptime)
                entry.uptime_key = uptime_key
            limit = None
            if sample is not None:
                limit = sample.memory_max
                kills = sample.oom_kills
                if kills is not None:
                    base = entry.oom_base
                    if base is None:
                        entry.oom_base, entry.oom_started = kills, machine.started_at
                    elif kills < base:  # a new cgroup (its start time unknown)
                        entry.oom_base = 0
            if limit != entry.limit:
                entry.limit, entry.limit_suffix = limit, _limit_suffix(limit)
            row = _row(
                entry.identity,
                machine,
                sample,
                uptime,
                entry.uptime_text,
                entry.limit_suffix,
                cpu_scale,
                entry.oom_base,
            )
            entry.row, entry.sample, entry.uptime, entry.cpu_scale = row, sample, uptime, cpu_scale
            rows.append(row)
        if len(entries) > len(rows):  # machines gone: forget them
            names = {row.name for row in rows}
            for gone in [name for name in entries if name not in names]:
                del entries[gone]
        return rows

    def oom_bases(self) -> dict[str, int]:
        """The OOM-kill count first seen of every machine that has one, by name."""
        return {n: e.oom_base for n, e in self._entries.items() if e.oom_base is not None}

    def oom_since_start(self, name: str) -> int | None:
        """OOM kills of ``name`` since it was first seen (this boot); None if unknown."""
        entry = self._entries.get(name)
        if entry is None or entry.oom_base is None or entry.sample is None:
            return None
        kills = entry.sample.oom_kills
        return None if kills is None else kills - entry.oom_base


def layout_columns(width: int, keys: Sequence[str] | None = None) -> list[tuple[Column, int]]:
    """Columns that fit in ``width`` cells, with their widths (1-cell gaps between).

    ``keys``: the columns wanted, in this order (the config's ``columns``; None: all).
    """
    by_key = {column.key: column for column in COLUMNS}
    columns = list(COLUMNS) if keys is None else [by_key[key] for key in keys if key in by_key]

    def needed(cols: list[Column]) -> int:
        return sum(c.width for c in cols) + len(cols) - 1

    while needed(columns) > width and any(c.optional for c in columns):
        drop = max(c.drop for c in columns if c.optional)
        columns = [c for c in columns if not (c.optional and c.drop == drop)]
    spare = max(0, width - needed(columns))
    flex_total = sum(c.flex for c in columns) or 1
    widths = [c.width + spare * c.flex // flex_total for c in columns]
    # Give rounding leftovers to the first flexible column.
    leftover = max(0, width - (sum(widths) + len(widths) - 1))
    for i, c in enumerate(columns):
        if c.flex:
            widths[i] += leftover
            break
    return list(zip(columns, widths, strict=True))

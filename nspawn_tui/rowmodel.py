"""From host data to the text of the machine table's cells (no Textual).

Kept apart from the widget so that formatting is tested without a screen,
and so the widget can compare cell texts to repaint only what changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from nspawn_tui.formatting import (
    format_count,
    format_duration,
    format_memory,
    format_percent,
    memory_fraction,
)
from nspawn_tui.host.base import Machine, Sample


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    width: int  # minimum width in cells
    right: bool = False  # right-aligned
    flex: int = 0  # share of spare width
    optional: bool = False  # dropped first on narrow terminals


COLUMNS: Final = (
    Column("name", "NAME", 14, flex=2),
    Column("state", "STATE", 9),
    Column("os", "OS", 12, flex=3),
    Column("address", "ADDRESS", 15, optional=True, flex=2),
    Column("cpu", "CPU%", 6, right=True),
    Column("memory", "MEMORY", 11, right=True),
    Column("tasks", "TASKS", 6, right=True),
    Column("uptime", "UPTIME", 8, right=True),
)
COLUMN_KEYS: Final = tuple(column.key for column in COLUMNS)

#: Cell styles (component classes of the table) by meaning.
STYLE_NONE: Final = ""
STYLE_DIM: Final = "dim"
STYLE_WARN: Final = "warn"
STYLE_HOT: Final = "hot"
STYLE_NA: Final = "na"


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    cells: tuple[str, ...]
    styles: tuple[str, ...]
    sort_keys: tuple[tuple[int, float | str], ...]  # one per column: (missing?, value)
    running: bool


def _tasks_style(sample: Sample | None) -> str:
    if sample is None or sample.tasks_current is None:
        return STYLE_NA
    limit = sample.tasks_max
    if limit is not None and limit < 2**62 and limit > 0 and sample.tasks_current >= 0.9 * limit:
        return STYLE_WARN
    return STYLE_NONE


def _key(value: float | str | None) -> tuple[int, float | str]:
    return (1, 0.0) if value is None else (0, value)


def build_row(
    machine: Machine,
    sample: Sample | None,
    now: float,
    *,
    cpu_scale: float = 1.0,
) -> Row:
    """One row; ``cpu_scale`` divides CPU % (1 = % of one core, N = % of N cores)."""
    running = machine.running
    cpu = sample.cpu_percent / cpu_scale if sample and sample.cpu_percent is not None else None
    mem = sample.memory_current if sample else None
    mem_max = sample.memory_max if sample else None
    uptime = now - machine.started_at if running and machine.started_at else None
    cells: tuple[str, ...]
    styles: tuple[str, ...]
    if running:
        cells = (
            machine.name,
            machine.state,
            machine.os or "—",
            machine.addresses[0] if machine.addresses else "",
            format_percent(cpu) if sample else "…",
            format_memory(mem, mem_max) if sample else "…",
            format_count(sample.tasks_current) if sample else "…",
            format_duration(uptime),
        )
        fraction = memory_fraction(mem, mem_max)
        styles = (
            STYLE_NONE,
            STYLE_NONE,
            STYLE_NONE if machine.os else STYLE_NA,
            STYLE_NONE,
            STYLE_NA if cpu is None else (STYLE_HOT if cpu >= 80 else STYLE_NONE),
            STYLE_NA
            if mem is None
            else (STYLE_WARN if fraction is not None and fraction >= 0.9 else STYLE_NONE),
            _tasks_style(sample),
            STYLE_NONE,
        )
    else:
        cells = (machine.name, machine.state, machine.os or "—", "", "", "", "", "")
        styles = (STYLE_DIM,) * len(COLUMNS)
    sort_keys = (
        _key(machine.name),
        _key(f"{0 if running else 1}{machine.state}"),
        _key(machine.os or None),
        _key(machine.addresses[0] if machine.addresses else None),
        _key(cpu),
        _key(mem),
        _key(sample.tasks_current if sample else None),
        _key(uptime),
    )
    return Row(machine.name, cells, styles, sort_keys, running)


def build_rows(
    machines: Sequence[Machine],
    samples: dict[str, Sample],
    now: float,
    *,
    cpu_scale: float = 1.0,
) -> list[Row]:
    return [build_row(m, samples.get(m.name), now, cpu_scale=cpu_scale) for m in machines]


def layout_columns(width: int) -> list[tuple[Column, int]]:
    """Columns that fit in ``width`` cells, with their widths (1-cell gaps between)."""
    columns = list(COLUMNS)

    def needed(cols: list[Column]) -> int:
        return sum(c.width for c in cols) + len(cols) - 1

    while needed(columns) > width and any(c.optional for c in columns):
        columns.remove(next(c for c in columns if c.optional))
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

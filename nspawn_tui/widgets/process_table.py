"""The processes of one machine as a table: a cgroup tree, or a list sorted by CPU or memory.

:func:`build_rows` turns a :class:`~nspawn_tui.host.processes.ProcessTable`
into row texts (no Textual): in ``tree`` order as ``machinectl status`` draws
it (a cgroup's processes, then its sub-cgroups), or flat by CPU or memory.
:class:`ProcessTableView` shows them.  Its rows are positions, not
processes: a refresh updates only the cells whose text changed (a re-sort
too), rows are added or removed at the end, and the cursor follows the
process it was on.  Every cell is a :class:`~rich.text.Text` (never markup).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Final, Literal

from rich.text import Text
from textual import events

from nspawn_tui.host.processes import ProcessInfo, ProcessTable
from nspawn_tui.safe import clean
from nspawn_tui.view.formatting import UNAVAILABLE, format_bytes, format_percent
from nspawn_tui.widgets.table_motions import TableMotions

SortKey = Literal["tree", "cpu", "memory"]
SORT_KEYS: Final[tuple[SortKey, ...]] = ("tree", "cpu", "memory")

#: (key, title, width, right-aligned) of each column, in order; the command takes the rest.
#: Widths include the one space that separates a column from the next.
COLUMNS: Final = (
    ("pid", "PID", 8, True),
    ("ns_pid", "NSPID", 8, True),
    ("user", "USER", 9, False),
    ("cpu", "CPU%", 6, True),
    ("rss", "RSS", 6, True),
    ("state", "S", 2, False),
    ("threads", "THR", 4, True),
    ("started", "STARTED", 8, False),
    ("command", "COMMAND", 0, False),
)
#: The narrowest command column, and the cells kept for the vertical scrollbar.
MIN_COMMAND: Final = 16
SCROLLBAR: Final = 2
#: ps's one-letter states, from psutil's names.
STATE_LETTERS: Final = {
    "running": "R", "sleeping": "S", "disk-sleep": "D", "stopped": "T", "tracing-stop": "t",
    "zombie": "Z", "dead": "X", "wake-kill": "K", "waking": "W", "idle": "I", "parked": "P",
}  # fmt: skip
USER_WIDTH: Final = 8
COMMAND_WIDTH: Final = 300


@dataclass(frozen=True, slots=True)
class ProcRow:
    """One line of the table: a process, or a cgroup heading (``pid`` None)."""

    key: str  # "p:PID" or "g:PATH": what the cursor follows
    cells: tuple[str, ...]
    style: str = ""
    pid: int | None = None
    group: str = "/"  # the process's cgroup, below the machine's
    command: str = ""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _started(started_at: float | None, now: float, tz: datetime.tzinfo | None) -> str:
    if started_at is None:
        return UNAVAILABLE
    when = datetime.datetime.fromtimestamp(started_at, tz)
    today = datetime.datetime.fromtimestamp(now, tz).date()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%b %d")


def _process_row(
    p: ProcessInfo, group: str, prefix: str, now: float, tz: datetime.tzinfo | None
) -> ProcRow:
    command = clean(p.command)
    cells = (
        str(p.pid),
        UNAVAILABLE if p.ns_pid is None else str(p.ns_pid),
        _clip(clean(p.user) or "?", USER_WIDTH),
        format_percent(p.cpu_percent),
        format_bytes(p.rss),
        STATE_LETTERS.get(p.state, clean(p.state)[:1] or "?"),
        UNAVAILABLE if p.threads is None else str(p.threads),
        _started(p.started_at, now, tz),
        _clip(prefix + command, COMMAND_WIDTH),
    )
    style = "dim" if p.state in ("stopped", "zombie", "tracing-stop", "dead") else ""
    return ProcRow(f"p:{p.pid}", cells, style, p.pid, group, command)


def matches(p: ProcessInfo, group: str, needle: str) -> bool:
    """Whether the filter text ``needle`` (lower case) is in the process's texts."""
    if not needle:
        return True
    texts = (p.command, p.user, str(p.pid), str(p.ns_pid), group)
    return any(needle in text.lower() for text in texts)


def build_rows(
    table: ProcessTable,
    sort: SortKey = "tree",
    needle: str = "",
    *,
    now: float,
    tz: datetime.tzinfo | None = None,
) -> list[ProcRow]:
    """The rows to show: the tree (``sort="tree"``) or the processes sorted, filtered."""
    needle = needle.strip().lower()
    if sort != "tree":
        found = [
            (p, g.path) for g in table.groups for p in g.processes if matches(p, g.path, needle)
        ]
        if sort == "cpu":
            found.sort(key=lambda pg: (-(pg[0].cpu_percent or -1.0), pg[0].pid))
        else:
            found.sort(key=lambda pg: (-(pg[0].rss if pg[0].rss is not None else -1), pg[0].pid))
        return [_process_row(p, group, "", now, tz) for p, group in found]
    return _tree_rows(table, needle, now, tz)


def _tree_rows(
    table: ProcessTable, needle: str, now: float, tz: datetime.tzinfo | None
) -> list[ProcRow]:
    groups = {g.path: g for g in table.groups}
    children: dict[str, list[str]] = {path: [] for path in groups}
    for path in groups:
        if path != "/":
            parent = path.rsplit("/", 1)[0] or "/"
            while parent not in groups and parent != "/":  # a gap: the nearest one shown
                parent = parent.rsplit("/", 1)[0] or "/"
            children.setdefault(parent, []).append(path)
    shown = {
        path: [p for p in g.processes if matches(p, path, needle)] for path, g in groups.items()
    }

    def has_any(path: str) -> bool:
        return bool(shown.get(path)) or any(has_any(c) for c in children.get(path, ()))

    top = clean(table.cgroup.rsplit("/", 1)[-1]) if table.cgroup else "/"
    rows = [ProcRow("g:/", ("",) * 8 + (top or "/",), "bold", group="/")]

    def emit(path: str, indent: str) -> None:
        procs = shown.get(path, [])
        subs = [c for c in children.get(path, ()) if has_any(c)]
        items: list[ProcessInfo | str] = [*procs, *subs]
        for i, item in enumerate(items):
            last = i == len(items) - 1
            branch = indent + ("└─" if last else "├─")
            if isinstance(item, str):
                name = clean(item[len(path.rstrip("/")) + 1 :])
                rows.append(ProcRow(f"g:{item}", ("",) * 8 + (branch + name,), "bold", group=item))
                emit(item, indent + ("  " if last else "│ "))
            else:
                rows.append(_process_row(item, path, branch, now, tz))

    emit("/", "")
    return rows


class ProcessTableView(TableMotions[Text]):
    """The table of one machine's processes; see the module docstring."""

    DEFAULT_CSS = """
    ProcessTableView { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False, cell_padding=0)
        self._rows: list[ProcRow] = []
        self._command_width = 0
        #: cells updated by the last :meth:`set_rows` (for tests and benchmarks)
        self.cells_updated = 0

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self, event: events.Resize) -> None:
        if self._fitted_width() != self._command_width:
            rows, self._rows = self._rows, []
            cursor = self.cursor_row
            self.clear(columns=True)
            self._add_columns()
            self.set_rows(rows)
            self.move_cursor(row=cursor)

    def _fitted_width(self) -> int:
        fixed = sum(width for _key, _title, width, _right in COLUMNS)
        return max(MIN_COMMAND, self.size.width - fixed - SCROLLBAR)

    def _add_columns(self) -> None:
        self._command_width = self._fitted_width()
        for key, title, width, right in COLUMNS:
            label = self._cell(title, "bold", width if right else 0)
            self.add_column(label, key=key, width=width or self._command_width)

    @staticmethod
    def _cell(text: str, style: str, width: int) -> Text:
        """A cell's text; a right-aligned one (``width`` > 0) ends with the column's space."""
        if width:
            return Text(text.rjust(width - 1) + " ", style=style, no_wrap=True)
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    @property
    def shown_rows(self) -> list[ProcRow]:
        return list(self._rows)

    def cursor_item(self) -> ProcRow | None:
        """The row under the cursor (a process or a cgroup heading)."""
        index = self.cursor_row
        return self._rows[index] if 0 <= index < len(self._rows) else None

    def set_rows(self, rows: list[ProcRow]) -> None:
        """Show ``rows``: changed cells are updated in place, the cursor stays on its process."""
        followed = self.cursor_item()
        old = self._rows
        updated = 0
        for index, row in enumerate(rows):
            if index >= len(old):
                cells = (
                    self._cell(cell, row.style, width if right else 0)
                    for (_key, _title, width, right), cell in zip(COLUMNS, row.cells, strict=True)
                )
                self.add_row(*cells, key=f"r{index}")
                updated += len(row.cells)
                continue
            before = old[index]
            for (key, _title, width, right), was, cell in zip(
                COLUMNS, before.cells, row.cells, strict=True
            ):
                if was != cell or before.style != row.style:
                    text = self._cell(cell, row.style, width if right else 0)
                    self.update_cell(f"r{index}", key, text)
                    updated += 1
        for index in range(len(old) - 1, len(rows) - 1, -1):
            self.remove_row(f"r{index}")
        self._rows = list(rows)
        self.cells_updated = updated
        if followed is not None:
            position = next((i for i, r in enumerate(rows) if r.key == followed.key), None)
            if position is not None and position != self.cursor_row:
                self.move_cursor(row=position)

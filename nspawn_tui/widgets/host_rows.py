"""The machine table's host rows in a fleet: which host is under the cursor, folding, drawing.

A mixin of :class:`~nspawn_tui.widgets.machine_table.MachineTable`, kept apart
so each module stays small.  The rows themselves (texts and grouping) are
:mod:`nspawn_tui.view.host_rows`.  A host row is drawn across both bands:
its count and reason run from the OS column to the figures (to the end of
the line for a host that is down); it repaints, like a machine's row, only
the cells that changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nspawn_tui.host.base import HostStatus
from nspawn_tui.view.host_rows import (
    SPAN_COLUMN,
    HostRow,
    build_host_row,
    group_rows,
    host_key,
    span_text,
)
from nspawn_tui.view.rows import COLUMNS, Row

if TYPE_CHECKING:
    from nspawn_tui.widgets.machine_table import MachineBand

#: the first figure column (CPU): the end of a host row's span when it is up
_FIGURES = next(i for i, column in enumerate(COLUMNS) if column.key == "cpu")
_name = attrgetter("name")


class HostRowsMixin:
    """Host rows of a fleet (``Snapshot.hosts``) in the table, when it is sorted by name."""

    # the table's own state and methods, used here
    _visible: list[Row]
    _cursor: int
    _shown: list[MachineBand]
    sort_key: str
    sort_reverse: bool
    name_filter: str

    def _init_hosts(self) -> None:
        self._hosts: tuple[HostStatus, ...] = ()
        self._host_rows: dict[str, HostRow] = {}
        #: labels of the hosts whose machines are hidden
        self.collapsed: set[str] = set()

    def _restack(self, keep: str | None) -> None:
        raise NotImplementedError

    def _refresh_all(self) -> None:
        raise NotImplementedError

    def _style(self, name: str) -> Style:
        raise NotImplementedError

    # ------------------------------------------------------------ public API

    @property
    def hosts(self) -> tuple[HostStatus, ...]:
        return self._hosts

    @property
    def grouped(self) -> bool:
        """Machines under their host's row: a fleet, sorted by name."""
        return bool(self._hosts) and self.sort_key == "name"

    @property
    def cursor_host(self) -> str | None:
        """The label of the host whose row is under the cursor, else None."""
        if 0 <= self._cursor < len(self._visible):
            row = self._visible[self._cursor]
            if isinstance(row, HostRow):
                return row.label
        return None

    @property
    def visible_keys(self) -> list[str]:
        """Every line's key in order: machine names and host rows' ``LABEL/``."""
        return [row.name for row in self._visible]

    def host_row(self, label: str) -> HostRow | None:
        return self._host_rows.get(label)

    def toggle_host(self, label: str) -> bool:
        """Hide or show the machines of ``label`` (the cursor goes to its row); False if unknown."""
        status = next((s for s in self._hosts if s.label == label), None)
        if status is None:
            return False
        self.collapsed.symmetric_difference_update({label})
        row = self._host_rows.get(label)
        if row is not None:
            self._host_rows[label] = build_host_row(
                status,
                row.machines,
                row.machines_running,
                collapsed=label in self.collapsed,
            )
        self._restack(keep=host_key(label))
        self._refresh_all()
        return True

    def fold_at_cursor(self) -> bool:
        """Fold the host under the cursor, or the host of the machine there; False if not grouped."""
        if not self.grouped:
            return False
        row = self._visible[self._cursor] if self._cursor < len(self._visible) else None
        if row is not None and row.host:
            self.toggle_host(row.host)
        return True

    # ------------------------------------------------------------- internals

    def _cursor_key(self) -> str | None:
        """The key of the line under the cursor: a machine's name or a host row's."""
        return self._visible[self._cursor].name if self._cursor < len(self._visible) else None

    def _update_hosts(self, rows: Sequence[Row], hosts: Sequence[HostStatus] | None) -> None:
        """New hosts (None: the same as before) and their rows' counts from ``rows``."""
        if hosts is not None:
            self._hosts = tuple(hosts)
            labels = {status.label for status in hosts}
            self.collapsed.intersection_update(labels)
        if not self._hosts:
            self._host_rows = {}
            return
        machines: Counter[str] = Counter()
        running: Counter[str] = Counter()
        for row in rows:
            machines[row.host] += 1
            if row.running:
                running[row.host] += 1
        self._host_rows = {
            status.label: build_host_row(
                status,
                machines[status.label],
                running[status.label],
                collapsed=status.label in self.collapsed,
            )
            for status in self._hosts
        }

    def _arrange(self, rows: list[Row], column: int) -> list[Row]:
        """``rows`` (filtered) in the table's order: by ``column``, or under their hosts."""
        if self.grouped:
            rows.sort(key=_name, reverse=self.sort_reverse)
            needle = self.name_filter.lower()
            return group_rows(rows, self._hosts, self._host_rows, self.collapsed, needle)
        rows.sort(key=_name)
        # Missing values sort last in either direction.
        present = [r for r in rows if r.sort_keys[column][0] == 0]
        missing = [r for r in rows if r.sort_keys[column][0] != 0]
        present.sort(key=lambda r: r.sort_keys[column][1], reverse=self.sort_reverse)
        return present + missing

    def _host_dirty_end(self, band: MachineBand, before: Row, after: Row) -> int:
        """Where a changed host row's line in ``band`` stops differing (0: unchanged there)."""
        assert isinstance(before, HostRow) and isinstance(after, HostRow)
        if before.spans or after.spans:  # the reason runs over both bands
            if before.cells != after.cells or before.styles != after.styles:
                return band.cells
            return 0
        end = 0
        for placed in band.placed:
            col = placed.index
            if before.cells[col] != after.cells[col] or before.styles[col] != after.styles[col]:
                # the span runs to the figures: the rest of the identity band
                end = band.cells if col == SPAN_COLUMN else placed.x + placed.width
        return end

    def _host_strip(
        self, band: MachineBand, row: HostRow, line_style: Style, is_cursor: bool
    ) -> Strip:
        """Line of a host row in ``band``: the whole line laid out, then the band's part."""
        layout: list[tuple[int, int, int]] = []  # (column, x, width) across the bands
        band_x = offset = 0
        for shown in self._shown:
            if shown is band:
                band_x = offset
            layout += [(p.index, offset + p.x, p.width) for p in shown.placed]
            offset += shown.cells
        total = offset
        figures_x = next((x for col, x, _ in layout if col >= _FIGURES), total)
        pieces: list[tuple[str, str]] = []  # (text, style name)
        used = 0
        for col, x, width in layout:
            if SPAN_COLUMN < col < _FIGURES:
                continue  # under the span
            if x > used:
                pieces.append((" " * (x - used), ""))
            if col == SPAN_COLUMN:
                end = total if row.spans else max(x, figures_x - 1)
                count, reason = span_text(row)
                text = fit(f"{count}  {reason}" if reason else count, end - x, False)
                pieces += [(text[: len(count)], ""), (text[len(count) :], row.styles[col])]
                used = end
                if row.spans:
                    break
                continue
            pieces.append((fit(row.cells[col], width, COLUMNS[col].right), row.styles[col]))
            used = x + width
        if total > used:
            pieces.append((" " * (total - used), ""))
        segments = []
        for text, name in pieces:
            style = line_style
            if name:
                style = line_style + self._style(name)
                if is_cursor:
                    style += Style(bgcolor=line_style.bgcolor)
            segments.append(Segment(text, style))
        return Strip(segments, total).crop(band_x, band_x + band.cells)


def fit(text: str, width: int, right: bool) -> str:
    """``text`` cut (with "…") or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    cells = len(text) if text.isascii() else cell_len(text)
    if cells > width:
        if width <= 1:
            return set_cell_size(text, width)
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - cells)
    return pad + text if right else text + pad

"""The machine list: Line-API bands that repaint only the cells that changed.

A ``DataTable`` repaints whole rows (and its header) on every cell update;
over SSH that is five times the bytes (see PERF-NOTES.md).  Here the row is
drawn by two Line-API widgets side by side: the *identity* band (name, state,
OS, address: text that rarely changes) and the *metrics* band (CPU, memory,
tasks, uptime: figures that change every poll).  Textual's partial update
sends a dirty span from the start of the widget that holds it to the span's
end, so a changed figure marks its line of the metrics band dirty up to the
end of the last changed cell: a changed CPU cell sends the CPU cell only, and
CPU + tasks go out as one run with one colour escape instead of two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.app import ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.host.base import HostStatus
from nspawn_tui.view.host_rows import MEMBER_INDENT, HostRow
from nspawn_tui.view.rows import COLUMNS, Row, layout_columns
from nspawn_tui.widgets.geometry import content_size
from nspawn_tui.widgets.host_header import changed_span as changed_span  # its old home
from nspawn_tui.widgets.host_rows import HostRowsMixin
from nspawn_tui.widgets.host_rows import fit as _fit
from nspawn_tui.widgets.motions import motion_bindings
from nspawn_tui.widgets.paint_now import refresh_lines
from nspawn_tui.widgets.plain_lines import PlainLines
from nspawn_tui.widgets.safe_text import safe_strip

COLUMNS_INDEX: dict[str, int] = {column.key: i for i, column in enumerate(COLUMNS)}
#: the first column of the metrics band
METRICS_START = COLUMNS_INDEX["cpu"]


@dataclass(frozen=True, slots=True)
class Placed:
    """A column placed in a band: its index in COLUMNS, offset and text width in cells."""

    index: int
    x: int
    width: int


class MachineBand(PlainLines):
    """Consecutive columns of the table (header line + cells); rendering is the table's."""

    DEFAULT_CSS = "MachineBand { height: 100%; width: 1; }"

    def __init__(self, table: MachineTable, start: int, stop: int) -> None:
        super().__init__()
        self.table = table
        self.start, self.stop = start, stop  # COLUMNS[start:stop]
        self.placed: list[Placed] = []  # set by the table's layout

    @property
    def cells(self) -> int:
        """The band's width in cells (:func:`content_size`: every line drawn reads it)."""
        return content_size(self).width

    def render_line(self, y: int) -> Strip:
        return self.table.render_band(self, y)

    def column_at(self, x: int) -> int | None:
        """The column under cell ``x`` (a gap belongs to the column before it)."""
        for placed in reversed(self.placed):
            if x >= placed.x:
                return placed.index
        return None

    def on_click(self, event: events.Click) -> None:
        event.stop()
        col = self.column_at(event.x)
        if col is not None:
            self.table.clicked(col, event.y)


class MachineTable(HostRowsMixin, Widget, can_focus=True):
    """Rows of machines with a fixed header line, cursor, selection, sort and filter.

    A fleet's host rows (:class:`~nspawn_tui.widgets.host_rows.HostRowsMixin`) are
    never in :attr:`cursor_name`, :meth:`targets` nor the selection.
    """

    #: its bands cover it: Textual need not run its (empty) lines through the styles cache
    BLANK = True

    DEFAULT_CSS = """
    MachineTable { height: 1fr; layout: horizontal; }
    MachineTable > .machine-table--header { text-style: bold; background: $panel; }
    MachineTable > .machine-table--cursor { background: $accent 40%; }
    MachineTable:focus > .machine-table--cursor { background: $accent 70%; }
    MachineTable > .machine-table--selected { text-style: bold; color: $text-accent; }
    MachineTable > .machine-table--dim { color: $text-muted; }
    MachineTable > .machine-table--warn { color: $warning; text-style: bold; }
    MachineTable > .machine-table--hot { color: $error; }
    MachineTable > .machine-table--na { color: $text-disabled; }
    MachineTable > .machine-table--host { text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "machine-table--header",
        "machine-table--cursor",
        "machine-table--selected",
        "machine-table--dim",
        "machine-table--warn",
        "machine-table--hot",
        "machine-table--na",
        "machine-table--host",
    }
    BINDINGS = motion_bindings(
        {
            "list.up": "cursor(-1)",
            "list.down": "cursor(1)",
            "list.page_up": "page(-1)",
            "list.page_down": "page(1)",
            "list.half_page_up": "page(-0.5)",
            "list.half_page_down": "page(0.5)",
            "list.first": "cursor_to(0)",
            "list.last": "cursor_to(-1)",
        }
    )

    class Highlighted(Message):
        """The cursor moved to another machine, or a host's row (``host``), or to none."""

        def __init__(self, name: str | None, host: str | None = None) -> None:
            super().__init__()
            self.name = name
            self.host = host

    cpu_title = "CPU%"

    def __init__(self, *, id: str | None = None, columns: Sequence[str] | None = None) -> None:
        super().__init__(id=id)
        self.column_keys = columns  # the columns shown, in order in each band (None: all)
        self._rows: dict[str, Row] = {}
        self._visible: list[Row] = []
        self._cursor = 0
        self._top = 0
        self.sort_key = "name"
        self.sort_reverse = False
        self.name_filter = ""
        self.selected: set[str] = set()
        self._bands = [
            MachineBand(self, 0, METRICS_START),
            MachineBand(self, METRICS_START, len(COLUMNS)),
        ]
        self._shown: list[MachineBand] = []
        self._layout_width = -1
        self._cache: dict[tuple[str, int], tuple[tuple[object, ...], Strip]] = {}
        self._last_highlight: str | None = None
        #: resolved styles by component name ("" = the widget's own); Textual's
        #: own cache is cleared by every refresh(), i.e. every second
        self._styles: dict[str, Style] = {}
        self._init_hosts()

    def compose(self) -> ComposeResult:
        yield from self._bands

    # ------------------------------------------------------------ public API

    @property
    def cursor_name(self) -> str | None:
        """The machine under the cursor (None on a host's row)."""
        if 0 <= self._cursor < len(self._visible):
            row = self._visible[self._cursor]
            return None if isinstance(row, HostRow) else row.name
        return None

    @property
    def visible_names(self) -> list[str]:
        """The machines shown, in order (host rows left out: see :attr:`visible_keys`)."""
        return [row.name for row in self._visible if not isinstance(row, HostRow)]

    @property
    def on_screen_names(self) -> tuple[str, ...]:
        """The machines whose rows are in the viewport now."""
        top = self._top
        shown = self._visible[top : top + self._body_height()]
        return tuple(row.name for row in shown if not isinstance(row, HostRow))

    def row(self, name: str) -> Row | None:
        return self._rows.get(name)

    def targets(self) -> list[str]:
        """The selected machines, or the one under the cursor."""
        chosen = [row.name for row in self._visible if row.name in self.selected]  # no host row
        if chosen:
            return chosen
        name = self.cursor_name
        return [name] if name else []

    def set_rows(self, rows: list[Row], hosts: Sequence[HostStatus] | None = None) -> None:
        """New data (and a fleet's hosts, None: as before): repaint only what changed."""
        self._rows = {row.name: row for row in rows}
        if self.selected:
            self.selected.intersection_update(self._rows)
        if hosts or self._hosts:
            self._update_hosts(rows, hosts)
        old = self._visible
        self._restack(keep=self._cursor_key())
        if len(old) != len(self._visible) or any(
            a.name != b.name for a, b in zip(old, self._visible, strict=True)
        ):
            self._refresh_all()
            return
        # Only the lines on screen: rows scrolled out are drawn when they come in.
        top = self._top
        dirty: dict[MachineBand, list[Region]] = {}
        for index in range(top, min(len(old), top + self._body_height())):
            before, after = old[index], self._visible[index]
            if before is after or (before.cells == after.cells and before.styles == after.styles):
                continue
            y = index - top + 1
            for band in self._shown:
                if isinstance(after, HostRow):
                    end = self._host_dirty_end(band, before, after)
                    if end:
                        dirty.setdefault(band, []).append(Region(0, y, end, 1))
                    continue
                # Up to the end of the band's last changed cell: Textual sends the
                # line from the band's start to there (one run, one escape).
                end = 0
                for placed in band.placed:
                    col = placed.index
                    if (
                        before.cells[col] != after.cells[col]
                        or before.styles[col] != after.styles[col]
                    ):
                        end = placed.x + placed.width
                if end:
                    dirty.setdefault(band, []).append(Region(0, y, end, 1))
        for band, regions in dirty.items():
            refresh_lines(band, *regions)

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key, self.sort_reverse = key, reverse
        self._restack(keep=self._cursor_key())
        self._refresh_all()

    def set_filter(self, text: str) -> None:
        self.name_filter = text
        self._restack(keep=self._cursor_key())
        self._refresh_all()

    def toggle_selected(self) -> None:
        name = self.cursor_name
        if name is None:
            return
        self.selected.symmetric_difference_update({name})
        self._refresh_line(self._cursor - self._top + 1)

    def move_cursor_to_name(self, name: str) -> bool:
        for index, row in enumerate(self._visible):
            if row.name == name:
                self._set_cursor(index)
                return True
        return False

    def set_cpu_title(self, title: str) -> None:
        if title != self.cpu_title:
            self.cpu_title = title
            self._refresh_line(0)

    # ------------------------------------------------------------- internals

    def _refresh_all(self) -> None:
        for band in self._shown:
            band.refresh()

    def _refresh_line(self, y: int) -> None:
        for band in self._shown:
            band.refresh(Region(0, y, band.cells, 1))

    def _restack(self, keep: str | None) -> None:
        rows = list(self._rows.values())
        if self.name_filter:
            needle = self.name_filter.lower()
            rows = [row for row in rows if needle in row.name.lower()]
        self._visible = self._arrange(rows, COLUMNS_INDEX[self.sort_key])
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self._visible) if r.name == keep), self._cursor)
        self._set_cursor(index)

    def _body_height(self) -> int:
        return max(0, content_size(self).height - 1)  # every poll: not self.size

    def _set_cursor(self, index: int) -> None:
        count = len(self._visible)
        index = max(0, min(index, count - 1)) if count else 0
        moved = index != self._cursor
        old_y = self._cursor - self._top + 1
        self._cursor = index
        height = self._body_height()
        old_top = self._top
        if height:
            if index < self._top:
                self._top = index
            elif index >= self._top + height:
                self._top = index - height + 1
            self._top = max(0, min(self._top, max(0, count - height)))
        if self._top != old_top:
            self._refresh_all()
        elif moved:
            self._refresh_line(old_y)
            self._refresh_line(index - self._top + 1)
        key = self._cursor_key()
        if key != self._last_highlight:
            self._last_highlight = key
            self.post_message(self.Highlighted(self.cursor_name, self.cursor_host))

    def _apply_layout(self) -> None:
        """Place the columns that fit in the bands; a band with none is hidden."""
        width = self.size.width
        if width == self._layout_width or width <= 0:
            return
        self._layout_width = width
        widths = {column.key: w for column, w in layout_columns(width, self.column_keys)}
        order = [COLUMNS_INDEX[key] for key in widths]  # left to right, as laid out
        self._shown = []
        band_widths: list[int] = []
        for band in self._bands:
            band.placed = []
            x = 0
            for index in (i for i in order if band.start <= i < band.stop):
                band.placed.append(Placed(index, x, widths[COLUMNS[index].key]))
                x += widths[COLUMNS[index].key] + 1  # the gap after it
            band.display = bool(band.placed)
            if band.placed:
                self._shown.append(band)
                band_widths.append(x)
        if band_widths:  # the last band takes what is left (its own cells and any spare)
            band_widths[-1] = max(1, width - sum(band_widths[:-1]))
        for band, band_width in zip(self._shown, band_widths, strict=True):
            band.styles.width = band_width
        self._cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout()
        self._set_cursor(self._cursor)
        self._refresh_all()

    def on_mount(self) -> None:
        self._apply_layout()

    # ------------------------------------------------------------- rendering

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if name:
                style = self.get_component_rich_style(f"machine-table--{name}")
            else:
                style = self.rich_style
            self._styles[name] = style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def render_band(self, band: MachineBand, y: int) -> Strip:
        """Line ``y`` of one band: the header cells, a row's cells, or blank."""
        width = band.cells
        base = self._style("")
        if y == 0:
            titles = []
            for placed in band.placed:
                spec = COLUMNS[placed.index]
                title = self.cpu_title if spec.key == "cpu" else spec.title
                if spec.key == self.sort_key:
                    title += "▼" if self.sort_reverse else "▲"
                titles.append(_fit(title, placed.width, spec.right))
            style = base + self._style("header")
            return Strip([Segment(" ".join(titles), style)]).adjust_cell_length(width, style)
        index = self._top + y - 1
        if index >= len(self._visible):
            return Strip.blank(width, base)
        row = self._visible[index]
        is_cursor = index == self._cursor
        is_selected = row.name in self.selected
        grouped = self.grouped
        # Not in the key: focus and styles (on_focus, on_blur and a style change clear it).
        cut, marks = row.cells, row.styles
        if not isinstance(row, HostRow):
            cut, marks = cut[band.start : band.stop], marks[band.start : band.stop]
        key = (cut, marks, is_cursor, is_selected, width, grouped)
        cached = self._cache.get((row.name, band.start))
        if cached is not None and cached[0] == key:
            return cached[1]
        line_style = base
        if isinstance(row, HostRow):  # bold, under the cursor's colour
            line_style += self._style("host")
        if is_selected:
            line_style += self._style("selected")
        if is_cursor:
            line_style += self._style("cursor")
        if isinstance(row, HostRow):
            strip = safe_strip(self._host_strip(band, row, line_style, is_cursor))
            self._cache[(row.name, band.start)] = (key, strip)
            return strip
        # Cells of one style (and the gaps between them) make one segment:
        # one colour escape for a run of changed figures.  Every fitted cell is
        # exactly its width, so the strip's length is known without measuring.
        segments: list[Segment] = []
        run: list[str] = []
        run_style = line_style
        cells, styles = row.cells, row.styles
        used = 0
        for placed in band.placed:
            if used:
                run.append(" " * (placed.x - used))  # the gap before this cell
            col = placed.index
            text = cells[col]
            if col == 0:
                if grouped and row.short:  # under its host's row: the plain name
                    text = MEMBER_INDENT + row.short
                if is_selected:
                    text = "● " + text
            cell_style = line_style
            if styles[col]:
                cell_style = line_style + self._style(styles[col])
                if is_cursor:
                    cell_style += Style(bgcolor=line_style.bgcolor)
            if cell_style is not run_style and cell_style != run_style and run:
                segments.append(Segment("".join(run), run_style))
                run = []
            run_style = cell_style
            run.append(_fit(text, placed.width, COLUMNS[col].right))
            if cell_style is not line_style:  # the gap is drawn in the line's style
                segments.append(Segment("".join(run), run_style))
                run, run_style = [], line_style
            used = placed.x + placed.width
        if width > used:  # the gap after the last cell and any spare cells
            run.append(" " * (width - used))
        if run:
            segments.append(Segment("".join(run), run_style))
        strip = Strip(segments, max(width, used))
        if used > width:
            strip = strip.crop(0, width)
        strip = safe_strip(strip)  # the cells are cleaned; this guards any new one
        self._cache[(row.name, band.start)] = (key, strip)
        return strip

    # --------------------------------------------------------------- input

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self._cursor + delta)

    def action_page(self, direction: float) -> None:
        """A page (1, -1) or half a page (0.5, -0.5) down or up."""
        step = max(1, int(abs(direction) * max(1, self._body_height() - 1)))
        self._set_cursor(self._cursor + (step if direction > 0 else -step))

    def action_cursor_to(self, index: int) -> None:
        self._set_cursor(len(self._visible) - 1 if index < 0 else index)

    def clicked(self, col: int, y: int) -> None:
        """A click on column ``col`` at line ``y``: sort by it (header) or move there."""
        self.focus()
        if y == 0:
            self.sort_by(COLUMNS[col].key)
        else:
            self._set_cursor(self._top + y - 1)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._set_cursor(self._cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._set_cursor(self._cursor - 3)

    def on_focus(self) -> None:
        self._styles.clear()
        self._cache.clear()
        self._refresh_all()

    def on_blur(self) -> None:
        self._styles.clear()
        self._cache.clear()
        self._refresh_all()

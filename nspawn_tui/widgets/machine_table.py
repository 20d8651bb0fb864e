"""The machine list: a Line-API widget that repaints only the cells that changed.

A ``DataTable`` repaints whole rows (and its header) on every cell update;
over SSH that is five times the bytes (see PERF-NOTES.md).  This widget
renders each line itself and, when only cell texts change, marks just the
changed characters of those cells dirty, so Textual sends only their new text.

Textual 8's partial update (``ChopsUpdate``) sends every dirty span of a line
from the start of the widget's chop, not from the span's start (its own
"TODO: crop to x extents"): a changed cell at column 90 resent the 90 cells
before it. :func:`install_span_crop` makes it send only the span, except
where a double-width character could be split (then it keeps Textual's way).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.control import Control
from rich.segment import Segment
from rich.style import Style
from textual import _compositor, events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.rowmodel import COLUMNS, Column, Row, layout_columns


@dataclass(frozen=True, slots=True)
class _Placed:
    column: Column
    x: int
    width: int


class MachineTable(Widget, can_focus=True):
    """Rows of machines with a fixed header line, cursor, selection, sort and filter."""

    DEFAULT_CSS = """
    MachineTable { height: 1fr; }
    MachineTable > .machine-table--header { text-style: bold; background: $panel; }
    MachineTable > .machine-table--cursor { background: $accent 40%; }
    MachineTable:focus > .machine-table--cursor { background: $accent 70%; }
    MachineTable > .machine-table--selected { text-style: bold; color: $text-accent; }
    MachineTable > .machine-table--dim { color: $text-muted; }
    MachineTable > .machine-table--warn { color: $warning; text-style: bold; }
    MachineTable > .machine-table--hot { color: $error; }
    MachineTable > .machine-table--na { color: $text-disabled; }
    """
    COMPONENT_CLASSES = {
        "machine-table--header",
        "machine-table--cursor",
        "machine-table--selected",
        "machine-table--dim",
        "machine-table--warn",
        "machine-table--hot",
        "machine-table--na",
    }
    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "cursor_to(0)", "First", show=False),
        Binding("end", "cursor_to(-1)", "Last", show=False),
    ]

    class Highlighted(Message):
        """The cursor moved to another machine (or to none)."""

        def __init__(self, name: str | None) -> None:
            super().__init__()
            self.name = name

    class SortChanged(Message):
        def __init__(self, key: str, reverse: bool) -> None:
            super().__init__()
            self.key = key
            self.reverse = reverse

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._rows: dict[str, Row] = {}
        self._visible: list[Row] = []
        self._cursor = 0
        self._top = 0
        self.sort_key = "name"
        self.sort_reverse = False
        self.name_filter = ""
        self.selected: set[str] = set()
        self._placed: list[_Placed] = []
        self._placed_width = -1
        self._cache: dict[str, tuple[tuple[object, ...], Strip]] = {}
        self._last_highlight: str | None = None
        #: resolved styles by component name ("" = the widget's own); Textual's
        #: own cache is cleared by every refresh(), i.e. every second
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------ public API

    @property
    def cursor_name(self) -> str | None:
        if 0 <= self._cursor < len(self._visible):
            return self._visible[self._cursor].name
        return None

    @property
    def visible_names(self) -> list[str]:
        return [row.name for row in self._visible]

    def row(self, name: str) -> Row | None:
        return self._rows.get(name)

    def targets(self) -> list[str]:
        """The selected machines, or the one under the cursor."""
        chosen = [row.name for row in self._visible if row.name in self.selected]
        if chosen:
            return chosen
        name = self.cursor_name
        return [name] if name else []

    def set_rows(self, rows: list[Row]) -> None:
        """New data: repaint only cells whose text or style changed."""
        self._rows = {row.name: row for row in rows}
        self.selected &= set(self._rows)
        old = self._visible
        self._restack(keep=self.cursor_name)
        if [r.name for r in old] != [r.name for r in self._visible]:
            self.refresh()
            return
        height = self._body_height()
        for index, (before, after) in enumerate(zip(old, self._visible, strict=True)):
            if before is after or (before.cells == after.cells and before.styles == after.styles):
                continue
            y = index - self._top + 1
            if not 1 <= y <= height:
                continue  # off screen: drawn when scrolled into view
            selected = after.name in self.selected
            for placed, col in self._placed_with_index():
                if before.styles[col] != after.styles[col]:
                    self.refresh(Region(placed.x, y, placed.width, 1))
                elif before.cells[col] != after.cells[col]:
                    old_text = _cell_text(before, col, placed, selected)
                    new_text = _cell_text(after, col, placed, selected)
                    start, end = changed_span(old_text, new_text)
                    if end > start:
                        self.refresh(Region(placed.x + start, y, end - start, 1))

    def sort_by(self, key: str, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if key == self.sort_key else False
        self.sort_key, self.sort_reverse = key, reverse
        self._restack(keep=self.cursor_name)
        self.refresh()
        self.post_message(self.SortChanged(key, reverse))

    def set_filter(self, text: str) -> None:
        self.name_filter = text
        self._restack(keep=self.cursor_name)
        self.refresh()

    def toggle_selected(self) -> None:
        name = self.cursor_name
        if name is None:
            return
        self.selected.symmetric_difference_update({name})
        self.refresh()

    def move_cursor_to_name(self, name: str) -> bool:
        for index, row in enumerate(self._visible):
            if row.name == name:
                self._set_cursor(index)
                return True
        return False

    # ------------------------------------------------------------- internals

    def _restack(self, keep: str | None) -> None:
        rows = list(self._rows.values())
        if self.name_filter:
            needle = self.name_filter.lower()
            rows = [row for row in rows if needle in row.name.lower()]
        column = COLUMNS_INDEX[self.sort_key]
        rows.sort(key=lambda r: r.name)
        # Missing values sort last in either direction.
        present = [r for r in rows if r.sort_keys[column][0] == 0]
        missing = [r for r in rows if r.sort_keys[column][0] != 0]
        present.sort(key=lambda r: r.sort_keys[column][1], reverse=self.sort_reverse)
        self._visible = present + missing
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self._visible) if r.name == keep), self._cursor)
        self._set_cursor(index, force_scroll=True)

    def _body_height(self) -> int:
        return max(0, self.size.height - 1)

    def _set_cursor(self, index: int, force_scroll: bool = False) -> None:
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
            self.refresh()
        elif moved:
            width = self.size.width
            self.refresh(Region(0, old_y, width, 1), Region(0, index - self._top + 1, width, 1))
        name = self.cursor_name
        if name != self._last_highlight:
            self._last_highlight = name
            self.post_message(self.Highlighted(name))

    def _placed_with_index(self) -> list[tuple[_Placed, int]]:
        self._ensure_layout()
        return [(placed, COLUMNS_INDEX[placed.column.key]) for placed in self._placed]

    def _ensure_layout(self) -> None:
        width = self.size.width
        if width == self._placed_width:
            return
        self._placed_width = width
        self._placed = []
        x = 0
        for column, col_width in layout_columns(width):
            self._placed.append(_Placed(column, x, col_width))
            x += col_width + 1
        self._cache.clear()

    def on_resize(self, event: events.Resize) -> None:
        self._ensure_layout()
        self._set_cursor(self._cursor, force_scroll=True)
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._visible) + 1

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

    def render_line(self, y: int) -> Strip:
        self._ensure_layout()
        width = self.size.width
        base = self._style("")
        if y == 0:
            return self._header_strip(width, base)
        index = self._top + y - 1
        if index >= len(self._visible):
            return Strip.blank(width, base)
        row = self._visible[index]
        is_cursor = index == self._cursor
        is_selected = row.name in self.selected
        key = (row.cells, row.styles, is_cursor, is_selected, width, self.has_focus)
        cached = self._cache.get(row.name)
        if cached is not None and cached[0] == key:
            return cached[1]
        line_style = base
        if is_selected:
            line_style += self._style("selected")
        if is_cursor:
            line_style += self._style("cursor")
        segments: list[Segment] = []
        for placed in self._placed:
            col = COLUMNS_INDEX[placed.column.key]
            text = _cell_text(row, col, placed, is_selected)
            cell_style = line_style
            if row.styles[col]:
                cell_style = line_style + self._style(row.styles[col])
                if is_cursor:
                    cell_style += Style(bgcolor=line_style.bgcolor)
            segments.append(Segment(text, cell_style))
            segments.append(Segment(" ", line_style))
        # one escape sequence per run of equal style, not per cell and gap
        strip = Strip(list(Segment.simplify(segments))).adjust_cell_length(width, line_style)
        self._cache[row.name] = (key, strip)
        return strip

    def _header_strip(self, width: int, base: Style) -> Strip:
        style = base + self._style("header")
        segments = []
        for placed in self._placed:
            title = placed.column.title
            if placed.column.key == self.sort_key:
                title += "▼" if self.sort_reverse else "▲"
            if placed.column.key == "cpu":
                title = self.cpu_title + ("▼" if self.sort_reverse else "▲") * (
                    self.sort_key == "cpu"
                )
            segments.append(Segment(_fit(title, placed.width, placed.column.right), style))
            segments.append(Segment(" ", style))
        return Strip(list(Segment.simplify(segments))).adjust_cell_length(width, style)

    cpu_title = "CPU%"

    def set_cpu_title(self, title: str) -> None:
        if title != self.cpu_title:
            self.cpu_title = title
            self.refresh(Region(0, 0, self.size.width, 1))

    # --------------------------------------------------------------- input

    def action_cursor(self, delta: int) -> None:
        self._set_cursor(self._cursor + delta)

    def action_page(self, direction: int) -> None:
        self._set_cursor(self._cursor + direction * max(1, self._body_height() - 1))

    def action_cursor_to(self, index: int) -> None:
        self._set_cursor(len(self._visible) - 1 if index < 0 else index)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            for placed in self._placed:
                if placed.x <= event.x < placed.x + placed.width + 1:
                    self.sort_by(placed.column.key)
                    return
            return
        self._set_cursor(self._top + event.y - 1)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._set_cursor(self._cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._set_cursor(self._cursor - 3)

    def on_focus(self) -> None:
        self._styles.clear()
        self._cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._styles.clear()
        self._cache.clear()
        self.refresh()


COLUMNS_INDEX: dict[str, int] = {column.key: i for i, column in enumerate(COLUMNS)}


def _fit(text: str, width: int, right: bool) -> str:
    if len(text) > width:
        return text[: max(0, width - 1)] + "…" if width > 1 else text[:width]
    return text.rjust(width) if right else text.ljust(width)


def _cell_text(row: Row, col: int, placed: _Placed, selected: bool) -> str:
    """The text of one cell as drawn: fitted to its width."""
    text = row.cells[col]
    if col == 0 and selected:
        text = "● " + text
    return _fit(text, placed.width, placed.column.right)


def changed_span(old: str, new: str) -> tuple[int, int]:
    """Cells [start, end) that differ between two drawn texts; (0, 0) if equal.

    Texts with double-width characters (cells != characters) give their whole
    width, so a span never splits such a character.
    """
    if old == new:
        return (0, 0)
    width = max(cell_len(old), cell_len(new))
    if cell_len(old) != len(old) or cell_len(new) != len(new):
        return (0, width)
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    return (start, max(end_old, end_new))


# --------------------------------------------------- Textual partial updates


def _render_segments(self: _compositor.ChopsUpdate, console: Console) -> str:
    """``ChopsUpdate.render_segments`` that sends each dirty span, not its line's prefix."""
    sequences: list[str] = []
    append = sequences.append
    move_to = Control.move_to
    chops, chop_ends = self.chops, self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(chop_ends[y], chops[y].items(), strict=False):
            if strip is None or x >= x2 or end <= x1:
                continue
            start, stop = max(x, x1), min(end, x2)
            if start > x and strip.cell_length != sum([len(seg.text) for seg in strip]):
                start = x  # a double-width character might be split: keep Textual's way
            append(move_to(start, y).segment.text)
            if start == x and stop == end:
                append(strip.render(console))
            else:
                append(strip.crop(start - x, stop - x).render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def install_span_crop() -> bool:
    """Patch Textual's ``ChopsUpdate.render_segments`` (idempotent).

    Returns False, changing nothing, when this Textual's ``ChopsUpdate`` is
    not the shape the replacement was written for.
    """
    cls = getattr(_compositor, "ChopsUpdate", None)
    if cls is None or not hasattr(cls, "render_segments"):
        return False
    if cls.render_segments is _render_segments:
        return True
    probe = cls([], [(0, 0, 1)], [])
    if not all(hasattr(probe, name) for name in ("chops", "spans", "chop_ends")):
        return False
    cls.render_segments = _render_segments
    return True


install_span_crop()

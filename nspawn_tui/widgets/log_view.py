"""LogView: a Line-API log widget over a :class:`LogStore`.

Only the lines on screen are rendered (``render_line``), rendered lines are
kept in an LRU cache keyed by record and bounded by the lines on screen
(twice the height: a page back stays drawn), and the store keeps the records
ordered, bounded and filtered. Follow mode keeps the newest line in view;
moving up pauses it, ``end``/``F`` resume.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import tzinfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from nspawn_tui.journal.patterns import SearchPattern, SearchTooSlow
from nspawn_tui.journal.sources import LogRecord, format_time
from nspawn_tui.journal.store import AddResult, LogFilter, LogStore
from nspawn_tui.safe import cell_width, clean
from nspawn_tui.widgets.motions import motion_bindings
from nspawn_tui.widgets.safe_text import safe_strip

#: Colours of machine names: a name always gets the same one (crc32, not hash()).
MACHINE_PALETTE = (
    "#5fafff",
    "#87d787",
    "#d7af5f",
    "#d787d7",
    "#5fd7d7",
    "#ff875f",
    "#afafff",
    "#afd75f",
    "#ff87af",
    "#87afaf",
    "#d7d787",
    "#87d7ff",
)

_MAX_NAME = 20
_MIN_CACHE = 32  # rendered lines kept however small the view


#: The same under an ANSI theme (nspawn-ansi): the terminal's own 16 colours.
ANSI_MACHINE_PALETTE = (
    "bright_blue",
    "bright_green",
    "bright_yellow",
    "bright_magenta",
    "bright_cyan",
    "bright_red",
    "blue",
    "green",
    "yellow",
    "magenta",
    "cyan",
    "red",
)


def machine_colour(name: str, ansi: bool = False) -> str:
    """The stable colour of a machine name (``ansi``: one of the terminal's 16)."""
    palette = ANSI_MACHINE_PALETTE if ansi else MACHINE_PALETTE
    return palette[zlib.crc32(name.encode("utf-8", "replace")) % len(palette)]


def first_line(message: str, width: int) -> tuple[str, bool]:
    """The first line of ``message``, cut to ``width`` characters and cleaned
    (:func:`~nspawn_tui.safe.clean`), and whether anything was left out."""
    line, newline, _ = message.partition("\n")
    more = bool(newline)
    if len(line) > width:
        line, more = line[:width], True
    if "\t" in line:
        line = line.expandtabs(4)
    return clean(line), more


class LogView(ScrollView, can_focus=True):
    """Records of one or several machines, newest at the bottom."""

    BINDINGS = [
        *motion_bindings(
            {
                "list.up": "cursor_up",
                "list.down": "cursor_down",
                "list.page_up": "page_up",
                "list.page_down": "page_down",
                "list.half_page_up": "half_page(-1)",
                "list.half_page_down": "half_page(1)",
                "list.first": "home",
                "list.last": "follow",
            },
            labels={"list.first": "Oldest", "list.last": "Follow"},
            shown=("list.last",),
        ),
        Binding("F", "follow", "Follow", show=False, id="logs.follow"),
        Binding("enter", "select", "Record", id="logs.record"),
    ]

    COMPONENT_CLASSES = {
        "log-view--time",
        "log-view--ident",
        "log-view--cursor",
        "log-view--match",
        "log-view--crit",
        "log-view--err",
        "log-view--warning",
        "log-view--notice",
        "log-view--debug",
        "log-view--more",
    }

    DEFAULT_CSS = """
    LogView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;
    }
    LogView > .log-view--time { color: $foreground-muted; }
    LogView > .log-view--ident { color: $text-secondary; }
    LogView > .log-view--cursor { background: $primary 30%; }
    LogView:focus > .log-view--cursor { background: $primary 50%; }
    LogView > .log-view--match { background: $warning 60%; color: $text; text-style: bold; }
    LogView > .log-view--crit { color: $error; text-style: bold reverse; }
    LogView > .log-view--err { color: $error; text-style: bold; }
    LogView > .log-view--warning { color: $warning; }
    LogView > .log-view--notice { text-style: bold; }
    LogView > .log-view--debug { color: $foreground-muted; text-style: dim; }
    LogView > .log-view--more { color: $foreground-muted; }
    """

    follow: var[bool] = var(True)
    """Keep the newest line in view."""

    class FollowChanged(Message):
        """Follow mode was switched on or off."""

        def __init__(self, log_view: LogView, follow: bool) -> None:
            super().__init__()
            self.log_view = log_view
            self.follow = follow

        @property
        def control(self) -> LogView:
            return self.log_view

    class RecordSelected(Message):
        """Enter was pressed on a line."""

        def __init__(self, log_view: LogView, record: LogRecord) -> None:
            super().__init__()
            self.log_view = log_view
            self.record = record

        @property
        def control(self) -> LogView:
            return self.log_view

    class SearchDropped(Message):
        """The search took too long on a line being drawn: it was dropped."""

        def __init__(self, log_view: LogView, reason: str) -> None:
            super().__init__()
            self.log_view = log_view
            self.reason = reason

        @property
        def control(self) -> LogView:
            return self.log_view

    def __init__(
        self,
        store: LogStore | None = None,
        *,
        tz: tzinfo | None = None,
        max_message_width: int = 1000,
        cache_size: int = 1024,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.store = store if store is not None else LogStore()
        self.tz = tz
        self.max_message_width = max_message_width
        self.cursor = -1  # visible index of the selected line, -1 when empty
        self._cache_cap = cache_size
        self._cache: LRUCache[int, Strip] = LRUCache(min(cache_size, _MIN_CACHE))
        self._styles: dict[str, Style] = {}
        self._name_width = 0
        self._machines: set[str] = set()
        self._scrolling = False  # scrolling done by the widget itself

    @property
    def cached_lines(self) -> int:
        """Rendered lines held in the cache."""
        return len(self._cache)

    @property
    def cache_bound(self) -> int:
        """At most this many rendered lines are kept: twice the lines on screen."""
        return self._cache.maxsize

    def on_resize(self, event: events.Resize) -> None:
        bound = min(self._cache_cap, max(_MIN_CACHE, 2 * event.size.height))
        if bound != self._cache.maxsize:
            self._cache.clear()  # also lets a full LRUCache grow again
            self._cache.maxsize = bound

    # ------------------------------------------------------------- data

    def add_records(self, records: Iterable[LogRecord]) -> AddResult:
        """Add records (in any order) and keep the view where it should be."""
        records = list(records)
        for record in records:
            if record.machine not in self._machines:
                self._machines.add(record.machine)
                shown = cell_width(clean(record.machine))
                width = min(_MAX_NAME, max(self._name_width, shown))
                if width != self._name_width:
                    self._name_width = width
                    self._cache.clear()
        result = self.store.add(records)
        if not result.added and not result.dropped:
            return result
        self._update_size()
        if self.follow:
            self.cursor = len(self.store) - 1
            self._scroll_to_end()
        else:
            if result.dropped:
                self.cursor = max(0, self.cursor - result.dropped)
                self._scroll_y_to(self.scroll_y - result.dropped)
            top = int(self.scroll_y)
            if result.first is not None and result.first < top + self.size.height:
                self.refresh()
        return result

    def clear(self) -> None:
        self.store.clear()
        self._cache.clear()
        self.cursor = -1
        self._update_size()
        self.refresh()

    def set_filter(self, log_filter: LogFilter) -> None:
        """Show only what ``log_filter`` accepts, keeping the selected record if it still shows."""
        selected = self.selected
        self.store.set_filter(log_filter)
        self._update_size()
        if self.follow or selected is None:
            self.cursor = len(self.store) - 1
            self._scroll_to_end()
        else:
            at = self.store.index_of(selected)
            self.move_cursor(at if at is not None else len(self.store) - 1)
        self.refresh()

    def set_search(self, pattern: SearchPattern | None) -> None:
        """Highlight matches of ``pattern`` (None: no search)."""
        self.store.set_search(pattern)
        self._cache.clear()
        self.refresh()

    @property
    def selected(self) -> LogRecord | None:
        if 0 <= self.cursor < len(self.store):
            return self.store[self.cursor]
        return None

    def jump_next(self) -> bool:
        """Select the next match of the search (pauses follow); False if none."""
        at = self.store.next_match(self.cursor)
        if at is None:
            return False
        self.move_cursor(at)
        return True

    def jump_prev(self) -> bool:
        """Select the previous match of the search (pauses follow); False if none."""
        start = len(self.store) if self.follow else self.cursor
        at = self.store.prev_match(start)
        if at is None:
            return False
        self.move_cursor(at)
        return True

    # -------------------------------------------------------- scrolling

    def _update_size(self) -> None:
        self.virtual_size = Size(0, len(self.store))

    def _scroll_y_to(self, y: float) -> None:
        self._scrolling = True
        try:
            self.scroll_to(y=max(0.0, y), animate=False, immediate=True)
        finally:
            self._scrolling = False

    def _scroll_to_end(self) -> None:
        self._scrolling = True
        try:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        finally:
            self._scrolling = False
        self.refresh()

    def move_cursor(self, index: int) -> None:
        """Select the line at ``index`` (clamped), scroll it into view, pause follow."""
        count = len(self.store)
        if count == 0:
            return
        index = max(0, min(index, count - 1))
        if self.follow and index != count - 1:
            self.follow = False
        self.cursor = index
        height = max(1, self.scrollable_content_region.height)
        top = int(self.scroll_y)
        if index < top:
            self._scroll_y_to(index)
        elif index >= top + height:
            self._scroll_y_to(index - height + 1)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if (
            not self._scrolling
            and self.follow
            and new_value < old_value
            and round(new_value) < self.max_scroll_y
        ):
            self.follow = False

    def watch_follow(self, follow: bool) -> None:
        if follow and len(self.store):
            self.cursor = len(self.store) - 1
            self._scroll_to_end()
        self.post_message(self.FollowChanged(self, follow))

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.cursor - max(1, self.scrollable_content_region.height - 1))

    def action_page_down(self) -> None:
        self.move_cursor(self.cursor + max(1, self.scrollable_content_region.height - 1))

    def action_half_page(self, direction: int) -> None:
        step = max(1, (self.scrollable_content_region.height - 1) // 2)
        self.move_cursor(self.cursor + direction * step)

    def action_home(self) -> None:
        self.move_cursor(0)

    def action_follow(self) -> None:
        if self.follow:
            self.watch_follow(True)
        else:
            self.follow = True

    def action_select(self) -> None:
        record = self.selected
        if record is not None:
            self.post_message(self.RecordSelected(self, record))

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_y) + event.y
        if 0 <= index < len(self.store):
            self.move_cursor(index)
            if event.chain == 2:
                self.action_select()

    # -------------------------------------------------------- rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._cache.clear()

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self.get_component_rich_style(f"log-view--{name}", partial=True)
            self._styles[name] = style
        return style

    def _priority_style(self, priority: int | None) -> Style | None:
        if priority is None or priority == 6:
            return None
        if priority <= 2:
            return self._style("crit")
        if priority == 3:
            return self._style("err")
        if priority == 4:
            return self._style("warning")
        if priority == 5:
            return self._style("notice")
        return self._style("debug")

    def render_record(self, record: LogRecord) -> Strip:
        """One record as an uncropped strip (cached)."""
        cached = self._cache.get(record.seq)
        if cached is not None:
            return cached
        name = set_cell_size(clean(record.machine), self._name_width)  # cells, not characters
        who = record.identifier or "?"
        if record.pid:
            who = f"{who}[{record.pid}]"
        line, more = first_line(record.message, self.max_message_width)
        text = Text(no_wrap=True, end="")
        text.append(format_time(record.timestamp, self.tz), self._style("time"))
        text.append(" ")
        colour = machine_colour(record.machine, self.app.native_ansi_color)
        text.append(name, Style(color=colour, bold=True))
        text.append(" ")
        who_start = len(text)
        text.append(who, self._style("ident"))
        text.append(": ")
        msg_start = len(text)
        text.append(line, self._priority_style(record.priority))
        if more:
            text.append(" …", self._style("more"))
        pattern = self.store.search
        if pattern is not None:
            match_style = self._style("match")
            try:
                for start, part in ((who_start, who), (msg_start, line)):
                    for begin, end in pattern.spans(part):
                        text.stylize(match_style, start + begin, start + end)
            except SearchTooSlow as error:  # this line would stall every frame: drop the search
                self.store.set_search(None)
                self._cache.clear()
                self.refresh()
                self.post_message(self.SearchDropped(self, str(error)))
        segments = Segment.apply_style(text.render(self.app.console), self.rich_style)
        strip = safe_strip(Strip(list(segments), cell_len(text.plain)))
        self._cache[record.seq] = strip
        return strip

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if not 0 <= index < len(self.store):
            return Strip.blank(width, base)
        strip = self.render_record(self.store[index])
        strip = strip.crop_extend(0, width, base)
        if index == self.cursor:
            strip = Strip(
                list(Segment.apply_style(strip, post_style=self._style("cursor"))),
                strip.cell_length,
            )
        return strip

"""A bar graph of a figure's history that repaints only the lines that changed.

Textual's ``Sparkline`` draws every bar as its own segment in a colour of a
gradient: each repaint sends a colour escape per cell (about 1.4 KB per line
of 60 bars).  Here a line is one run of text in one colour, so a moved graph
line costs its text and one escape.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.view.history import graph_rows
from nspawn_tui.widgets.geometry import content_size


class HistoryGraph(Widget):
    """Bars of the values given to :meth:`set_values` (oldest first), one column each."""

    DEFAULT_CSS = "HistoryGraph { height: 3; color: $primary; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.values: tuple[float, ...] = ()
        self._rows: list[str] = []
        #: kept until the style changes (``rich_style`` walks the ancestors: each
        #: line drawn, every second)
        self._style: Style | None = None

    def set_values(self, values: Sequence[float]) -> None:
        values = tuple(values)
        if values == self.values and self._rows:
            return
        self.values = values
        self._redraw()

    def _redraw(self) -> None:
        width, height = content_size(self)
        old, self._rows = self._rows, graph_rows(self.values, width, height)
        if len(old) != len(self._rows):
            self.refresh()
            return
        changed = [
            Region(0, y, width, 1)
            for y, (a, b) in enumerate(zip(old, self._rows, strict=True))
            if a != b
        ]
        if changed:
            self.refresh(*changed)

    def on_resize(self, event: events.Resize) -> None:
        self._rows = []
        self._redraw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    def render_line(self, y: int) -> Strip:
        width = content_size(self).width
        style = self._style
        if style is None:
            style = self._style = self.rich_style
        text = self._rows[y] if 0 <= y < len(self._rows) else ""
        return Strip([Segment(text.ljust(width)[:width], style)], width)

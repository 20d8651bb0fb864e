"""The detail panel's graphs: CPU, memory and network history with their titles, one widget.

Textual draws every widget inside the box around a frame's changes; with the
cursor on a running machine that box holds the detail panel, and the graphs
column as seven widgets (a title and a graph each, the network's two) cost
as much as the rest of the frame (benchmarks/README.md).  Here it is one
Line-API widget: a changed title or graph line repaints that line alone.

Each graph line is one run of text in one colour (Textual's ``Sparkline``
sends a colour escape per cell: about 1.4 KB per line of 60 bars), so a
moved graph line costs its text and one escape.  The titles are our own
words around figures, cleaned and wrapped like the panel's text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.strip import Strip

from nspawn_tui.safe import clean_lines
from nspawn_tui.view.history import graph_rows
from nspawn_tui.widgets.geometry import content_size
from nspawn_tui.widgets.paint_now import refresh_lines
from nspawn_tui.widgets.plain_lines import PlainLines
from nspawn_tui.widgets.safe_text import safe_strip
from nspawn_tui.widgets.wrapping import wrap_line

#: The graphs, top to bottom: key, height, and the title above it ("" none).
GRAPHS: Final = (("cpu", 3, 0), ("mem", 3, 1), ("rx", 2, 2), ("tx", 2, -1))
#: The network's (its title and two graphs), shown only where there is room.
NET_KEYS: Final = frozenset({"rx", "tx"})
TITLE, GRAPH, GRAPH_TX = "title", "graph", "graph-tx"

Line = tuple[str, str]  # (its kind: TITLE, GRAPH or GRAPH_TX; its text)


class GraphColumn(PlainLines):
    """Titles (:meth:`set_titles`) and bars of values (:meth:`set_values`, oldest first)."""

    DEFAULT_CSS = """
    GraphColumn { width: 1fr; height: auto; color: $primary; }
    GraphColumn > .graph-column--title { color: $text-muted; }
    GraphColumn > .graph-column--tx { color: $secondary; }
    """
    COMPONENT_CLASSES = {"graph-column--title", "graph-column--tx"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.titles: tuple[str, str, str] = ("", "", "")
        self.values: dict[str, tuple[float, ...]] = {key: () for key, _, _ in GRAPHS}
        self.net_shown = True
        self._lines: list[Line] = []
        self._width = -1  # the width the lines were made for
        #: each graph's rows with the values and width they were made from: a
        #: title that changes every second does not make the graphs again
        self._rows: dict[str, tuple[tuple[float, ...], int, list[str]]] = {}
        #: resolved once per style change (each one walks the ancestors)
        self._styles: dict[str, Style] | None = None

    # -- what is shown --------------------------------------------------------------

    def set_titles(self, titles: tuple[str, str, str]) -> None:
        """The CPU, memory and network titles (outside figures in them are cleaned here)."""
        if titles != self.titles:
            self.titles = titles
            self._update()

    def set_values(self, key: str, values: Sequence[float]) -> None:
        """The bars of graph ``key`` ("cpu", "mem", "rx", "tx")."""
        values = tuple(values)
        if values != self.values[key]:
            self.values[key] = values
            self._update()

    def show_net(self, shown: bool) -> None:
        """Whether the network's title and graphs are drawn (they need a tall terminal)."""
        if shown != self.net_shown:
            self.net_shown = shown
            self._update()

    def lines(self, width: int | None = None) -> list[Line]:
        """Every line as drawn at ``width`` (default: the widget's): its kind and text."""
        if width is None:
            width = content_size(self).width
        if width != self._width:
            self._lines, self._width = self._make(width), width
        return self._lines

    def _make(self, width: int) -> list[Line]:
        made: list[Line] = []
        for key, height, title in GRAPHS:
            if key in NET_KEYS and not self.net_shown:
                continue
            if title >= 0:
                text = clean_lines(self.titles[title]).replace("\n", " ")
                made += [(TITLE, part) for part in wrap_line(text, width)]
            kind = GRAPH_TX if key == "tx" else GRAPH
            made += [(kind, row) for row in self._graph(key, max(width, 0), height)]
        return made

    def _graph(self, key: str, width: int, height: int) -> list[str]:
        values = self.values[key]
        made = self._rows.get(key)
        if made is None or made[0] is not values or made[1] != width:
            made = self._rows[key] = (values, width, graph_rows(values, width, height))
        return made[2]

    def _update(self) -> None:
        if self._width < 0:
            return  # not laid out yet: the first frame makes the lines
        old = self._lines
        new = self._lines = self._make(self._width)
        if len(old) != len(new):
            self.refresh(layout=True)
            return
        # a title up to the end of the longer text (its blank rest is not sent again)
        changed = [
            Region(0, y, self._width if a[0] != TITLE else max(cell_len(a[1]), cell_len(b[1])), 1)
            for y, (a, b) in enumerate(zip(old, new, strict=True))
            if a != b
        ]
        if changed:
            refresh_lines(self, *changed)

    # -- drawing --------------------------------------------------------------------

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def on_resize(self, event: events.Resize) -> None:
        self._width = -1  # made again at the new width when drawn

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def render_line(self, y: int) -> Strip:
        styles = self._styles
        if styles is None:
            base = self.rich_style
            styles = self._styles = {
                GRAPH: base,
                TITLE: self.get_component_rich_style("graph-column--title"),
                GRAPH_TX: self.get_component_rich_style("graph-column--tx"),
            }
        lines = self.lines()
        width = self._width
        kind, text = lines[y] if 0 <= y < len(lines) else (GRAPH, "")
        strip = Strip([Segment(text.ljust(width)[:width], styles[kind])], max(width, 0))
        return safe_strip(strip) if kind == TITLE else strip  # a title quotes figures

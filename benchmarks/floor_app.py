"""Textual's own cost, for the dashboard benchmark's floor figures (not part of the app).

``python floor_app.py idle``: a Textual app that shows one line and never
changes: what Textual costs doing nothing (its input thread wakes 10 times a
second).

``python floor_app.py repaint LINES``: the same app plus one Line-API widget
that, once a second, changes one short figure on each of LINES lines and marks
just those cells dirty, the way the dashboard's metrics band does, but with no
data to fetch, format or sort. Its CPU is Textual's cost of the dashboard's
frames; the dashboard's figure minus this one is what nspawn-tui adds.
"""

from __future__ import annotations

import sys

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

WIDTH = 34


class Figures(Widget):
    DEFAULT_CSS = "Figures { width: 34; height: 100%; }"

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines
        self.tick = 0
        self._style: Style | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self.step)

    def step(self) -> None:
        self.tick += 1
        self.refresh(*(Region(0, y, 6, 1) for y in range(1, self.lines + 1)))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    def render_line(self, y: int) -> Strip:
        # the style resolved once, as the dashboard's table does: the floor is
        # Textual's cost, not that of resolving CSS on every line
        style = self._style
        if style is None:
            style = self._style = self.rich_style
        if 1 <= y <= self.lines:
            value = (self.tick * 7.3 + y * 3.1) % 100
            text = f"{value:6.1f}        1.2G     64   47m"
            return Strip([Segment(text.ljust(WIDTH), style)], WIDTH)
        return Strip.blank(WIDTH, style)


class FloorApp(App[None]):
    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        yield Static("floor")
        if self.lines:
            yield Figures(self.lines)


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "idle"
    lines = int(sys.argv[2]) if mode == "repaint" and len(sys.argv) > 2 else 0
    FloorApp(lines).run()


if __name__ == "__main__":
    main()

"""Textual's own cost, for the dashboard benchmark's floor figures (not part of the app).

``python floor_app.py idle``: a Textual app that shows one line and never
changes: what Textual costs doing nothing (its input thread wakes 10 times a
second).

``python floor_app.py repaint LINES``: the same app plus one Line-API widget
that, once a second, changes one short figure on each of LINES lines and marks
just those cells dirty, the way the dashboard's metrics band does, but with no
data to fetch, format or sort. Its CPU is Textual's cost of the dashboard's
frames; the dashboard's figure minus this one is what nspawn-tui adds.

``python floor_app.py panel LINES``: the same frames in the dashboard's shape
with the cursor on a running machine: the LINES figures in a band on the
right of a 20-line table, a status line, then a panel of the widgets the
dashboard's detail panel has (the action bar as one line widget, a 12-line
text, the graphs column as one 13-line widget), where each second one text
line and one title change as well (the machine's figures and its CPU title).  Textual
draws every widget inside the box around a frame's changes, so this is
Textual's cost of the frames with the cursor on a running machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Static

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.widgets.plain_lines import PlainLines

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


class Text(Widget):
    """LINES lines of fixed text; once a second line ``moving`` changes (-1: none)."""

    DEFAULT_CSS = "Text { width: 1fr; height: auto; }"

    def __init__(
        self, lines: int, moving: int, height: int | None = None, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.lines, self.moving, self.tick = lines, moving, 0
        self.styles.height = height or lines
        self._style: Style | None = None

    def on_mount(self) -> None:
        if self.moving >= 0:
            self.set_interval(1.0, self.step)

    def step(self) -> None:
        self.tick += 1
        self.refresh(Region(0, self.moving, 40, 1))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    def render_line(self, y: int) -> Strip:
        style = self._style
        if style is None:
            style = self._style = self.rich_style
        width = self.size.width
        text = f"Label {y}:  some fixed text of the line"
        if y == self.moving:
            text += f"  {(self.tick * 7.3) % 100:5.1f}"
        return Strip([Segment(text.ljust(width)[:width], style)], width)


class OurFigures(PlainLines, Figures):
    """Figures drawn as nspawn-tui's line widgets draw."""


class OurText(PlainLines, Text):
    """Text drawn as nspawn-tui's line widgets draw."""


class FloorApp(App[None]):
    CSS = """
    #table { height: 20; }
    #table-left { width: 72; height: 20; }
    #bar { height: 1; margin: 1 0 0 1; }
    #body { height: auto; margin: 0 1; }
    """

    def __init__(self, lines: int, panel: bool = False, ours: bool = False) -> None:
        super().__init__()
        self.lines = lines
        self.panel = panel
        self.ours = ours

    def get_default_screen(self) -> Screen[None]:
        screen = super().get_default_screen()
        if self.ours and not use_span_compositor(screen):
            raise SystemExit("this Textual has no span compositor")
        return screen

    def compose(self) -> ComposeResult:
        figures, text = (OurFigures, OurText) if self.ours else (Figures, Text)
        yield Static("floor")
        if not self.panel:
            if self.lines:
                yield figures(self.lines)
            return
        with Horizontal(id="table"):
            yield Static("the table's fixed columns", id="table-left")
            yield figures(self.lines)
        yield Static(" sort: name")
        with Vertical():
            yield text(1, moving=-1, id="bar")  # the action bar: one widget
            with Horizontal(id="body"):
                yield text(12, moving=9)
                yield text(13, moving=0)  # the graphs column: one widget, its CPU title changing


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "idle"
    lines = int(sys.argv[2]) if mode in ("repaint", "panel") and len(sys.argv) > 2 else 0
    ours = sys.argv[3:4] == ["ours"]
    FloorApp(lines, panel=mode == "panel", ours=ours).run()


if __name__ == "__main__":
    main()

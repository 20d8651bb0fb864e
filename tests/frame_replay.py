"""Every frame an app displays, applied to a grid of cells as a terminal would.

:class:`Replay` records the updates Textual sends for the screen on top
(partial and full), applies them cell by cell (text and style) to a
:class:`Grid` the size of the terminal, and :meth:`Replay.check` compares
that grid with a full redraw of the screen now: a cell the updates left
behind (or never drew) is reported with its position.

Usable from any test (``tests/`` is on ``sys.path`` through its conftest)::

    from frame_replay import Replay
    replay = Replay(app)
    with replay.recording():
        ...
        replay.check()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.control import Control, ControlType
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App
from textual.screen import Screen
from textual.strip import Strip

SIZE = (120, 40)
Cell = tuple[str, Style | None]


class Grid:
    """A terminal's cells as the app's frames leave them."""

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.rows: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]

    def apply(self, segments: Iterator[Segment]) -> None:
        x = y = 0
        for segment in segments:
            if segment.control:
                for code in segment.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(code[1]), int(code[2])
                continue
            if segment.text == "\n":
                continue
            for char in segment.text:
                width = Segment(char).cell_length
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.rows[y][x] = (char, segment.style)
                    if width == 2 and x + 1 < self.width:
                        self.rows[y][x + 1] = ("", segment.style)
                x += width

    def differences(self, other: Grid) -> list[str]:
        found = []
        for y, (mine, theirs) in enumerate(zip(self.rows, other.rows, strict=True)):
            for x, (a, b) in enumerate(zip(mine, theirs, strict=True)):
                if a != b:
                    found.append(f"({x},{y}): {a[0]!r} {a[1]} != {b[0]!r} {b[1]}")
        return found


class Replay:
    """Applies every frame the app displays to a :class:`Grid`."""

    def __init__(self, app: App[Any], size: tuple[int, int] = SIZE) -> None:
        self.app = app
        self.size = size
        self.grid = Grid(*size)
        self.console = Console(width=size[0], height=size[1], color_system="truecolor")
        self.partial = 0
        self.full = 0
        self.partial_by: dict[str, int] = {}

    @contextmanager
    def recording(self) -> Iterator[Replay]:
        display = self.app._display

        def record(screen: Screen[Any], renderable: Any) -> None:
            if screen is self.app.screen and isinstance(renderable, ChopsUpdate | LayoutUpdate):
                if isinstance(renderable, ChopsUpdate):
                    self.partial += 1
                    kind = type(screen._compositor).__name__
                    self.partial_by[kind] = self.partial_by.get(kind, 0) + 1
                else:
                    self.full += 1
                options = self.console.options
                self.grid.apply(iter(renderable.__rich_console__(self.console, options)))
            display(screen, renderable)

        self.app._display = record  # type: ignore[method-assign]
        try:
            yield self
        finally:
            self.app._display = display  # type: ignore[method-assign]

    def check(self) -> None:
        """The grid equals a full redraw of the screen now."""
        problems = self.differences()
        assert not problems, f"{len(problems)} cells differ, first: {problems[:8]}"

    def text(self) -> list[str]:
        """The grid's lines as text."""
        return ["".join(char for char, _ in row) for row in self.grid.rows]

    def differences(self) -> list[str]:
        """The cells where the grid and a full redraw of the screen now differ."""
        redraw = Grid(*self.size)
        redraw.apply(_layout(self.app.screen._compositor.render_strips()))
        return self.grid.differences(redraw)


def _layout(strips: list[Strip]) -> Iterator[Segment]:
    for y, strip in enumerate(strips):
        yield Control.move_to(0, y).segment
        yield from strip

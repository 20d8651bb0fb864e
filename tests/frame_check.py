"""Check what a Textual app would draw: no control characters, no links, aligned lines.

:func:`frame_problems` renders the whole current frame the way Textual's
compositor does for a full repaint (every visible widget of the screen, the
screens below a modal, and the toasts) and inspects the *segments*, not a
snapshot: text from a container must reach the terminal as inert,
visible characters.  A problem is reported with the line, the column, the
widget drawn there and the offending text, so a failing test names the
field that leaks.

Usable from any test (``tests/`` is on ``sys.path`` through its conftest)::

    from frame_check import assert_clean_frame
    await pilot.pause()
    assert_clean_frame(pilot.app, "after pressing l")
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from textual._context import visible_screen_stack
from textual.app import App
from textual.errors import NoWidget
from textual.strip import Strip

#: Unicode categories never allowed in a drawn cell: controls (C0, DEL, C1),
#: format characters (bidi overrides/isolates/marks, zero-width characters,
#: BOM, soft hyphen), lone surrogates (undecodable bytes), line and
#: paragraph separators.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def forbidden_chars(text: str) -> list[str]:
    """The characters of ``text`` that must never be written to a terminal cell."""
    return [c for c in text if unicodedata.category(c) in FORBIDDEN_CATEGORIES]


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    column: int
    widget: str
    what: str

    def __str__(self) -> str:
        return f"line {self.line} col {self.column} in {self.widget}: {self.what}"


def frame_strips(app: App[Any]) -> list[Strip]:
    """Every line of the current frame, as Textual's compositor draws it for a full repaint.

    Uses the compositor's own rendering (``render_strips``, the same chops as
    ``render_update(full=True)``) with the screens below a modal screen
    visible, without clearing the compositor's dirty regions (the app's own
    next update is not disturbed).
    """
    screen = app.screen
    token = visible_screen_stack.set(list(app._background_screens))
    try:
        return screen._compositor.render_strips()
    finally:
        visible_screen_stack.reset(token)


def _widget_at(app: App[Any], x: int, y: int) -> str:
    try:
        widget, _ = app.screen.get_widget_at(x, y)
    except NoWidget:
        return "no widget"
    label = type(widget).__name__
    if widget.id:
        label += f"#{widget.id}"
    return f"{label} on {type(app.screen).__name__}"


def _excerpt(text: str, limit: int = 60) -> str:
    shown = repr(text[:limit])
    return shown + ("…" if len(text) > limit else "")


def segment_problems(segments: Iterable[Segment], width: int) -> list[tuple[int, str]]:
    """(column, description) of every bad segment of one line, and of a wrong line width."""
    found: list[tuple[int, str]] = []
    x = 0
    for segment in segments:
        text, style, control = segment
        if control:
            found.append((x, f"a control segment {control!r}"))
        bad = forbidden_chars(text)
        if bad:
            names = sorted({f"U+{ord(c):04X}" for c in bad})
            found.append((x, f"control/format characters {', '.join(names)} in {_excerpt(text)}"))
        if style is not None:
            if style.link:
                found.append((x, f"a hyperlink {style.link!r} on {_excerpt(text)}"))
            meta = style.meta
            click = meta.get("@click")
            if click is not None and "quit" in str(click):
                found.append((x, f"a clickable action {click!r} on {_excerpt(text)}"))
        x += cell_len(text)
    if x != width:
        found.append((0, f"the line is {x} cells wide, not {width}"))
    return found


def frame_problems(app: App[Any]) -> list[Problem]:
    """Everything wrong with the current frame of ``app`` (empty when it is clean)."""
    width, height = app.size
    strips = frame_strips(app)
    problems: list[Problem] = []
    if len(strips) != height:
        problems.append(Problem(0, 0, "the frame", f"{len(strips)} lines, not {height}"))
    for y, strip in enumerate(strips):
        for x, what in segment_problems(strip, width):
            problems.append(Problem(y, x, _widget_at(app, x, y), what))
    return problems


def frame_text(app: App[Any]) -> str:
    """The frame's text, one line per screen line (for messages and text assertions)."""
    return "\n".join(strip.text for strip in frame_strips(app))


def assert_clean_frame(app: App[Any], step: str = "") -> None:
    """Fail with every problem of the current frame, naming ``step``."""
    problems = frame_problems(app)
    if problems:
        listed = "\n".join(f"  {p}" for p in problems[:40])
        more = f"\n  … and {len(problems) - 40} more" if len(problems) > 40 else ""
        raise AssertionError(f"unsafe frame {step!r}:\n{listed}{more}")

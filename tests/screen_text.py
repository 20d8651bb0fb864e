"""The text a person sees: the current frame of an app, as the terminal would show it.

For assertions on what a screen must show (a snapshot only proves that nothing
changed).  Usable from any test (``tests/`` is on ``sys.path`` through its
conftest)::

    from screen_text import screen_text
    assert "Power off 2 machines?" in screen_text(pilot.app)
"""

from __future__ import annotations

import re
from typing import Any

from textual.app import App
from textual.notifications import Notification


def screen_lines(app: App[Any]) -> list[str]:
    """Every line of the current frame (the top screen and its toasts), right-stripped."""
    return [strip.text.rstrip() for strip in app.screen._compositor.render_strips()]


def screen_text(app: App[Any]) -> str:
    """The current frame as one string, a line per row of the terminal."""
    return "\n".join(screen_lines(app))


def notifications(app: App[Any]) -> list[Notification]:
    """The notifications being shown (``run_test(notifications=True)``), oldest first."""
    return list(app._notifications)


def columns(line: str) -> list[str]:
    """A table row's cells, split where two or more spaces are.

    In a bordered box (a modal over another screen) only what is between the
    box's first and last ``│`` counts.
    """
    if line.count("│") >= 2:
        line = line[line.index("│") + 1 : line.rindex("│")]
    return [cell for cell in re.split(r"\s{2,}", line.strip()) if cell]

"""Outside text into Textual, safely: never markup, never a control character.

:func:`plain` is what the UI hands to ``notify``, ``Static``, ``Label``,
``update`` and border titles when the text is not a literal of our own: a
:class:`~textual.content.Content` (never parsed as markup) of the cleaned text.
:func:`notify_plain` is ``notify`` for messages that quote outside text.
:func:`safe_strip` is the last step of the Line-API widgets that build
segments themselves: whatever field a future change adds, no control
character reaches the terminal through them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from textual.content import Content
from textual.strip import Strip

from nspawn_tui.safe import clean, clean_lines, is_clean

if TYPE_CHECKING:
    from typing import Any

    from textual.app import App
    from textual.notifications import SeverityLevel
    from textual.widget import Widget


def plain(text: object, *, lines: bool = False) -> Content:
    """``text`` (any object, shown as ``str()``) as inert content: cleaned, not markup.

    ``lines`` keeps newlines (for multi-line texts such as error messages).
    """
    shown = str(text)
    return Content(clean_lines(shown) if lines else clean(shown))


def safe_strip(strip: Strip) -> Strip:
    """``strip`` with every segment's text cleaned; the same strip when nothing needs it.

    Cleaning can change a text's width (ESC becomes ``^[``), so a changed
    strip is cropped or padded back to the cell length it claimed.
    """
    for segment in strip:
        if segment.control or not is_clean(segment.text):
            break
    else:
        return strip
    cleaned = [Segment(clean(text), style) for text, style, control in strip if not control]
    return Strip(cleaned).crop_extend(0, strip.cell_length, None)


def notify_plain(
    node: Widget | App[Any],
    message: object,
    *,
    title: object = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """``node.notify`` of outside text: cleaned (newlines kept), title too, never markup."""
    node.notify(
        clean_lines(str(message)),
        title=clean(str(title)),
        severity=severity,
        timeout=timeout,
        markup=False,
    )

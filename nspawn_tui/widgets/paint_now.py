"""The lines a poll changed, drawn in the poll's own step instead of at Textual's next idle.

``Widget.refresh(*regions)`` in Textual 8 posts a ``Prompt`` to the widget;
its task wakes and posts an ``Update`` to the screen; the screen's task wakes
and resumes its update timer; the timer's task wakes, waits a 60th of a second
and wakes again to draw the frame.  For the dashboard's one frame a second
that is four task wakes for the table and one more for each of the detail
panel's line widgets, each about 0.1 ms when the caches went cold in the
second between two polls (benchmarks/README.md, "a frame without the
wakes").

Inside :func:`paint_batch` (a synchronous block: nothing in it awaits),
:func:`refresh_lines` records a widget's changed regions instead.  At the end
of the block they are marked dirty as ``refresh`` marks them and drawn at
once through the screen's compositor, when nothing else waits for the next
frame: the screen on top; no layout, scroll or recompose pending, the
screen's or a shown widget's; no widget already queued; no batch of the
app's.  Otherwise, or if this Textual lacks what is used here, every widget
is refreshed the usual way.  What reaches the terminal is the same either
way (``tests/functional/test_span_compositor.py`` replays the frames).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from textual.geometry import Region
from textual.screen import Screen
from textual.widget import Widget

__all__ = ["available", "paint_batch", "refresh_lines"]

#: what is used of a screen (a widget too: ``_set_dirty`` and the caches are a widget's)
_NEEDS = (
    "_compositor", "_compositor_refresh", "_dirty_widgets", "_layout_required",
    "_scroll_required", "_recompose_required", "_repaint_required",
    "_set_dirty", "_layout_cache", "_rich_style_cache",
)  # fmt: skip

#: the open batch: the (widget, regions) it holds
_batch: list[tuple[Widget, tuple[Region, ...]]] | None = None
#: whether this Textual has what is used (known at the first batch drawn)
_available: bool | None = None


def available(screen: Screen[Any]) -> bool:
    """Whether this Textual has what drawing a batch at once uses."""
    global _available
    if _available is None:
        _available = (
            all(hasattr(screen, name) for name in _NEEDS)
            and hasattr(screen._compositor, "update_widgets")
            and hasattr(screen._compositor, "visible_widgets")
            and hasattr(screen.app, "_batch_count")
        )
    return _available


def refresh_lines(widget: Widget, *regions: Region) -> None:
    """``widget.refresh(*regions)``, held until the open :func:`paint_batch` ends."""
    if _batch is None:
        widget.refresh(*regions)
    else:
        _batch.append((widget, regions))


@contextmanager
def paint_batch(screen: Screen[Any]) -> Iterator[None]:
    """Hold :func:`refresh_lines` calls made in the block; draw them when it ends."""
    global _batch
    if _batch is not None:  # nested: the outer batch draws
        yield
        return
    pending: list[tuple[Widget, tuple[Region, ...]]] = []
    _batch = pending
    try:
        yield
    finally:
        _batch = None
        _paint(screen, pending)


def _ready(screen: Screen[Any]) -> bool:
    """Nothing else waits for the screen's next frame, and the screen is on top."""
    app = screen.app
    return (
        available(screen)
        and app.screen is screen
        and not app.is_inline
        and not app._batch_count
        and not screen._layout_required
        and not screen._scroll_required
        and not screen._recompose_required
        and not screen._repaint_required
        and not screen._dirty_widgets
        # a widget whose size may change (its layout not yet done) moves others
        and not any(widget._layout_required for widget in screen._compositor.visible_widgets)
    )


def _paint(screen: Screen[Any], pending: list[tuple[Widget, tuple[Region, ...]]]) -> None:
    if not pending:
        return
    if not _ready(screen):
        for widget, regions in pending:
            widget.refresh(*regions)
        return
    widgets: set[Widget] = set()
    for widget, regions in pending:
        if not widget.is_attached:
            continue  # removed meanwhile (its screen closed, the app ending): nothing to draw
        if not widget.is_mounted or widget.screen is not screen:
            widget.refresh(*regions)  # the usual way: its frame comes with the layout
            continue
        # what refresh(*regions) does, less the Prompt that wakes the widget
        widget._layout_cache.clear()
        widget._set_dirty(*regions)
        widget.clear_cached_dimensions()
        widget._rich_style_cache.clear()
        widgets.add(widget)
    if widgets:
        screen._compositor.update_widgets(widgets)
        screen._compositor_refresh()

"""A screen's partial updates drawn from only the widgets and lines they need.

Textual's partial update (``Compositor.render_partial_update`` in Textual 8)
draws every widget whose *clip* meets the box around all of a frame's changes,
every line of it, and cuts each rendered line of every one of them into
pieces, front to back, although only the frontmost piece under a change is
sent. A screen's direct children are clipped by the whole screen, so the
header, the footer, the status line, the detail panel and the containers
behind the table (the screen itself: 40 lines) are drawn on every frame
whatever changed.

:class:`SpanCompositor` sends the same update (the same spans, the same
pieces for them) but asks, front to back, only the widgets that own a piece
under a changed span, and only for the lines from the first to the last such
piece; a line is done as soon as its pieces under changes are filled. What
reaches the terminal is unchanged (``tests/functional/test_span_compositor.py``
replays every update on a grid of cells and compares it with a full redraw).

It leans on Textual's compositor internals (``cuts``, ``visible_widgets``,
``_dirty_regions``, ``_regions_to_spans``, ``ChopsUpdate``): if a Textual
release no longer has them, :func:`use_span_compositor` leaves the screen
with Textual's own compositor.
"""

from __future__ import annotations

import inspect
from bisect import bisect_left
from typing import Any

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

__all__ = ["SpanCompositor", "available", "use_span_compositor"]

_CLASS_NEEDS = ("cuts", "visible_widgets", "_regions_to_spans", "render_partial_update")
_INSTANCE_NEEDS = ("_dirty_regions", "size")
_UPDATE_NEEDS = ("chops", "spans", "chop_ends")


def available() -> bool:
    """Whether this Textual's compositor has what :class:`SpanCompositor` uses."""
    instance = vars(Compositor())
    update = inspect.signature(ChopsUpdate).parameters
    return (
        all(hasattr(Compositor, name) for name in _CLASS_NEEDS)
        and all(name in instance for name in _INSTANCE_NEEDS)
        and tuple(update) == _UPDATE_NEEDS
    )


class SpanCompositor(Compositor):
    """Textual's compositor with a partial update that draws only what it sends."""

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        spans = list(self._regions_to_spans(update_regions))
        cuts = self.cuts
        chop_ends = [cut_set[1:] for cut_set in cuts]
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        needed = _needed_pieces(spans, cuts, chop_ends)
        in_order = sorted(needed)  # once a frame; a line done leaves ``needed``
        for widget, (region, clip) in self.visible_widgets.items():
            if not needed:
                break
            x, y, width, height = region.intersection(clip)
            if not width or not height:
                continue
            right = x + width
            # the changed lines inside the widget (most widgets have none: no loop)
            lines = [
                line
                for line in in_order[bisect_left(in_order, y) : bisect_left(in_order, y + height)]
                if line in needed and any(x <= cut < right for cut in needed[line])
            ]
            if not lines:
                continue
            first = lines[0]
            strips = widget.render_lines(
                Region(x - region.x, first - region.y, width, lines[-1] - first + 1)
            )
            for line in lines:
                line_cuts = [cut for cut in cuts[line] if right >= cut >= x]
                pieces = strips[line - first].divide([cut - x for cut in line_cuts[1:]])
                wanted = needed[line]
                chops_line = chops[line]
                for cut, piece in zip(line_cuts, pieces, strict=False):
                    if cut in wanted:
                        chops_line[cut] = piece
                        wanted.discard(cut)
                if not wanted:
                    del needed[line]
        return ChopsUpdate(chops, spans, chop_ends)


def _needed_pieces(
    spans: list[tuple[int, int, int]], cuts: list[list[int]], chop_ends: list[list[int]]
) -> dict[int, set[int]]:
    """Per line, where each piece (between two cuts) under a changed span starts."""
    needed: dict[int, set[int]] = {}
    height = len(cuts)
    for line, start, end in spans:
        if not 0 <= line < height:
            continue
        wanted = needed.setdefault(line, set())
        for cut, cut_end in zip(cuts[line], chop_ends[line], strict=False):
            if cut < end and cut_end > start:
                wanted.add(cut)
    return {line: wanted for line, wanted in needed.items() if wanted}


_AVAILABLE = available()


def use_span_compositor(screen: Screen[Any]) -> bool:
    """Give *screen* a :class:`SpanCompositor` (call from its ``__init__``).

    Returns ``False`` and leaves Textual's compositor when this Textual lacks
    what the span compositor uses.
    """
    if not _AVAILABLE or not isinstance(getattr(screen, "_compositor", None), Compositor):
        return False
    screen._compositor = SpanCompositor()
    return True

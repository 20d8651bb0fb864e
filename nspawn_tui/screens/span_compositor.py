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

Both compositors here also mend a gap of Textual 8's (:class:`MapCompositor`):
after a scroll, Textual re-arranges only what is visible and leaves its map of
every widget to be built again when next read.  A widget removed after that
(a toast expiring from a stack that had scrolled) is gone from the rebuilt
map before the layout compares old and new, so nothing marks where it was
and its text stays on the terminal.  :class:`MapCompositor` marks, when the
map is built again, what changed since the last drawn map, as a layout does.
Every screen of the app gets one: the full screens draw with the
span compositor, the others (:class:`~nspawn_tui.screens.modal.Modal`, the
create form) with :func:`use_map_compositor`.

It leans on Textual's compositor internals (``cuts``, ``visible_widgets``,
``full_map``, ``_full_map``, ``_visible_map``, ``_dirty_regions``,
``_regions_to_spans``, ``ChopsUpdate``): if a Textual release no longer has
them, :func:`use_span_compositor` and :func:`use_map_compositor` leave the
screen with Textual's own compositor.
"""

from __future__ import annotations

import inspect
from bisect import bisect_left
from typing import Any

from textual._compositor import ChopsUpdate, Compositor, CompositorMap
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip

__all__ = [
    "MapCompositor",
    "SpanCompositor",
    "available",
    "use_map_compositor",
    "use_span_compositor",
]

_CLASS_NEEDS = (
    "cuts",
    "visible_widgets",
    "full_map",
    "_regions_to_spans",
    "render_partial_update",
)
_INSTANCE_NEEDS = (
    "_dirty_regions",
    "size",
    "root",
    "_full_map",
    "_full_map_invalidated",
    "_visible_map",
)
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


class MapCompositor(Compositor):
    """Textual's compositor whose map, built again when read, marks what moved.

    Textual builds the map of every widget again on the next read after a
    scroll (or a widget it did not know).  If widgets were removed or moved in
    between, the layout that follows compares the new map with the rebuilt
    one, finds nothing changed and leaves their old cells on the terminal.
    Here the rebuilt map is compared with the map last drawn (the visible
    one after a scroll), and the cells of what changed are marked for the
    next frame, as Textual's layout marks them.
    """

    @property
    def full_map(self) -> CompositorMap:
        if self.root is None or not self._full_map_invalidated:
            return super().full_map
        drawn = self._visible_map if self._visible_map is not None else self._full_map
        rebuilt = super().full_map
        if self.size.region not in self._dirty_regions:  # a full redraw covers all
            changes = rebuilt.items() ^ drawn.items()
            for _, geometry in changes:
                region = geometry.clip.intersection(geometry.region)
                if region:
                    self._dirty_regions.add(region)
        return rebuilt


class SpanCompositor(MapCompositor):
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
    return _use(screen, SpanCompositor)


def use_map_compositor(screen: Screen[Any]) -> bool:
    """Give *screen* a :class:`MapCompositor` (call from its ``__init__``).

    For screens that keep Textual's partial updates (modals draw the screens
    below them through it).  Returns ``False`` as :func:`use_span_compositor`.
    """
    return _use(screen, MapCompositor)


def _use(screen: Screen[Any], kind: type[MapCompositor]) -> bool:
    if not _AVAILABLE or not isinstance(getattr(screen, "_compositor", None), Compositor):
        return False
    screen._compositor = kind()
    return True

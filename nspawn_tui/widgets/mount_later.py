"""A widget's place, kept until the screen's first frame with data is drawn.

Textual's ``Lazy`` mounts its widget after the screen's first refresh; on the
dashboard that refresh comes before the first poll's data, so the footer, the
action bar and the graphs (a fifth of the first frame's work) were still
mounted, styled and laid out before the table could be drawn.  A
:class:`MountLater` is invisible until :func:`mount_all_later` (called by the
screen one refresh after it drew its first data) mounts its widget in its
place; the widget is made at once, so its owner can call it before then
(what it shows is drawn when it mounts).  A ``Footer`` mounted this way shows
the keys at the next change of bindings: the screen refreshes them after.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.widget import Widget


class MountLater(Widget):
    """Holds ``widget``'s place in the layout until :meth:`mount_now`."""

    DEFAULT_CSS = """
    MountLater {
        display: none;
    }
    """

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    async def mount_now(self) -> None:
        """``widget`` in this place; this placeholder goes (nothing if it was removed)."""
        parent = self.parent
        if not isinstance(parent, Widget) or not self.is_attached:
            return
        await parent.mount(self.widget, after=self)
        await self.remove()


async def mount_all_later(node: DOMNode) -> bool:
    """Every :class:`MountLater` below ``node``, mounted now; whether there was one."""
    places = list(node.query(MountLater))
    for place in places:
        await place.mount_now()
    return bool(places)

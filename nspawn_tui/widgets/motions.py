"""The keys that move in every list (vim motions beside the arrows), under one id each.

Every list (the machine table, the process and image tables, the log view)
binds these ids, so one keymap entry (``"list.down" = ["down", "j", "n"]``)
changes the key in all of them.  The action names differ per widget (each
list moves its own cursor); the ids and default keys are the same.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable

#: id -> (default keys, description)
LIST_MOTIONS: dict[str, tuple[str, str]] = {
    "list.up": ("up,k", "Up"),
    "list.down": ("down,j", "Down"),
    "list.page_up": ("pageup", "Page up"),
    "list.page_down": ("pagedown", "Page down"),
    "list.half_page_up": ("ctrl+u", "Half page up"),
    "list.half_page_down": ("ctrl+d", "Half page down"),
    "list.first": ("home,g", "First"),
    "list.last": ("end,G", "Last"),
}


def motion_bindings(
    actions: dict[str, str], labels: dict[str, str] | None = None, shown: tuple[str, ...] = ()
) -> list[BindingType]:
    """The list motions bound to ``actions`` (id -> action); ``labels``: other descriptions;
    ``shown``: the ids the footer shows."""
    bindings: list[BindingType] = []
    for binding_id, action in actions.items():
        keys, description = LIST_MOTIONS[binding_id]
        label = (labels or {}).get(binding_id, description)
        bindings.append(Binding(keys, action, label, show=binding_id in shown, id=binding_id))
    return bindings


CellT = TypeVar("CellT")


class TableMotions(DataTable[CellT]):
    """A DataTable's row cursor moved by the list motions (half pages included)."""

    BINDINGS: ClassVar[list[BindingType]] = motion_bindings(
        {
            "list.up": "cursor_up",
            "list.down": "cursor_down",
            "list.page_up": "page_up",
            "list.page_down": "page_down",
            "list.half_page_up": "half_page(-1)",
            "list.half_page_down": "half_page(1)",
            "list.first": "scroll_top",
            "list.last": "scroll_bottom",
        }
    )

    def action_half_page(self, direction: int) -> None:
        """Half the visible rows down (1) or up (-1)."""
        step = max(1, (self.scrollable_content_region.height - 1) // 2)
        last = max(0, self.row_count - 1)
        self.move_cursor(row=max(0, min(last, self.cursor_row + direction * step)))

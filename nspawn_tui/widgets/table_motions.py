"""A ``DataTable`` whose row cursor moves by the list motions (images, processes).

Apart from :mod:`.motions` so that the dashboard, which draws its own table,
never loads ``DataTable`` at start.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import BindingType
from textual.widgets import DataTable

from nspawn_tui.widgets.motions import motion_bindings

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

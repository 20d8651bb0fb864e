"""ImageTable: every image of the host, one row each, keyed by name.

Columns: name, type, read-only, whether a machine of that name runs, disk
usage, size limit, created, modified (the times last: on a narrow terminal
they are the ones scrolled out).  Cells are rich ``Text`` of cleaned
strings (a DataTable parses a plain ``str`` cell as markup; an image's name
is outside text).  :meth:`ImageTable.set_images` changes only the cells that
changed and keeps the cursor on the same image when rows come and go.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Final

from rich.text import Text
from textual.coordinate import Coordinate

from nspawn_tui.host.base import Image
from nspawn_tui.safe import clean
from nspawn_tui.view.formatting import UNAVAILABLE, format_bytes
from nspawn_tui.widgets.table_motions import TableMotions

#: (key, label) of each column, in order.
COLUMNS: Final = (
    ("name", "Image"),
    ("type", "Type"),
    ("ro", "RO"),
    ("machine", "Machine"),
    ("usage", "Usage"),
    ("limit", "Limit"),
    ("created", "Created"),
    ("modified", "Modified"),
)


def format_time(timestamp: float | None, tz: tzinfo | None = None) -> str:
    """ "2026-01-15 09:00" in ``tz`` (None: local time); "" when unknown."""
    if timestamp is None:
        return ""
    try:
        return datetime.fromtimestamp(timestamp, tz).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return UNAVAILABLE


def image_cells(image: Image, running: bool, tz: tzinfo | None = None) -> tuple[str, ...]:
    """The texts of one row (cleaned)."""
    return (
        clean(image.name),
        clean(image.image_type) or "?",
        "ro" if image.read_only else "",
        "running" if running else "",
        format_bytes(image.usage_bytes),
        "—" if image.limit_bytes is None else format_bytes(image.limit_bytes),
        format_time(image.created, tz),
        format_time(image.modified, tz),
    )


def _style(key: str, text: str) -> str:
    if key == "machine" and text:
        return "bold green"
    if key == "ro" and text:
        return "yellow"
    return ""


class ImageTable(TableMotions[Text]):
    """The images screen's table; rows keyed by image name."""

    DEFAULT_CSS = """
    ImageTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._rows: dict[str, tuple[str, ...]] = {}
        self.images: dict[str, Image] = {}

    def on_mount(self) -> None:
        for key, label in COLUMNS:
            self.add_column(label, key=key)

    @property
    def cursor_name(self) -> str | None:
        if not self._rows or not 0 <= self.cursor_row < self.row_count:
            return None
        key = self.coordinate_to_cell_key(Coordinate(self.cursor_row, 0)).row_key.value
        return key if isinstance(key, str) else None

    @property
    def cursor_image(self) -> Image | None:
        name = self.cursor_name
        return None if name is None else self.images.get(name)

    def set_images(
        self, images: Sequence[Image], running: set[str], tz: tzinfo | None = None
    ) -> None:
        rows = {image.name: image_cells(image, image.name in running, tz) for image in images}
        self.images = {image.name: image for image in images}
        if list(rows) == list(self._rows):
            for name, cells in rows.items():
                old = self._rows[name]
                for (key, _label), new, before in zip(COLUMNS, cells, old, strict=True):
                    if new != before:
                        self.update_cell(name, key, Text(new, style=_style(key, new)))
            self._rows = rows
            return
        keep = self.cursor_name
        self.clear()
        for name, cells in rows.items():
            texts = [
                Text(cell, style=_style(key, cell))
                for (key, _), cell in zip(COLUMNS, cells, strict=True)
            ]
            self.add_row(*texts, key=name)
        self._rows = rows
        self.move_to(keep)

    def move_to(self, name: str | None) -> bool:
        """Put the cursor on image ``name``; False when it is not listed."""
        if name is None or name not in self._rows:
            return False
        self.move_cursor(row=self.get_row_index(name))
        return True

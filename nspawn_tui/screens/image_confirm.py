"""Asks before an image is removed: its name, type and size, and the command it equals."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static

from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.widgets.safe_text import plain


class ImageConfirm(ConfirmScreen):
    """:class:`ConfirmScreen` (its keys, look and answer) worded for one image."""

    def __init__(self, title: str, image: str, detail: str, command: str) -> None:
        super().__init__(title, [image], command)
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content.assemble((self.title_text, "bold"), Content(" this image?")))
            yield Static(plain(f"  • {self.names[0]}  {self.detail}"), id="confirm-names")
            yield Static(plain(f"$ {self.command}"), id="confirm-command")
            with Horizontal():
                yield Button(plain(f"{self.title_text} (y)"), variant="error", id="yes")
                yield Button("Cancel (n)", variant="primary", id="no")

"""The images screen (``i``): filled in by the images work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from nspawn_tui.host.base import Host


class ImagesScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, host: Host, interval: float = 1.0) -> None:
        super().__init__()
        self.host = host
        self.interval = interval

    def compose(self) -> ComposeResult:
        yield Static("Images")
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

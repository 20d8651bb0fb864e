"""The processes of one machine (``P``): filled in by the processes work."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from nspawn_tui.host.base import Host
from nspawn_tui.widgets.safe_text import plain


class ProcessesScreen(Screen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close")]

    def __init__(self, host: Host, name: str, interval: float = 1.0) -> None:
        super().__init__()
        self.host = host
        self.machine = name
        self.interval = interval

    def compose(self) -> ComposeResult:
        yield Static(plain(f"Processes of {self.machine}"))
        yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)

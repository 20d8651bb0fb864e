"""The ``?`` screen: every key of the dashboard and what it does."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

#: (keys, what, available now?)
HELP_KEYS: tuple[tuple[str, str, bool], ...] = (
    ("↑ ↓ PgUp PgDn Home End", "move in the machine list (mouse: click, wheel)", True),
    ("/", "filter machines by name (Enter keeps it, Escape clears)", True),
    ("o / O", "sort by the next column / reverse the order (or click a column title)", True),
    ("c", "CPU% as % of one core, or % of the whole host", True),
    ("+ / -", "refresh faster / slower", True),
    ("d", "show or hide the detail panel", True),
    ("space", "select several machines (logs and actions then apply to all of them)", True),
    (
        "l",
        "journal of the machine(s), merged; in it: p priority, / search, n/N, u unit, "
        "b boot, w export, Enter full record, End/F follow",
        True,
    ),
    (
        "s / S / L",
        "root shell / shell as user with a command / login prompt; "
        "^] three times within 1s returns",
        True,
    ),
    ("b", "boot (start systemd-nspawn@NAME.service)", True),
    ("p / r", "power off (asks) / reboot", True),
    ("t / k", "terminate (asks) / kill with a chosen signal (asks)", True),
    ("a / A", "enable / disable start at host boot", True),
    ("e", "edit resource limits (Enter: runtime, ctrl+s: persistent)", True),
    ("N", "view and edit the machine's .nspawn settings", True),
    ("?", "this help", True),
    ("q / ctrl+c", "quit", True),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: auto; max-width: 100; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, available: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.available = available

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", title="nspawn-tui keys")
        table.add_column("key", style="bold")
        table.add_column("what it does")
        for keys, what, ready in HELP_KEYS:
            if ready or keys in self.available:
                table.add_row(keys, what)
            else:
                table.add_row(keys, f"{what} [dim](coming soon)[/dim]")
        with VerticalScroll():
            yield Static(table, id="help-table")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

"""Pick a signal for one process of a machine, and confirm it (naming the process)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from nspawn_tui.safe import clean
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.modal import Modal
from nspawn_tui.units.names import KILL_SIGNALS
from nspawn_tui.widgets.safe_text import plain


class SignalPicker(Modal[int | None]):
    """The signals of the kill picker, for one process: dismissed with its number or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="signal_picker.cancel")]
    DEFAULT_CSS = """
    SignalPicker { align: center middle; }
    SignalPicker > Vertical { width: 60; height: auto; border: thick $warning;
        background: $surface; padding: 0 1; }
    SignalPicker OptionList { height: auto; max-height: 12; }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Send a signal to {self.what}"))
            yield OptionList(
                *(Option(f"SIG{name} ({number})", id=name) for name, number in KILL_SIGNALS),
                id="signals",
            )

    def on_mount(self) -> None:
        self.query_one("#signals", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id or "TERM"
        self.dismiss(dict(KILL_SIGNALS)[name])

    def action_cancel(self) -> None:
        self.dismiss(None)


class SignalConfirm(ConfirmScreen):
    """:class:`ConfirmScreen` asking about one process rather than machines."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Content.assemble((self.title_text, "bold"), " to this process?"))
            yield Static(
                plain("\n".join(f"  • {clean(name)}" for name in self.names), lines=True),
                id="confirm-names",
            )
            yield Static(plain(f"$ {self.command}"), id="confirm-command")
            with Horizontal():
                yield Button(plain(f"{self.title_text} (y)"), variant="error", id="yes")
                yield Button("Cancel (n)", variant="primary", id="no")

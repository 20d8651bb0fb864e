"""Pick a signal, and whether it goes to the leader or to every process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Label, OptionList, RadioButton, RadioSet
from textual.widgets.option_list import Option

from nspawn_tui.screens.modal import Modal
from nspawn_tui.units.names import KILL_SIGNALS
from nspawn_tui.widgets.safe_text import plain


@dataclass(frozen=True, slots=True)
class KillChoice:
    signal: int
    who: str  # "leader" or "all"


class KillPicker(Modal[KillChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="kill_picker.cancel"),
        Binding("a", "toggle_who", "Leader/all", id="kill_picker.who"),
    ]
    DEFAULT_CSS = """
    KillPicker { align: center middle; }
    KillPicker > Vertical { width: 50; height: auto; border: thick $warning;
        background: $surface; padding: 0 1; }
    KillPicker OptionList { height: auto; max-height: 12; }
    KillPicker RadioSet { width: 100%; }
    """

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__()
        self.names = list(names)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Send a signal to {', '.join(self.names)}"))
            with RadioSet(id="who"):
                yield RadioButton("the leader (PID 1 of the container)", value=True, id="leader")
                yield RadioButton("all processes of the machine", id="all")
            yield OptionList(
                *(Option(f"SIG{name} ({number})", id=name) for name, number in KILL_SIGNALS),
                id="signals",
            )

    def on_mount(self) -> None:
        self.query_one("#signals", OptionList).focus()

    def _who(self) -> str:
        return "all" if self.query_one("#all", RadioButton).value else "leader"

    def action_toggle_who(self) -> None:
        target = "#leader" if self._who() == "all" else "#all"
        self.query_one(target, RadioButton).value = True

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        name = event.option.id or "TERM"
        number = dict(KILL_SIGNALS)[name]
        self.dismiss(KillChoice(number, self._who()))

    def action_cancel(self) -> None:
        self.dismiss(None)

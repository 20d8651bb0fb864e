"""A modal that asks before a destructive action, naming the machines and the command."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static

from nspawn_tui.config.model import Config
from nspawn_tui.safe import clean
from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_text import plain


def config_of(app: App[Any]) -> Config:
    """The settings of the app (``NspawnApp.config``; another app: the defaults)."""
    config = getattr(app, "config", None)
    return config if isinstance(config, Config) else Config()


def asks(app: App[Any], action_class: str) -> bool:
    """Whether to confirm an action of ``action_class`` ("poweroff", "images", ...) first."""
    return config_of(app).asks(action_class)


class ConfirmScreen(Modal[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical { width: auto; min-width: 50; max-width: 100; height: auto;
        border: thick $error; background: $surface; padding: 1 2; }
    ConfirmScreen #confirm-command { color: $text-muted; margin: 1 0; }
    ConfirmScreen Horizontal { height: auto; align: center middle; }
    ConfirmScreen Button { margin: 0 1; }
    """

    def __init__(
        self,
        title: str,
        names: Sequence[str],
        command: str,
        *,
        question: str | None = None,
        no_label: str = "Cancel (n)",
    ) -> None:
        """Asks "``title`` N machines?" (or "``title`` ``question``"), naming ``names``."""
        super().__init__()
        self.title_text = title
        self.names = list(names)
        self.command = command
        count = len(self.names)
        self.question = question or f"{count} machine{'' if count == 1 else 's'}?"
        self.no_label = no_label

    def compose(self) -> ComposeResult:
        with Vertical():
            question = Content(self.question)
            yield Label(Content.assemble((self.title_text, "bold"), " ", question))
            yield Static(
                plain("\n".join(f"  • {clean(name)}" for name in self.names), lines=True),
                id="confirm-names",
            )
            yield Static(plain(f"$ {self.command}"), id="confirm-command")
            with Horizontal():
                yield Button(plain(f"{self.title_text} (y)"), variant="error", id="yes")
                yield Button(plain(self.no_label), variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

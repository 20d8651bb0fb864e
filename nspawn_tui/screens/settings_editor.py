"""Edit a machine's .nspawn settings file as text.

The text is validated with :mod:`nspawn_tui.nspawn.settings` on save; on any
problem the message is shown and nothing is returned. The screen returns the
new text (None when cancelled or unchanged); the caller writes it with
:func:`nspawn_tui.nspawn.settings.write_atomic`.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, Static, TextArea

from nspawn_tui.nspawn.settings import SettingsFile
from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_text import plain
from nspawn_tui.widgets.safe_text_area import SafeTextArea, clean_edit_text, is_editable

NEXT_BOOT_NOTICE = (
    "Changes take effect at the next boot of the container. "
    "Resource limits are not set here: use the limits editor (e)."
)
READ_ONLY_NOTICE = (
    "Read only: this file holds control or invisible characters (shown as ^X or \ufffd). "
    "Edit it with a text editor."
)


class SettingsEditor(Modal[str | None]):
    """A TextArea with the file; ctrl+s saves (if valid), Escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="settings.cancel"),
        Binding("ctrl+s", "save", "Save", priority=True, id="settings.save"),
    ]
    DEFAULT_CSS = """
    SettingsEditor { align: center middle; }
    SettingsEditor > #settings-box { width: 100; max-width: 100%; height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    SettingsEditor #settings-title { text-style: bold; }
    SettingsEditor #settings-notice { color: $text-muted; }
    SettingsEditor TextArea { height: 1fr; }
    SettingsEditor #settings-errors { height: auto; max-height: 8; color: $error; }
    SettingsEditor #settings-buttons { height: auto; align-horizontal: right; }
    SettingsEditor #settings-buttons Button { margin-left: 1; }
    """

    def __init__(self, name: str, path: Path, text: str) -> None:
        super().__init__()
        self.machine = name
        self.path = path
        self.original = text
        #: a file with control characters is shown cleaned, and never saved from here
        self.editable = is_editable(text)
        self._refused: str | None = None  # the text whose problems are shown

    def compose(self) -> ComposeResult:
        with Vertical(id="settings-box"):
            yield Label(plain(f"Settings of {self.machine}: {self.path}"), id="settings-title")
            yield Static(Content(NEXT_BOOT_NOTICE), id="settings-notice")
            yield SafeTextArea(
                self.original if self.editable else clean_edit_text(self.original),
                id="settings-text",
                soft_wrap=False,
                show_line_numbers=True,
                read_only=not self.editable,
            )
            yield Static("" if self.editable else Content(READ_ONLY_NOTICE), id="settings-errors")
            with Horizontal(id="settings-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def text(self) -> str:
        return self.query_one(TextArea).text

    def problems(self) -> list[str]:
        return [str(problem) for problem in SettingsFile.parse(self.text).problems()]

    @on(TextArea.Changed)
    def _changed(self) -> None:
        # the problems stay until the text differs from the text they are about
        # (the Changed of an edit made just before ctrl+s arrives after it)
        if self.editable and self._refused is not None and self.text != self._refused:
            self._refused = None
            self.query_one("#settings-errors", Static).update("")

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        errors = self.query_one("#settings-errors", Static)
        if not self.editable:
            errors.update(Content("Not saved. " + READ_ONLY_NOTICE))
            return
        problems = self.problems()
        if problems:
            self._refused = self.text
            errors.update(plain("Not saved:\n" + "\n".join(problems), lines=True))
            return
        text = self.text
        self.dismiss(None if text == self.original else text)

    def action_cancel(self) -> None:
        self.dismiss(None)

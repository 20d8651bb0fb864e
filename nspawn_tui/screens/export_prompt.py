"""The ``w`` dialog of the log view: export the visible lines to a file.

The path is asked for with the default filled in; a checkbox asks for a raw
export (the messages as received, control characters and invalid UTF-8
bytes included); the default is cleaned text.  A bad path (empty, too long,
a directory, a missing directory, no permission) is said on the line under
the path and the dialog stays open.  An existing file is never replaced
silently: the first Enter says it exists, a second Enter on the same path
(and the same choice of raw) replaces it.  The file is written in a thread;
the dialog closes with what was written, or None when cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Static

from nspawn_tui.journal.export import ExportError, write_export
from nspawn_tui.journal.sources import LogRecord
from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import plain

RAW_LABEL = "raw: the messages as received, control characters included (not safe to cat)"


@dataclass(frozen=True, slots=True)
class ExportDone:
    """What was written."""

    target: str
    lines: int
    raw: bool


class ExportPrompt(Modal[ExportDone | None]):
    """Ask for a path (and raw or not), write ``records`` there."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export_prompt.cancel")]
    DEFAULT_CSS = """
    ExportPrompt { align: center middle; }
    ExportPrompt > #export-box { width: 90; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1; }
    ExportPrompt #export-message { height: auto; color: $text-muted; }
    ExportPrompt #export-message.-error { color: $error; }
    ExportPrompt #export-buttons { height: auto; align-horizontal: right; }
    ExportPrompt #export-buttons Button { margin-left: 1; }
    """

    def __init__(self, records: Sequence[LogRecord], path: str, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.records = records  # read in the writing thread: a list or a store's snapshot
        self.default_path = path
        self.tz = tz
        #: the (path, raw) the user was told exists: the same again replaces it
        self._confirm: tuple[str, bool] | None = None
        self._writing = False
        # held: the writing thread's answer may come while the app ends (parts removed)
        self._message = Static("", id="export-message")

    def compose(self) -> ComposeResult:
        with Vertical(id="export-box"):
            yield Label(plain(f"Export the {len(self.records):,} lines of the view to a file:"))
            yield SafeInput(self.default_path, id="export-path", select_on_focus=False)
            yield Checkbox(RAW_LABEL, id="export-raw")
            yield self._message
            with Horizontal(id="export-buttons"):
                yield Button("Export (Enter)", id="export-write", variant="primary")
                yield Button("Cancel (Esc)", id="export-cancel")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    # -------------------------------------------------------------- state

    @property
    def path(self) -> str:
        return self.query_one("#export-path", Input).value.strip()

    @property
    def raw(self) -> bool:
        return self.query_one("#export-raw", Checkbox).value

    def say(self, text: str, *, error: bool = False) -> None:
        """The line under the path (outside text: the path quotes what was typed)."""
        message = self._message
        message.update(plain(text))
        message.set_class(error, "-error")

    @on(Input.Changed, "#export-path")
    @on(Checkbox.Changed, "#export-raw")
    def _edited(self) -> None:
        if self._confirm is not None:
            self._confirm = None
            self.say("")

    # ------------------------------------------------------------ actions

    @on(Input.Submitted, "#export-path")
    @on(Button.Pressed, "#export-write")
    def _submitted(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        self.action_export()

    @on(Button.Pressed, "#export-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_export(self) -> None:
        if self._writing:
            return
        choice = (self.path, self.raw)
        overwrite = self._confirm == choice
        self._confirm = None
        self._writing = True
        self.say("writing…")
        self._write(*choice, overwrite)

    @work(group="export", exclusive=True)
    async def _write(self, path: str, raw: bool, overwrite: bool) -> None:
        try:
            target = await asyncio.to_thread(
                write_export, path, self.records, self.tz, raw=raw, overwrite=overwrite
            )
        except ExportError as error:
            self._writing = False
            if error.exists:
                self._confirm = (path, raw)
                self.say(f"{error.message}: Enter again replaces it, or change the name")
            else:
                self.say(f"Not written: {error.message}", error=True)
            return
        self.dismiss(ExportDone(target, len(self.records), raw))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""A one-field dialog of the images screen: a new name (clone, rename) or a size limit.

What is typed is checked as it is typed (``check`` says what is wrong, or
None) and the line under the field shows either the problem or the
``machinectl`` command the answer equals.  Enter with a problem keeps the
dialog open with the problem in red: nothing is sent that systemd would
refuse for its syntax.  An optional checkbox (clone: read-only) goes with the
answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Static

from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import plain


@dataclass(frozen=True, slots=True)
class ImageAnswer:
    value: str
    checked: bool = False


class ImagePrompt(Modal[ImageAnswer | None]):
    """Ask for one value; dismissed with an :class:`ImageAnswer`, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="image_prompt.cancel")]
    DEFAULT_CSS = """
    ImagePrompt { align: center middle; }
    ImagePrompt > #prompt-box { width: 80; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1; }
    ImagePrompt #prompt-message { height: auto; color: $text-muted; }
    ImagePrompt #prompt-message.-error { color: $error; }
    ImagePrompt #prompt-buttons { height: auto; align-horizontal: right; }
    ImagePrompt #prompt-buttons Button { margin-left: 1; }
    """

    def __init__(
        self,
        question: str,
        value: str,
        *,
        check: Callable[[str], str | None],
        command: Callable[[str, bool], str],
        checkbox: str | None = None,
        action: str = "OK",
    ) -> None:
        super().__init__()
        self.question = question
        self.initial = value
        self.check = check
        self.command = command
        self.checkbox = checkbox
        self.action_label = action

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(plain(self.question), id="prompt-question")
            yield SafeInput(self.initial, id="prompt-value", select_on_focus=True)
            if self.checkbox is not None:
                yield Checkbox(plain(self.checkbox), id="prompt-check")
            yield Static("", id="prompt-message")
            with Horizontal(id="prompt-buttons"):
                yield Button(
                    plain(f"{self.action_label} (Enter)"), id="prompt-ok", variant="primary"
                )
                yield Button("Cancel (Esc)", id="prompt-cancel")

    def on_mount(self) -> None:
        self.query_one("#prompt-value", Input).focus()
        self._explain(error=False)

    @property
    def value(self) -> str:
        return self.query_one("#prompt-value", Input).value.strip()

    @property
    def checked(self) -> bool:
        boxes = self.query("#prompt-check").results(Checkbox)
        return any(box.value for box in boxes)

    def say(self, text: str, *, error: bool) -> None:
        message = self.query_one("#prompt-message", Static)
        message.update(plain(text))  # what was typed is quoted: plain text, never markup
        message.set_class(error, "-error")

    def _explain(self, *, error: bool) -> bool:
        """Show the problem (red when ``error``) or the command; True when the value is fine."""
        problem = self.check(self.value)
        if problem is not None:
            self.say(problem, error=error)
            return False
        self.say(f"$ {self.command(self.value, self.checked)}", error=False)
        return True

    @on(Input.Changed, "#prompt-value")
    @on(Checkbox.Changed, "#prompt-check")
    def _edited(self) -> None:
        self._explain(error=False)

    @on(Input.Submitted, "#prompt-value")
    @on(Button.Pressed, "#prompt-ok")
    def _submitted(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self._explain(error=True):
            self.dismiss(ImageAnswer(self.value, self.checked))

    @on(Button.Pressed, "#prompt-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Ask for the user and command of a shell (`S`)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label

from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import plain

#: The longest user name systemd accepts (its relaxed check allows almost any other).
MAX_USER_NAME = 256


def user_name_problem(user: str) -> str | None:
    """Why machined would refuse ``user`` (systemd's relaxed user name check), or None."""
    if user in {".", ".."}:
        return "not a user name"
    if any(c.isspace() or c in ":/" for c in user):
        return "a user name has no spaces, ':' or '/'"
    if len(user.encode("utf-8", errors="replace")) > MAX_USER_NAME:
        return f"a user name has at most {MAX_USER_NAME} bytes"
    return None


@dataclass(frozen=True, slots=True)
class ShellRequest:
    user: str
    command: tuple[str, ...]


class ShellPrompt(Modal[ShellRequest | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="shell_prompt.cancel")]
    DEFAULT_CSS = """
    ShellPrompt { align: center middle; }
    ShellPrompt > Vertical { width: 70; height: auto; border: thick $accent;
        background: $surface; padding: 0 1; }
    ShellPrompt #shell-error { color: $error; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.machine = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(plain(f"Shell in {self.machine}"))
            yield Label("User:")
            yield SafeInput(value="root", id="shell-user")
            yield Label("Command (empty: the user's login shell):")
            yield SafeInput(placeholder="/bin/bash -l", id="shell-command")
            yield Label("", id="shell-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        user = self.query_one("#shell-user", Input).value.strip()
        text = self.query_one("#shell-command", Input).value.strip()
        try:
            command = tuple(shlex.split(text))
        except ValueError as exc:
            self.query_one("#shell-error", Label).update(plain(f"Command: {exc}"))
            return
        if not user:
            self.query_one("#shell-error", Label).update("User: give a user name (e.g. root)")
            return
        problem = user_name_problem(user)
        if problem is not None:
            self.query_one("#shell-error", Label).update(plain(f"User: {problem}"))
            return
        if command and not command[0].startswith("/"):
            self.query_one("#shell-error", Label).update(
                "Command: give the program's absolute path (e.g. /bin/sh -c 'uptime')"
            )
            return
        self.dismiss(ShellRequest(user, command))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The import and export dialogs of the images screen: a local path, a name, a kind.

Import asks for the file (or directory) to read, the new image's name, what
the file is (tar, raw, directory; guessed from the path until chosen) and
whether to mark the image read-only or replace one of the same name.
Export asks for the new file to write (never an existing one: the host
creates it exclusively) and tar or raw.  Names are checked as they are
typed; the line under the fields says what is wrong or the ``machinectl``
command the transfer equals.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from nspawn_tui.host.images import EXPORT_KINDS, IMPORT_KINDS
from nspawn_tui.images.names import name_problem
from nspawn_tui.screens.modal import Modal
from nspawn_tui.units.names import machinectl
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import plain

_RAW_SUFFIXES = (".raw", ".img", ".qcow2", ".raw.xz", ".raw.gz", ".img.xz", ".qcow2.xz")
_VERBS = {"tar": "tar", "raw": "raw", "directory": "fs"}


def guess_kind(path: str) -> str:
    """What a path probably holds: a directory, a raw disk image, else a tar."""
    if path and os.path.isdir(path):
        return "directory"
    return "raw" if path.lower().endswith(_RAW_SUFFIXES) else "tar"


@dataclass(frozen=True, slots=True)
class TransferRequest:
    path: str
    name: str
    kind: str
    read_only: bool = False
    force: bool = False


class TransferPrompt(Modal[TransferRequest | None]):
    """Import (``image`` None: a name is asked) or export of ``image`` to a new file."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="transfer_prompt.cancel")]
    DEFAULT_CSS = """
    TransferPrompt { align: center middle; }
    TransferPrompt > #transfer-box { width: 90; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1; }
    TransferPrompt Select { width: 24; }
    TransferPrompt #transfer-options { height: auto; }
    TransferPrompt #transfer-message { height: auto; color: $text-muted; }
    TransferPrompt #transfer-message.-error { color: $error; }
    TransferPrompt #transfer-buttons { height: auto; align-horizontal: right; }
    TransferPrompt #transfer-buttons Button { margin-left: 1; }
    """

    def __init__(self, image: str | None = None, path: str = "") -> None:
        super().__init__()
        self.image = image
        self.initial_path = path
        self._kind_chosen = False
        #: kinds we set from the path whose Select.Changed has not come yet
        self._guesses: list[object] = []

    @property
    def exporting(self) -> bool:
        return self.image is not None

    def compose(self) -> ComposeResult:
        kinds = EXPORT_KINDS if self.exporting else IMPORT_KINDS
        with Vertical(id="transfer-box"):
            if self.image is not None:
                yield Label(plain(f"Export image {self.image} to a new file (never replaced):"))
            else:
                yield Label("Import a file (tar, raw disk image) or a directory:")
            yield SafeInput(self.initial_path, placeholder="/path/to/file", id="transfer-path")
            if self.image is None:
                yield Label("as the new image:")
                yield SafeInput("", placeholder="name", id="transfer-name")
            with Horizontal(id="transfer-options"):
                yield Select(
                    [(kind, kind) for kind in kinds],
                    value=guess_kind(self.initial_path) if self.image is None else "tar",
                    allow_blank=False,
                    id="transfer-kind",
                )
                if self.image is None:
                    yield Checkbox("read-only", id="transfer-read-only")
                    yield Checkbox("replace an image of that name", id="transfer-force")
            yield Static("", id="transfer-message")
            with Horizontal(id="transfer-buttons"):
                yield Button(
                    "Export (Enter)" if self.exporting else "Import (Enter)",
                    id="transfer-start",
                    variant="primary",
                )
                yield Button("Cancel (Esc)", id="transfer-cancel")

    def on_mount(self) -> None:
        self.query_one("#transfer-path", Input).focus()
        self._explain(error=False)

    # -------------------------------------------------------------- state

    def _value(self, selector: str) -> str:
        found = self.query(selector).results(Input)
        return next((field.value.strip() for field in found), "")

    def _checked(self, selector: str) -> bool:
        return any(box.value for box in self.query(selector).results(Checkbox))

    def request(self) -> TransferRequest:
        kind = self.query_one("#transfer-kind", Select).value
        return TransferRequest(
            path=self._value("#transfer-path"),
            name=self.image if self.image is not None else self._value("#transfer-name"),
            kind=str(kind),
            read_only=self._checked("#transfer-read-only"),
            force=self._checked("#transfer-force"),
        )

    def problem(self, request: TransferRequest) -> str | None:
        if not request.path:
            return "give the path of the file" + ("" if self.exporting else " or directory")
        if self.exporting:
            if os.path.lexists(request.path):
                return f"{request.path} exists already: choose a new file name"
            return None
        if not os.path.exists(request.path):
            return f"{request.path} does not exist"
        problem = name_problem(request.name)
        return None if problem is None else f"name: {problem}"

    def command(self, request: TransferRequest) -> str:
        if self.exporting:
            return machinectl(f"export-{_VERBS[request.kind]}", request.name, request.path)
        options = [flag for flag, on in (("--read-only", request.read_only),
                                         ("--force", request.force)) if on]  # fmt: skip
        verb = f"import-{_VERBS[request.kind]}"
        return machinectl(verb, request.path, request.name, options=options)

    def say(self, text: str, *, error: bool) -> None:
        message = self.query_one("#transfer-message", Static)
        message.update(plain(text))  # quotes the typed path: plain text, never markup
        message.set_class(error, "-error")

    def _explain(self, *, error: bool) -> bool:
        request = self.request()
        problem = self.problem(request)
        if problem is not None:
            self.say(problem, error=error)
            return False
        self.say(f"$ {self.command(request)}", error=False)
        return True

    @on(Input.Changed, "#transfer-path")
    def _path_edited(self, event: Input.Changed) -> None:
        if not self.exporting and not self._kind_chosen:
            kind = self.query_one("#transfer-kind", Select)
            guessed = guess_kind(event.value.strip())
            if kind.value != guessed:
                # set by us: its Changed may come after later keys, so it is recognised
                # by value (not by the path it is compared with then)
                self._guesses.append(guessed)
                kind.value = guessed
        self._explain(error=False)

    @on(Select.Changed, "#transfer-kind")
    def _kind_edited(self, event: Select.Changed) -> None:
        if event.value in self._guesses:  # our own guess, already explained
            self._guesses.remove(event.value)
            return
        if event.value == guess_kind(self._value("#transfer-path")):
            return  # what the path says (the first value, on mount): not a choice
        self._kind_chosen = True  # the user's choice: the path no longer moves it
        self._explain(error=False)

    @on(Input.Changed, "#transfer-name")
    @on(Checkbox.Changed)
    def _edited(self) -> None:
        self._explain(error=False)

    # ------------------------------------------------------------ actions

    @on(Input.Submitted)
    @on(Button.Pressed, "#transfer-start")
    def _submitted(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self._explain(error=True):
            self.dismiss(self.request())

    @on(Button.Pressed, "#transfer-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

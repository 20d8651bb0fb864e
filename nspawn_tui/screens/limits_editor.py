"""The ``e`` screen: edit resource limits of one or more machines.

Values are typed in systemd's own syntax and checked with
:mod:`nspawn_tui.units.limits` as you type; the equivalent ``systemctl
set-property`` command is shown live. Enter applies runtime only, ctrl+s
persistent, Escape cancels. The screen only *returns* a request; the caller
sends it through the Host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Input, Label, Static

from nspawn_tui.safe import cell_width, clean_lines
from nspawn_tui.screens.modal import Modal
from nspawn_tui.units.limits import (
    FIELDS_BY_NAME,
    LIMIT_FIELDS,
    LimitError,
    parse_limit,
    systemctl_command,
)
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import plain

#: Command lines shown for a selection of several machines.
MAX_COMMANDS = 2


@dataclass(frozen=True, slots=True)
class LimitsRequest:
    """What to apply: changed fields only, in systemd syntax."""

    values: dict[str, str]
    runtime: bool


def _rows(text: str, width: int) -> int:
    """Lines ``text`` takes, shown in ``width`` cells, if none wraps; else 0 (not known)."""
    lines = clean_lines(text).split("\n")
    if width <= 0 or any(cell_width(line) > width for line in lines):
        return 0
    return len(lines)


def input_id(name: str) -> str:
    return f"limit-{name}"


def message_id(name: str) -> str:
    return f"limit-msg-{name}"


class LimitsEditor(Modal[LimitsRequest | None]):
    """Modal editor of CPUQuota, CPUWeight, MemoryMax, ... for ``machines``."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="limits.cancel"),
        Binding(
            "ctrl+s",
            "apply(False)",
            "Apply persistent",
            priority=True,
            id="limits.apply_persistent",
        ),
    ]
    DEFAULT_CSS = """
    LimitsEditor { align: center middle; }
    LimitsEditor > #limits-box { width: 100; max-width: 100%; height: 100%; max-height: 28;
        border: round $accent; background: $surface; padding: 0 1; }
    LimitsEditor #limits-title { text-style: bold; width: 1fr; }
    LimitsEditor #limits-fields { height: 1fr; }
    LimitsEditor .limit-row { height: 1; }
    LimitsEditor .limit-label { width: 15; }
    LimitsEditor .limit-row Input { width: 1fr; }
    LimitsEditor .limit-usage { width: 22; color: $text-muted; padding-left: 1; }
    LimitsEditor .limit-msg { height: auto; color: $text-muted; padding-left: 15; }
    LimitsEditor .limit-msg.-invalid { color: $error; }
    LimitsEditor #limits-command { height: auto; max-height: 4; color: $text-muted; }
    LimitsEditor #limits-status { height: auto; color: $warning; }
    LimitsEditor #limits-buttons { height: auto; align-horizontal: right; }
    LimitsEditor #limits-buttons Button { margin-left: 1; }
    """

    def __init__(
        self,
        machines: Sequence[str],
        current: Mapping[str, str] | None = None,
        usage: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.machines = tuple(machines)
        self.current = {f.name: (current or {}).get(f.name, "") for f in LIMIT_FIELDS}
        self.usage = dict(usage or {})
        self._shown: dict[Static, str] = {}  # what each message line says

    # ------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        names = ", ".join(self.machines) or "(no machine)"
        with Vertical(id="limits-box"):
            yield Label(plain(f"Resource limits: {names}"), id="limits-title")
            with VerticalScroll(id="limits-fields"):
                for field in LIMIT_FIELDS:
                    with Horizontal(classes="limit-row"):
                        yield Label(plain(field.label), classes="limit-label")
                        yield SafeInput(
                            self.current[field.name],
                            placeholder="(empty: reset to default)",
                            id=input_id(field.name),
                            compact=True,
                            select_on_focus=False,
                        )
                        yield Label(
                            Content(self.usage.get(field.name, "")),
                            classes="limit-usage",
                        )
                    yield Static(
                        Content(field.help), id=message_id(field.name), classes="limit-msg"
                    )
            yield Static("", id="limits-command")
            yield Static("", id="limits-status")
            with Horizontal(id="limits-buttons"):
                yield Button(
                    "Apply runtime (Enter)", id="apply-runtime", variant="primary", compact=True
                )
                yield Button("Apply persistent (ctrl+s)", id="apply-persistent", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#{input_id(LIMIT_FIELDS[0].name)}", Input).focus()
        self._refresh_command()

    # -------------------------------------------------------------- state

    def field_text(self, name: str) -> str:
        return self.query_one(f"#{input_id(name)}", Input).value

    def changed_values(self) -> dict[str, str]:
        """Fields whose text differs from the current value, in field order."""
        changed: dict[str, str] = {}
        for field in LIMIT_FIELDS:
            text = self.field_text(field.name).strip()
            if text != self.current[field.name].strip():
                changed[field.name] = text
        return changed

    def _check_field(self, name: str) -> str | None:
        """Show the field's inline message; return its error, if any."""
        message = self.query_one(f"#{message_id(name)}", Static)
        text = self.field_text(name).strip()
        error: str | None = None
        if text != self.current[name].strip():
            try:
                parse_limit(name, text)
            except LimitError as problem:
                error = problem.message
        self._show(message, error if error is not None else FIELDS_BY_NAME[name].help)
        message.set_class(error is not None, "-invalid")
        return error

    def _show(self, line: Static, text: str) -> None:
        """``line`` says ``text`` (which may quote what was typed); repainted only if it changed.

        A layout of the dialog costs more than the rest of a keystroke: it is
        done only when the line's height may change (checking all eight
        fields on Enter, or typing in one, mostly changes no height).
        """
        old = self._shown.get(line)
        if old == text:
            return
        self._shown[line] = text
        width = line.content_region.width
        same_height = old is not None and _rows(old, width) == _rows(text, width) != 0
        line.update(plain(text, lines=True), layout=not same_height)

    def _refresh_command(self) -> None:
        changed = self.changed_values()
        command = self.query_one("#limits-command", Static)
        if not changed:
            self._show(command, "No changes yet.")
            return
        shown = self.machines[:MAX_COMMANDS]
        lines = [systemctl_command(machine, changed, runtime=True) for machine in shown]
        if len(self.machines) > len(shown):
            lines.append(f"... and {len(self.machines) - len(shown)} more machines")
        lines.append("(ctrl+s: the same without --runtime, kept by systemd across reboots)")
        self._show(command, "\n".join(lines))

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id is None or not event.input.id.startswith("limit-"):
            return
        self._check_field(event.input.id.removeprefix("limit-"))
        self._show(self.query_one("#limits-status", Static), "")
        self._refresh_command()

    # ------------------------------------------------------------ actions

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_apply(True)

    @on(Button.Pressed, "#apply-runtime")
    def _apply_runtime(self) -> None:
        self.action_apply(True)

    @on(Button.Pressed, "#apply-persistent")
    def _apply_persistent(self) -> None:
        self.action_apply(False)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_apply(self, runtime: bool) -> None:
        """Dismiss with a request if every field is valid and something changed."""
        status = self.query_one("#limits-status", Static)
        invalid = [f.name for f in LIMIT_FIELDS if self._check_field(f.name) is not None]
        if invalid:
            self._show(status, f"Not applied: fix {', '.join(invalid)} first.")
            self.query_one(f"#{input_id(invalid[0])}", Input).focus()
            return
        changed = self.changed_values()
        if not changed:
            self._show(status, "Nothing changed.")
            return
        self.dismiss(LimitsRequest(changed, runtime))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The detail panel's action bar: a button for each action on the machine under the cursor.

A press runs the dashboard action of the same name (``screen.run_action``), so
a button does exactly what its key does: the same confirmations, the same
refusals.  Buttons of actions the machine's state does not allow, or that a
read-only host refuses, are greyed (disabled: Tab skips them); a click on one
still says why (the action's own notice, or the read-only toast).  On a
fleet's host row the bar is empty.  Labels carry the key bound to the action
now (the screen's active bindings, after the user's keymap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from rich.cells import cell_len
from textual import events, on
from textual.app import ComposeResult
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button

from nspawn_tui.host.base import Machine


@dataclass(frozen=True, slots=True)
class BarAction:
    """One button: the dashboard action it runs and when the machine allows it."""

    action: str  # the dashboard's action name ("boot": ``action_boot``)
    label: str  # "Power off"
    short: str  # the label on a narrow terminal ("Off")
    needs_running: bool = False
    needs_stopped: bool = False

    def allowed(self, machine: Machine) -> bool:
        """Whether ``machine``'s state allows the action now."""
        if self.needs_running and not machine.running:
            return False
        return not (self.needs_stopped and machine.running)


#: The bar, left to right (Boot and Power off share a place: one is shown, by state).
BAR_ACTIONS: Final = (
    BarAction("boot", "Boot", "Boot", needs_stopped=True),
    BarAction("poweroff", "Power off", "Off", needs_running=True),
    BarAction("reboot", "Reboot", "Reboot", needs_running=True),
    BarAction("shell", "Shell", "Shell", needs_running=True),
    BarAction("logs", "Logs", "Logs"),
    BarAction("edit", "Limits", "Limits", needs_running=True),
    BarAction("settings", "Settings", "Conf", needs_running=False),
    BarAction("processes", "Processes", "Procs", needs_running=True),
)
#: Shown only while the machine's state allows them (the others are greyed instead).
_BY_STATE: Final = frozenset({"boot", "poweroff"})


def key_for(screen: Screen[Any], action: str) -> str | None:
    """The key that runs ``screen``'s ``action`` now, as the footer shows it; None if unbound.

    Read from the screen's active bindings, so the user's keymap and any key a
    focused widget takes first are accounted for.
    """
    for active in screen.active_bindings.values():
        if active.node is screen and active.binding.action == action:
            return screen.app.get_key_display(active.binding)
    return None


@runtime_checkable
class ActionGate(Protocol):
    """What the bar asks of its screen (the dashboard): is an action refused read-only."""

    def read_only_refusal(self, action: str) -> object | None: ...

    def refuse_read_only(self, action: str) -> bool: ...


class ActionButton(Button):
    """A button that still hears a click when greyed, to say why it is greyed."""

    def __init__(self, spec: BarAction) -> None:
        super().__init__(spec.label, id=f"bar-{spec.action}", name=spec.action, compact=True)
        self.spec = spec

    def check_message_enabled(self, message: Message) -> bool:
        if isinstance(message, events.Click) and self.disabled:
            return True
        return super().check_message_enabled(message)

    async def _on_click(self, event: events.Click) -> None:
        event.stop()
        if self.disabled:  # greyed: the action itself says why
            self.post_message(ActionBar.Refused(self.spec.action))
        elif not self.has_class("-active"):
            self.press()


class ActionBar(Widget):
    """A row of :class:`ActionButton`; :meth:`show` is cheap to call every poll."""

    DEFAULT_CSS = """
    ActionBar { height: 1; width: 1fr; layout: horizontal; overflow: hidden hidden; }
    ActionBar > ActionButton { width: auto; min-width: 0; height: 1; margin: 0 1 0 0; }
    ActionBar > ActionButton.-textual-compact { padding: 0; }  /* line-pad: 1 each side */
    """

    class Refused(Message):
        """A greyed button was clicked: its action runs anyway, to say why it cannot."""

        def __init__(self, action: str) -> None:
            super().__init__()
            self.action = action

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[object, ...] | None = None
        self._form = ""
        self._keys: dict[str, str | None] = {}
        #: what show() was last given before the bar was mounted (the detail panel
        #: mounts it after the first frame, with Textual's Lazy)
        self._early: tuple[Machine | None] | None = None
        #: the screen's read-only gate, found once when mounted (show() runs every poll:
        #: a Protocol isinstance and the screen's lookup cost more than the rest of it)
        self._gate: ActionGate | None = None

    def compose(self) -> ComposeResult:
        for spec in BAR_ACTIONS:
            yield ActionButton(spec)

    def on_mount(self) -> None:
        screen = self.screen
        self._gate = screen if isinstance(screen, ActionGate) else None
        if self._early is not None:
            (machine,) = self._early
            self._early = None
            self.show(machine)

    @property
    def buttons(self) -> list[ActionButton]:
        return list(self.query(ActionButton))

    def show(self, machine: Machine | None) -> None:
        """The buttons for ``machine`` (None: a host row, or no machine: no buttons)."""
        if not self.is_mounted:
            self._early = (machine,)
            return
        gate = self._gate
        refused = frozenset(
            spec.action
            for spec in BAR_ACTIONS
            if gate is not None and gate.read_only_refusal(spec.action) is not None
        )
        state = (None,) if machine is None else (machine.running, refused)
        if state == self._state:
            return
        self._state = state
        for button in self.buttons:
            spec = button.spec
            if machine is None:
                button.display = False
                continue
            allowed = spec.allowed(machine)
            button.display = allowed or spec.action not in _BY_STATE
            button.disabled = not allowed or spec.action in refused
        self._relabel()

    def on_resize(self, event: events.Resize) -> None:
        self._relabel()

    def _relabel(self) -> None:
        """Full labels when they fit the width, else short ones, else the keys alone."""
        screen = self.screen
        keys = {spec.action: key_for(screen, spec.action) for spec in BAR_ACTIONS}
        shown = [b.spec for b in self.buttons if b.display]
        width = self.size.width
        form = "keys"
        for candidate in ("full", "short"):
            need = sum(_width(spec, keys[spec.action], candidate) + 3 for spec in shown)
            if need <= width + 1:  # each: its label, padding 1 + 1 and a gap of 1 (not the last)
                form = candidate
                break
        if (form, keys) == (self._form, self._keys):
            return
        self._form, self._keys = form, keys
        for button in self.buttons:
            button.label = _label(button.spec, keys[button.spec.action], form)
            button.refresh(layout=True)  # its new width (a label alone is only repainted)

    @on(Button.Pressed)
    async def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name:
            await self._run(event.button.name)

    @on(Refused)
    async def _refused(self, event: Refused) -> None:
        event.stop()
        await self._run(event.action)

    async def _run(self, action: str) -> None:
        """The screen's action, as its key would run it (a read-only refusal said at once)."""
        screen = self.screen
        if isinstance(screen, ActionGate) and screen.refuse_read_only(action):
            return
        await screen.run_action(action)


def _width(spec: BarAction, key: str | None, form: str) -> int:
    return cell_len(_label(spec, key, form).plain)


def _label(spec: BarAction, key: str | None, form: str) -> Content:
    """``p Power off`` (the key bold), ``p Off`` or ``p``; our own words, no markup parsed."""
    text = spec.label if form == "full" else spec.short
    if key is None:
        return Content(text)
    if form == "keys":
        return Content(key).stylize("bold", 0, len(key))
    return Content(f"{key} {text}").stylize("bold", 0, len(key))

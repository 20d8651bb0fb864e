"""The detail panel's action bar: a button for each action on the machine under the cursor.

A press runs the dashboard action of the same name (``screen.run_action``), so
a button does exactly what its key does: the same confirmations, the same
refusals.  Buttons of actions the machine's state does not allow, or that a
read-only host refuses, are greyed (Left and Right skip them); a click on one
still says why (the action's own notice, or the read-only toast).  On a
fleet's host row the bar is empty.  Labels carry the key bound to the action
now (the screen's active bindings, after the user's keymap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Protocol, runtime_checkable

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.host.base import Machine
from nspawn_tui.widgets.geometry import content_size


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
_BOLD: Final = Style(bold=True)
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


@dataclass(frozen=True, slots=True)
class BarButton:
    """One button as the bar draws it now: where, what it says, whether it runs."""

    spec: BarAction
    label: Content  # "p Power off" (the key bold), "p Off" or "p"
    enabled: bool  # False: greyed (its state or --read-only); a click still says why
    x: int  # its first column in the bar
    width: int  # its label and a space each side

    def __contains__(self, x: int) -> bool:
        return self.x <= x < self.x + self.width


class ActionBar(Widget, can_focus=True):
    """One line of buttons, drawn as one widget; :meth:`show` is cheap to call every poll.

    Textual draws every widget inside the box around a frame's changes, and
    with the cursor on a running machine that box holds this bar: seven
    ``Button`` widgets cost 0.1 % of a core a second (benchmarks/README.md).
    One widget draws them all.  It is one stop for Tab, as a toolbar is:
    Left and Right move between the buttons that can run, Enter or Space
    presses one; a click presses the button under the pointer.
    """

    # each state in full: Textual styles a component from one class's rules alone
    DEFAULT_CSS = """
    ActionBar { height: 1; width: 1fr; }
    ActionBar > .action-bar--button {
        text-style: bold; color: $button-foreground; background: $surface;
    }
    ActionBar > .action-bar--disabled {
        text-style: bold; color: $button-foreground; background: $surface 40%; text-opacity: 0.4;
    }
    ActionBar > .action-bar--hover {
        text-style: bold; color: $button-foreground; background: $surface-darken-1;
    }
    ActionBar > .action-bar--cursor {
        text-style: $button-focus-text-style; color: $button-foreground; background: $surface;
        background-tint: $foreground 5%;
    }
    ActionBar:ansi > .action-bar--button { background: ansi_default; }
    ActionBar:ansi > .action-bar--disabled {
        background: ansi_default; text-style: bold dim; text-opacity: 1;
    }
    ActionBar:ansi > .action-bar--hover { background: $ansi-background; }
    ActionBar:ansi > .action-bar--cursor { background: ansi_default; }
    """
    COMPONENT_CLASSES = {
        "action-bar--button",
        "action-bar--disabled",
        "action-bar--hover",
        "action-bar--cursor",
    }
    BINDINGS = [
        Binding(
            "left",
            "move(-1)",
            "Previous button",
            show=False,
            tooltip="the one before that can run (greyed ones are skipped)",
        ),
        Binding("right", "move(1)", "Next button", show=False, tooltip="the next one that can run"),
        Binding(
            "enter,space",
            "press",
            "Press",
            show=False,
            tooltip="as its key would: the same question, the same refusals",
        ),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._state: tuple[object, ...] | None = None
        #: what the machine allows: (action, enabled) left to right, the shown ones
        self._shown: list[tuple[BarAction, bool]] = []
        self._form = ""
        self._keys: dict[str, str | None] = {}
        self._buttons: list[BarButton] = []
        self._cursor = 0  # the button Enter presses (drawn only while focused)
        self._hover: int | None = None
        #: what show() was last given before the bar was mounted (the detail panel
        #: mounts it after the first frame: widgets/mount_later.py)
        self._early: tuple[Machine | None] | None = None
        #: the screen's read-only gate, found once when mounted (show() runs every poll:
        #: a Protocol isinstance and the screen's lookup cost more than the rest of it)
        self._gate: ActionGate | None = None
        self.can_focus = False  # until there is a button that can run

    def on_mount(self) -> None:
        screen = self.screen
        self._gate = screen if isinstance(screen, ActionGate) else None
        # show() may also come while the bar is being mounted (after this handler,
        # before Textual marks it mounted): what it was given is applied after.
        self.call_later(self._show_early)

    def _show_early(self) -> None:
        if self._early is not None:
            (machine,) = self._early
            self._early = None
            self.show(machine)

    @property
    def buttons(self) -> list[BarButton]:
        """The buttons drawn now, left to right."""
        return list(self._buttons)

    def button(self, action: str) -> BarButton | None:
        """The button of ``action`` as drawn now; None when it is not shown."""
        return next((b for b in self._buttons if b.spec.action == action), None)

    @property
    def cursor_action(self) -> str | None:
        """The action Enter would run (None: no button can run)."""
        if 0 <= self._cursor < len(self._buttons) and self._buttons[self._cursor].enabled:
            return self._buttons[self._cursor].spec.action
        return None

    def show(self, machine: Machine | None) -> None:
        """The buttons for ``machine`` (None: a host row, or no machine: no buttons)."""
        if not self.is_mounted:
            self._early = (machine,)
            return
        self._early = None  # older than this
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
        self._shown = (
            []
            if machine is None
            else [
                (spec, spec.allowed(machine) and spec.action not in refused)
                for spec in BAR_ACTIONS
                if spec.allowed(machine) or spec.action not in _BY_STATE
            ]
        )
        self.can_focus = any(enabled for _, enabled in self._shown)
        if self.has_focus and not self.can_focus:
            self.screen.focus_previous()  # nothing here can run: back to the list
        self._relabel(force=True)

    def on_resize(self, event: events.Resize) -> None:
        self._relabel()

    def _relabel(self, *, force: bool = False) -> None:
        """Full labels when they fit the width, else short ones, else the keys alone."""
        screen = self.screen
        keys = {spec.action: key_for(screen, spec.action) for spec in BAR_ACTIONS}
        width = content_size(self).width
        form = "keys"
        for candidate in ("full", "short"):
            need = sum(_width(spec, keys[spec.action], candidate) + 3 for spec, _ in self._shown)
            if need <= width + 1:  # each: its label, a space each side and a gap of 1
                form = candidate
                break
        if (form, keys) == (self._form, self._keys) and not force:
            return
        self._form, self._keys = form, keys
        buttons: list[BarButton] = []
        x = 0
        for spec, enabled in self._shown:
            label = _label(spec, keys[spec.action], form)
            buttons.append(BarButton(spec, label, enabled, x, cell_len(label.plain) + 2))
            x += buttons[-1].width + 1
        old = self.cursor_action
        self._buttons = buttons
        self._cursor = self._nearest(
            next((i for i, b in enumerate(buttons) if b.spec.action == old), 0)
        )
        self.refresh()

    def _nearest(self, index: int) -> int:
        """``index`` if that button can run, else the next one that can (or the one before)."""
        enabled = [i for i, b in enumerate(self._buttons) if b.enabled]
        if not enabled:
            return 0
        return next((i for i in enabled if i >= index), enabled[-1])

    # -- input ----------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        """The cursor to the next button that can run, left (-1) or right (1)."""
        enabled = [i for i, b in enumerate(self._buttons) if b.enabled]
        if not enabled:
            return
        later = [i for i in enabled if (i - self._cursor) * step > 0]
        self._cursor = (min(later) if step > 0 else max(later)) if later else self._cursor
        self.refresh()

    async def action_press(self) -> None:
        if (action := self.cursor_action) is not None:
            await self._run(action)

    def _at(self, x: int) -> int | None:
        return next((i for i, b in enumerate(self._buttons) if x in b), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._set_hover(self._at(event.x))

    def on_leave(self, event: events.Leave) -> None:
        self._set_hover(None)

    def _set_hover(self, index: int | None) -> None:
        if index != self._hover:
            self._hover = index
            self.refresh()

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        index = self._at(event.x)
        if index is None:
            return
        button = self._buttons[index]
        if button.enabled:
            self._cursor = index
            self.refresh()
        await self._run(button.spec.action)  # greyed: the action itself says why

    def on_focus(self, event: events.Focus) -> None:
        self.refresh()

    def on_blur(self, event: events.Blur) -> None:
        self.refresh()

    async def _run(self, action: str) -> None:
        """The screen's action, as its key would run it (a read-only refusal said at once)."""
        screen = self.screen
        if isinstance(screen, ActionGate) and screen.refuse_read_only(action):
            return
        await screen.run_action(action)

    # -- drawing --------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = content_size(self).width
        bar = self.rich_style
        if y != 0:
            return Strip.blank(width, bar)
        focused = self.has_focus
        segments: list[Segment] = []
        for index, button in enumerate(self._buttons):
            if not button.enabled:
                name = "disabled"
            elif focused and index == self._cursor:
                name = "cursor"
            else:
                name = "hover" if index == self._hover else "button"
            style = self.get_component_rich_style(f"action-bar--{name}")  # kept by Textual
            if index:
                segments.append(Segment(" ", bar))
            segments.append(Segment(" ", style))
            key = button.label.spans[0].end if button.label.spans else 0
            text = button.label.plain
            if key:
                segments.append(Segment(text[:key], style + _BOLD))
            if text[key:]:
                segments.append(Segment(text[key:], style))
            segments.append(Segment(" ", style))
        return Strip(segments).crop_extend(0, width, bar)


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

"""The ``?`` screen: every key in force where it was pressed, made from the bindings.

Nothing here is a hand-written list of keys that could go out of date: the
rows are the bindings in force on the screen below (its focused widget's, its
own, the app's), with their key, description and tooltip; a key that
``check_action`` disables (a mutating key on a read-only host) is shown
disabled.  Below them, the journal view's keys (from its own bindings) and
the way back from a shell.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from nspawn_tui.screens.app_keys import ATTACH_ACTIONS as ATTACH_ACTIONS  # its old home
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.action_bar import ActionBar
from nspawn_tui.widgets.log_view import LogView


@dataclass(frozen=True, slots=True)
class HelpRow:
    keys: str  # "q ^q": every key of the binding(s), as the footer shows them
    description: str  # the binding's description: "Boot"
    details: str = ""  # its tooltip: "start systemd-nspawn@NAME.service"
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class HelpSection:
    title: str
    rows: tuple[HelpRow, ...]


def binding_rows(app: App[Any], bindings: Iterable[tuple[Binding, bool]]) -> tuple[HelpRow, ...]:
    """One row per description and state, in order: its keys joined (each once), a tooltip."""
    keys: dict[tuple[str, bool], list[str]] = {}
    details: dict[tuple[str, bool], str] = {}
    for binding, enabled in bindings:
        row = (binding.description, enabled)
        shown = keys.setdefault(row, [])
        display = app.get_key_display(binding)
        if display not in shown:
            shown.append(display)
        details[row] = details.get(row) or binding.tooltip
    return tuple(
        HelpRow(" ".join(shown), description, details[description, enabled], enabled)
        for (description, enabled), shown in keys.items()
    )


def keys_in_force(app: App[Any], bindings: Iterable[BindingType]) -> list[Binding]:
    """``bindings`` (a class's) with the keys the app's keymap gives them now, one per key."""
    keymap: Mapping[str, str] = app._keymap  # what Textual applies (App.set_keymap)
    result: list[Binding] = []
    rebound: set[str] = set()
    for binding in Binding.make_bindings(bindings):
        keys = keymap.get(binding.id) if binding.id else None
        if keys is None:
            result.append(binding)
        elif binding.id not in rebound:
            rebound.add(binding.id or "")
            result += [binding.with_key(key=key, key_display=None) for key in keys.split(",")]
    return result


def key_labels(app: App[Any], bindings: Iterable[Binding]) -> str:
    """The keys of ``bindings`` as the footer shows them, each once: ``K ^k``."""
    shown: list[str] = []
    for binding in bindings:
        display = app.get_key_display(binding)
        if display not in shown:
            shown.append(display)
    return " ".join(shown)


def action_keys(app: App[Any], bindings: Iterable[BindingType]) -> dict[str, str]:
    """Action -> the keys in force for it (``"kill": "K"``): the palette's key labels."""
    by_action: dict[str, list[Binding]] = {}
    for binding in keys_in_force(app, bindings):
        by_action.setdefault(binding.action, []).append(binding)
    return {action: key_labels(app, found) for action, found in by_action.items()}


def class_rows(app: App[Any], *binding_lists: list[BindingType]) -> tuple[HelpRow, ...]:
    """Rows of bindings declared by classes (a screen not shown yet), with the keys in force."""
    return binding_rows(
        app,
        ((binding, True) for bindings in binding_lists for binding in keys_in_force(app, bindings)),
    )


def help_sections(screen: Screen[Any]) -> tuple[HelpSection, ...]:
    """What the help says over ``screen``: its keys in force, then what they lead to."""
    app = screen.app
    active = screen.active_bindings.values()
    sections = [
        HelpSection(
            "Keys",
            binding_rows(app, ((bound.binding, bound.enabled) for bound in active)),
        )
    ]
    if not isinstance(screen, LogsScreen):
        rows = class_rows(app, LogsScreen.BINDINGS, LogView.BINDINGS)
        logs = [bound.binding for bound in active if bound.binding.action == "logs"]
        title = f"In the journal view ({key_labels(app, logs)})" if logs else "In the journal view"
        sections.append(HelpSection(title, rows))
    bars = screen.query(ActionBar)
    if bars and not any(bar.has_focus for bar in bars):  # focused: its keys are above
        rows = class_rows(app, ActionBar.BINDINGS)
        tab = [b.binding for b in active if b.binding.action.endswith("focus_next")]
        sections.append(HelpSection(f"In the action bar ({key_labels(app, tab) or 'tab'})", rows))
    attach = [bound for bound in active if bound.binding.action in ATTACH_ACTIONS]
    if attach:
        keys = key_labels(app, (bound.binding for bound in attach)).replace(" ", ", ")
        back = HelpRow(
            "^] ^] ^]",
            "Back",
            "three times within 1 s: back to the dashboard, as in machinectl",
            all(bound.enabled for bound in attach),
        )
        sections.append(HelpSection(f"In a shell or login ({keys})", (back,)))
    return tuple(sections)


def section_table(section: HelpSection, disabled_reason: str) -> Table:
    """A section as a table of plain text (never markup); disabled keys dimmed and said so."""
    title = Text(section.title, style="bold")
    if not all(row.enabled for row in section.rows):
        title.append(f"  (disabled: {disabled_reason})", style="not bold")
    table = Table(
        box=None, show_header=False, title=title, title_justify="left", padding=(0, 2, 0, 0)
    )
    table.add_column(style="bold", no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(style="dim", overflow="fold")
    for row in section.rows:
        if row.enabled:
            table.add_row(Text(row.keys), Text(row.description), Text(row.details))
        else:
            description = Text(f"{row.description} (disabled)")
            table.add_row(Text(row.keys), description, Text(row.details), style="dim")
    return table


class HelpScreen(Modal[None]):
    """Every key of the screen below and what it does (see :func:`help_sections`)."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss_help", "Close", id="help.close"),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 100%; max-width: 108; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    HelpScreen Static { margin-bottom: 1; }
    """

    def __init__(
        self, sections: Sequence[HelpSection], *, disabled_reason: str = "not available here"
    ) -> None:
        super().__init__()
        self.sections = tuple(sections)
        self.disabled_reason = disabled_reason

    @classmethod
    def over(cls, screen: Screen[Any], *, read_only: bool) -> HelpScreen:
        """The help of ``screen`` (call it before pushing: it reads the keys in force there)."""
        reason = "nspawn-tui runs read-only" if read_only else "not available here"
        return cls(help_sections(screen), disabled_reason=reason)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as box:
            box.border_title = "nspawn-tui keys"
            box.border_subtitle = "Escape closes"
            for index, section in enumerate(self.sections):
                table = section_table(section, self.disabled_reason)  # Text cells, no markup
                yield Static(table, id=f"help-{index}", markup=False)

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

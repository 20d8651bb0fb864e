"""The command palette's machine commands: "Shell web", "Logs cache", "Boot demo2/db" ...

:class:`MachineCommands` (a Textual command :class:`~textual.command.Provider`,
in ``NspawnApp.COMMANDS``) offers one command per machine and action on the
dashboard.  Matching is fuzzy on each word, in any order: "shell web", "web
shell" and "sh we" all find "Shell web".  Running one moves the dashboard's
cursor to the machine and runs the dashboard action the key runs (the same
confirmations and refusals).  Machine names are outside text: cleaned, and
shown as inert :class:`~textual.content.Content` (never markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape
from textual.style import Style

from nspawn_tui.safe import clean
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.view.host_rows import CURSOR_ACTIONS
from nspawn_tui.widgets.action_bar import key_for
from nspawn_tui.widgets.detail_panel import DetailPanel
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.safe_text import notify_plain


@dataclass(frozen=True, slots=True)
class MachineCommand:
    action: str  # the dashboard's action ("edit"), or "network" (the detail panel on it)
    label: str  # "Limits"
    help: str  # our own words (the palette reads help as markup)


#: Per machine, in the order the palette lists them.
MACHINE_COMMANDS: Final = (
    MachineCommand("logs", "Logs", "the machine's journal"),
    MachineCommand("shell", "Shell", "a root shell in the machine"),
    MachineCommand("login", "Login", "a login prompt of the machine"),
    MachineCommand("boot", "Boot", "start systemd-nspawn@NAME.service"),
    MachineCommand("poweroff", "Power off", "a clean shutdown (asks)"),
    MachineCommand("reboot", "Reboot", "machinectl reboot"),
    MachineCommand("terminate", "Terminate", "stop at once (asks)"),
    MachineCommand("kill", "Kill", "a chosen signal (asks)"),
    MachineCommand("edit", "Limits", "resource limits"),
    MachineCommand("settings", "Settings", "the .nspawn file"),
    MachineCommand("processes", "Processes", "the machine's processes"),
    MachineCommand("network", "Network", "links and addresses, in the detail panel"),
    MachineCommand("enable", "Enable at boot", "machinectl enable"),
    MachineCommand("disable", "Disable at boot", "machinectl disable"),
)

#: Not about a machine: offered whatever the cursor is on (key ``n``).
CREATE_TEXT: Final = "Create a container…"
CREATE_HELP: Final = "bootstrap (debootstrap, pacstrap, dnf) or clone, first boot, settings"

#: Characters after which a word part starts ("demo2/web", "ci-runner").
_PART_STARTS: Final = frozenset("/-_.@:")


def word_score(query: str, word: str) -> tuple[float, list[int]] | None:
    """How well ``query`` (lowercase) matches ``word``, and the offsets it matched; None: not.

    Whole word 1.0; a prefix, of the word or of a part of it ("web" in
    "demo2/web"), 0.7 to 0.95; inside it 0.5 to 0.7; letters in order 0.2 to 0.4.
    """
    lower = word.lower()
    ratio = len(query) / max(1, len(lower))
    if query == lower:
        return 1.0, list(range(len(word)))
    if lower.startswith(query):
        return 0.7 + 0.25 * ratio, list(range(len(query)))
    parts = [i for i in range(1, len(lower)) if lower[i - 1] in _PART_STARTS]
    for start in parts:
        if lower.startswith(query, start):
            exact = start + len(query) == len(lower)
            return (0.9 if exact else 0.6 + 0.25 * ratio), list(range(start, start + len(query)))
    index = lower.find(query)
    if index >= 0:
        return 0.5 + 0.2 * ratio, list(range(index, index + len(query)))
    offsets: list[int] = []
    position = 0
    for char in query:
        position = lower.find(char, position)
        if position < 0:
            return None
        offsets.append(position)
        position += 1
    return 0.2 + 0.2 * ratio, offsets


def match_words(query: str, text: str) -> tuple[float, list[int]] | None:
    """Each word of ``query`` against a different word of ``text``, in any order.

    Returns the score (0 to 1) and the offsets in ``text`` to highlight, or
    None when a word of the query matches no word of ``text``.
    """
    wanted = query.lower().split()
    words: list[tuple[int, str]] = []
    start = 0
    for word in text.split(" "):
        if word:
            words.append((start, word))
        start += len(word) + 1
    if not wanted or len(wanted) > len(words):
        return None
    used: set[int] = set()
    total = 0.0
    offsets: list[int] = []
    for query_word in sorted(wanted, key=len, reverse=True):  # the longest first: most telling
        best: tuple[float, int, list[int]] | None = None
        for index, (word_start, word) in enumerate(words):
            if index in used:
                continue
            found = word_score(query_word, word)
            if found is not None and (best is None or found[0] > best[0]):
                best = (found[0], index, [word_start + offset for offset in found[1]])
        if best is None:
            return None
        total += best[0]
        used.add(best[1])
        offsets += best[2]
    # every word of the text matched counts a little: "Shell web" over "Shell as web"
    score = total / len(wanted) * (0.8 + 0.2 * len(used) / len(words))
    return min(1.0, score), sorted(offsets)


def highlight(text: str, offsets: Sequence[int], style: Style) -> Content:
    """``text`` (already cleaned) as inert content, the matched characters in ``style``."""
    content = Content(text)
    for offset in offsets:
        content = content.stylize(style, offset, offset + 1)
    return content


class MachineCommands(Provider):
    """One palette command per machine of the dashboard and action (none on other screens)."""

    def _dashboard(self) -> DashboardScreen | None:
        screen = self.screen
        return screen if isinstance(screen, DashboardScreen) else None

    def _commands(self, names: Sequence[str]) -> list[tuple[str, str, MachineCommand]]:
        """(the text shown, the machine's name, the command) for ``names``."""
        return [
            (f"{command.label} {clean(name)}", name, command)
            for name in names
            for command in MACHINE_COMMANDS
        ]

    def _help(self, dashboard: DashboardScreen, command: MachineCommand) -> str:
        key = key_for(dashboard, command.action)
        return command.help if key is None else f"key {escape(key)} · {command.help}"

    async def search(self, query: str) -> Hits:
        dashboard = self._dashboard()
        if dashboard is None or dashboard.snapshot is None:
            return
        style = self.match_style or Style(reverse=True)
        found_create = match_words(query, CREATE_TEXT)
        if found_create is not None:
            score, offsets = found_create
            yield Hit(
                score,
                highlight(CREATE_TEXT, offsets, style),
                self.run_create,
                text=CREATE_TEXT,
                help=self._help(dashboard, MachineCommand("create", CREATE_TEXT, CREATE_HELP)),
            )
        names = [machine.name for machine in dashboard.snapshot.machines]
        for text, name, command in self._commands(names):
            found = match_words(query, text)
            if found is not None:
                score, offsets = found
                yield Hit(
                    score,
                    highlight(text, offsets, style),
                    partial(self.run_command, name, command.action),
                    text=text,
                    help=self._help(dashboard, command),
                )

    async def discover(self) -> Hits:
        """With nothing typed: the commands of the machine under the cursor."""
        dashboard = self._dashboard()
        if dashboard is None:
            return
        yield DiscoveryHit(
            Content(CREATE_TEXT),
            self.run_create,
            text=CREATE_TEXT,
            help=self._help(dashboard, MachineCommand("create", CREATE_TEXT, CREATE_HELP)),
        )
        name = dashboard.query_one(MachineTable).cursor_name
        for text, _, command in self._commands([name] if name else []):
            yield DiscoveryHit(
                Content(text),
                partial(self.run_command, name or "", command.action),
                text=text,
                help=self._help(dashboard, command),
            )

    async def run_create(self) -> None:
        """The create form, as ``n`` opens it (refused at once on a read-only host)."""
        dashboard = self._dashboard()
        if dashboard is not None and not dashboard.refuse_read_only("create"):
            await dashboard.run_action("create")

    async def run_command(self, name: str, action: str) -> None:
        """The cursor to ``name``, then ``action`` as its key runs it."""
        dashboard = self._dashboard()
        if dashboard is None:
            return
        table = dashboard.query_one(MachineTable)
        if not table.move_cursor_to_name(name):
            notify_plain(
                dashboard,
                f"{name} is not in the table now (filtered out, or its host folded)",
                severity="warning",
            )
            return
        if table.selected and action not in CURSOR_ACTIONS:
            # "Boot web" boots web, not the machines selected with space
            table.selected.clear()
            table._refresh_all()
        if action == "network":
            if not dashboard.query_one(DetailPanel).display:
                await dashboard.run_action("toggle_detail")
            return
        if dashboard.refuse_read_only(action):
            return
        await dashboard.run_action(action)

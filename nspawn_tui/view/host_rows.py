"""A fleet's host rows in the machine table, and the grouping of machines under them (no Textual).

When the table is sorted by name and the snapshot has hosts, each host gets a
row (its label, state, machine count, CPU and memory, and for a host that is
down or slow the reason in words), followed by its machines; a collapsed
host hides them.  Sorted by any other column there are no host rows and the
NAME cell shows the qualified ``HOST/NAME``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Protocol, TypeVar

from nspawn_tui.host.base import HostStatus
from nspawn_tui.safe import clean
from nspawn_tui.view.formatting import UNAVAILABLE, format_bytes, format_percent
from nspawn_tui.view.rows import (
    COLUMNS,
    STYLE_DIM,
    STYLE_HOT,
    STYLE_NA,
    STYLE_NONE,
    STYLE_WARN,
    Row,
)

HOST_UP: Final = "up"
HOST_DOWN: Final = "down"
HOST_SLOW: Final = "slow"
#: before the label: its machines shown, or hidden
EXPANDED_MARK: Final = "▾ "
COLLAPSED_MARK: Final = "▸ "
#: the NAME cell of a machine under its host's row: its plain name, indented
MEMBER_INDENT: Final = "  "
#: the column where a host row's count (and reason) starts; it runs to the figures
SPAN_COLUMN: Final = 2
#: why a slow host without an error text is slow
NO_ANSWER: Final = "no answer in time: figures are from an earlier refresh"

_COLUMN_INDEX: Final = {column.key: i for i, column in enumerate(COLUMNS)}
_MISSING_KEYS: Final = ((1, 0.0),) * len(COLUMNS)


@dataclass(slots=True)
class HostRow(Row):
    """A host's line: ``name`` is :func:`host_key` (never a machine's name)."""

    label: str = ""  # the host's label, as the fleet gives it (uncleaned)
    state: str = HOST_UP  # HOST_UP, HOST_DOWN or HOST_SLOW
    #: the count and reason run over the figure columns to the end of the line
    spans: bool = False
    machines: int = 0
    machines_running: int = 0


def host_key(label: str) -> str:
    """A host row's key: ``"web1/"`` (a machine's ``HOST/NAME`` always has a NAME)."""
    return f"{label}/"


def host_state(status: HostStatus) -> str:
    if not status.connected:
        return HOST_DOWN
    return HOST_SLOW if status.stale else HOST_UP


def host_reason(status: HostStatus) -> str:
    """Why a host is down or slow (cleaned), "" when it is up."""
    state = host_state(status)
    if state == HOST_UP:
        return ""
    if status.error:  # "down: ssh: ...": the state is in its own cell
        return clean(status.error.removeprefix(f"{state}: "))
    return NO_ANSWER if state == HOST_SLOW else "not connected"


def _count_text(machines: int) -> str:
    return f"{machines} machine" if machines == 1 else f"{machines} machines"


def build_host_row(
    status: HostStatus, machines: int, running: int, *, collapsed: bool = False
) -> HostRow:
    """The row of ``status`` with ``machines`` machines (``running`` of them running)."""
    state = host_state(status)
    reason = host_reason(status)
    alarm = {HOST_UP: STYLE_NONE, HOST_DOWN: STYLE_HOT, HOST_SLOW: STYLE_WARN}[state]
    cells = [""] * len(COLUMNS)
    styles = [STYLE_NONE] * len(COLUMNS)
    cells[0] = (COLLAPSED_MARK if collapsed else EXPANDED_MARK) + clean(status.label)
    cells[1], styles[1] = state, alarm
    count = _count_text(machines)
    cells[SPAN_COLUMN] = f"{count}  {reason}" if reason else count
    styles[SPAN_COLUMN] = alarm
    spans = state == HOST_DOWN
    stats = status.stats
    if not spans:
        figure_style = STYLE_DIM if status.stale else STYLE_NONE
        cpu = stats.cpu_percent if stats is not None else None
        used = stats.memory_used if stats is not None else None
        total = stats.memory_total if stats is not None else None
        cpu_col, mem_col = _COLUMN_INDEX["cpu"], _COLUMN_INDEX["memory"]
        cells[cpu_col] = format_percent(cpu)
        styles[cpu_col] = STYLE_NA if cpu is None else figure_style
        memory = UNAVAILABLE if used is None else format_bytes(used)
        if total is not None:
            memory += f"/{format_bytes(total)}"
        cells[mem_col] = memory
        styles[mem_col] = STYLE_NA if used is None else figure_style
    return HostRow(
        host_key(status.label),
        tuple(cells),
        tuple(styles),
        _MISSING_KEYS,
        status.connected,
        status.label,
        "",
        status.label,
        state,
        spans,
        machines,
        running,
    )


def span_text(row: HostRow) -> tuple[str, str]:
    """The count and the reason of a host row's span ("3 machines", "no route to host")."""
    count, _, reason = row.cells[SPAN_COLUMN].partition("  ")
    return count, reason


def group_rows(
    rows: Sequence[Row],
    hosts: Sequence[HostStatus],
    host_rows: Mapping[str, HostRow],
    collapsed: Collection[str],
    needle: str = "",
) -> list[Row]:
    """Each host's row then its machines (``rows``, already filtered and in order).

    A host row is kept when ``needle`` (lower case) is in its label or any of its
    machines is in ``rows``; a collapsed host's machines are left out.
    Machines of a host not in ``hosts`` come last, as they are.
    """
    members: dict[str, list[Row]] = {status.label: [] for status in hosts}
    strays: list[Row] = []
    for row in rows:
        group = members.get(row.host)
        if group is None:
            strays.append(row)
        else:
            group.append(row)
    out: list[Row] = []
    for status in hosts:
        label = status.label
        host_row = host_rows.get(label)
        mine = members[label]
        if host_row is None or (needle and not mine and needle not in label.lower()):
            out += mine
            continue
        out.append(host_row)
        if label not in collapsed:
            out += mine
    return out + strays


#: Dashboard actions on the machine under the cursor (the selection does not count).
CURSOR_ACTIONS: Final = frozenset({"processes", "shell", "shell_as", "login", "settings"})
#: Dashboard actions that need machines: refused on a host's row (see :func:`host_row_refusal`).
MACHINE_ACTIONS: Final = CURSOR_ACTIONS | frozenset(
    {"logs", "boot", "poweroff", "reboot", "terminate", "kill", "enable", "disable", "edit"}
)


def host_row_refusal(host: str | None, selected: bool, action: str) -> str | None:
    """Why ``action`` is refused with the cursor on the row of ``host``, or None.

    With machines selected, an action that applies to the selection goes ahead.
    """
    if host is None or action not in MACHINE_ACTIONS:
        return None
    if selected and action not in CURSOR_ACTIONS:
        return None
    return f"choose a machine: this is the host row of {clean(host)}"


class _Refuses(Protocol):
    def refuse_host_row(self, action: str) -> bool: ...


S = TypeVar("S", bound=type[_Refuses])


def refused_on_host_rows(screen: S) -> S:
    """Give ``screen`` an ``_action_NAME`` for each of :data:`MACHINE_ACTIONS`.

    Textual runs ``_action_NAME`` in place of ``action_NAME`` (a key, the
    palette, a click on the footer alike): it asks ``refuse_host_row`` first.
    """

    def guard(action: str) -> Callable[[_Refuses], object]:
        def run(self: _Refuses) -> object:
            if self.refuse_host_row(action):
                return None
            return getattr(self, f"action_{action}")()

        return run

    for action in MACHINE_ACTIONS:
        setattr(screen, f"_action_{action}", guard(action))
    return screen

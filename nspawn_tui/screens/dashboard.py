"""The main screen: host header, machine table, detail panel, filter line."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.widgets import Footer, Input, Static

from nspawn_tui.config.model import DEFAULT_SCROLLBACK
from nspawn_tui.host.base import (
    EventKind,
    Host,
    HostError,
    Machine,
    MachineDetails,
    Snapshot,
)
from nspawn_tui.host.network import UNAVAILABLE, NetworkInfo
from nspawn_tui.screens.confirm import config_of
from nspawn_tui.screens.dashboard_actions import ActionsMixin, Attach, Pending
from nspawn_tui.screens.dashboard_keys import DASHBOARD_BINDINGS, FOLD
from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.view.history import series_bins
from nspawn_tui.view.host_rows import host_row_refusal, refused_on_host_rows
from nspawn_tui.view.rows import COLUMN_KEYS, RowCache
from nspawn_tui.widgets.detail_panel import DetailPanel
from nspawn_tui.widgets.filter_input import FilterInput
from nspawn_tui.widgets.host_header import HostHeader
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.mount_later import MountLater, mount_all_later
from nspawn_tui.widgets.paint_now import paint_batch
from nspawn_tui.widgets.safe_text import notify_plain, plain

if TYPE_CHECKING:
    from nspawn_tui.screens.logs import LogsScreen

HISTORY_SECONDS = 300.0
HISTORY_BINS = 60
BIN_SECONDS = 5.0
MIN_INTERVAL = 0.25
MAX_INTERVAL = 10.0
INTERVAL_STEPS = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
#: Seconds after mounting by which the footer, action bar and graphs mount even
#: if the first poll has not come back (they mount after its frame otherwise).
MOUNT_LATER_AT_MOST = 0.5
#: Seconds after the first poll's data is given to the widgets: its frame is drawn by then.
AFTER_FRAME = 1 / 30


def logs_screen(host: Host, names: list[str], scrollback: int = DEFAULT_SCROLLBACK) -> LogsScreen:
    """The merged journal view of ``names`` on ``host`` (its modules load on first use)."""
    from nspawn_tui.screens.logs import LogsScreen

    return LogsScreen(
        lambda options: host.follow_logs(names, options),
        names,
        fetch_record=host.log_record,
        scrollback=scrollback,
    )


#: one reading kept for the graphs: (timestamp, CPU %, memory bytes, network rx
#: and tx bytes/s); a plain tuple, made for every machine every poll (a dataclass
#: costs three times as much)
_Point = tuple[float, float | None, int | None, float | None, float | None]


@refused_on_host_rows
class DashboardScreen(ActionsMixin):
    _table: MachineTable  # the widgets the poll updates, set on mount
    _header: HostHeader
    _panel: DetailPanel
    _status_line: Static

    #: no border and no content of its own (its widgets cover it), so each frame
    #: Textual draws its lines as plain background instead of styling them
    BLANK = True
    #: The help screen (``?``) is made from these: key, description and tooltip.
    BINDINGS = DASHBOARD_BINDINGS

    def __init__(
        self,
        host: Host,
        interval: float = 1.0,
        *,
        attach_pty: Attach,
        scrollback: int = DEFAULT_SCROLLBACK,
    ) -> None:
        super().__init__()
        use_span_compositor(self)
        self.host = host
        #: hands the terminal to a shell's or login's PTY (``s``, ``S``, ``L``)
        self.attach_pty = attach_pty
        #: records kept by each journal view it opens
        self.scrollback = scrollback
        self.interval = max(MIN_INTERVAL, min(MAX_INTERVAL, interval))
        self.cpu_per_host = False
        self.snapshot: Snapshot | None = None
        self.polls = 0
        self._wake = asyncio.Event()
        self._history: dict[str, deque[_Point]] = {}
        self._history_machines: tuple[Machine, ...] = ()
        self._bins_key: tuple[str | None, int, bool] | None = None
        self._bins: list[list[float]] = [[], [], [], []]
        self._details: MachineDetails | None = None
        #: the network of the machine under the cursor, read after each poll
        self._network: tuple[str, NetworkInfo] | None = None
        self._watched: tuple[str, ...] | None = None
        self._pending: dict[str, Pending] = {}
        self._status_text = ""
        self._row_cache = RowCache()
        self._fleet = False

    def compose(self) -> ComposeResult:
        yield HostHeader(self.host.description, read_only=self.host.read_only, id="host-header")
        config = config_of(self.app)  # the first CPU% meaning, sort and columns
        self.cpu_per_host = config.cpu_mode == "host"
        table = MachineTable(id="machines", columns=config.columns)
        table.sort_key, table.sort_reverse = config.sort, config.sort_reverse
        yield table
        yield Static("", id="status-line")
        yield DetailPanel(id="detail")
        yield FilterInput(
            self._filter_entered,
            placeholder="filter by name (Enter keeps, Escape clears)",
            id="filter",
        )
        # After the first frame with data (widgets/mount_later.py): the footer's keys
        # are ~20 widgets that it composes again on each change of bindings; the
        # first frame is the table (benchmarks/README.md, "First paint").
        yield MountLater(Footer(show_command_palette=False))  # ctrl+p is in the help (?)

    def on_mount(self) -> None:
        # Looked up once: the poll uses them every second.
        self._table = self.query_one(MachineTable)
        self._header = self.query_one(HostHeader)
        self._panel = self.query_one(DetailPanel)
        self._status_line = self.query_one("#status-line", Static)
        self.query_one("#filter", Input).display = False
        self._table.focus()
        self._poll_loop()
        self._event_loop()
        # The footer, the action bar and the graphs: one refresh after the first
        # poll is drawn, or now if that poll is slow (a host that answers late).
        self.set_timer(MOUNT_LATER_AT_MOST, self._mount_later)

    async def _mount_later(self) -> None:
        if await mount_all_later(self):
            self.refresh_bindings()  # the footer shows the keys when bindings change

    # ------------------------------------------------------------- polling

    @work(exclusive=True, group="poll")
    async def _poll_loop(self) -> None:
        """One poll at a time, re-armed after it completes (never overlapping)."""
        loop = asyncio.get_running_loop()
        while True:
            self._watch_network()
            snapshot = await self.host.snapshot()
            # the panel's network first: the poll then draws the panel once
            await self._read_network(snapshot)
            self._apply(snapshot)
            if self.polls == 1:  # once its frame is drawn (a frame waits a 60th of a second)
                self.set_timer(AFTER_FRAME, partial(self.call_after_refresh, self._mount_later))
            self._wake.clear()
            # Until the interval elapses or an event wakes us: a timer that sets
            # the event costs less than wait_for's task and timeout every second.
            timer = loop.call_later(self.interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    @work(exclusive=True, group="events")
    async def _event_loop(self) -> None:
        async for event in self.host.events():
            self._wake.set()
            if event.kind is EventKind.DISCONNECTED:
                notify_plain(self, event.message or "connection lost", severity="warning")
            elif event.kind is EventKind.CONNECTED and self.polls:
                notify_plain(self, event.message or "connected")

    def _apply(self, snapshot: Snapshot) -> None:
        if not snapshot.connected and not snapshot.machines and self.snapshot is not None:
            # Keep showing what we last knew while the host is away.
            snapshot = replace(snapshot, machines=self.snapshot.machines)
        self.snapshot = snapshot
        self.polls += 1
        self._record_history(snapshot)
        self._settle_pending(snapshot)
        self._render_snapshot(snapshot)

    def _render_snapshot(self, snapshot: Snapshot) -> None:
        with paint_batch(self):  # the lines that changed, drawn at the end of this step
            self._render_snapshot_lines(snapshot)

    def _render_snapshot_lines(self, snapshot: Snapshot) -> None:
        now = self.host.now()
        cpu_scale = float(snapshot.stats.cpu_count) if self.cpu_per_host else 1.0
        table = self._table
        table.set_cpu_title("CPU%H" if self.cpu_per_host else "CPU%")
        rows = self._row_cache.build(snapshot.machines, snapshot.samples, now, cpu_scale=cpu_scale)
        table.set_rows(self._decorate_rows(rows), snapshot.hosts)
        if snapshot.hosts and not self._fleet:  # a fleet: its key to fold a host, once
            self._fleet = True
            # the palette's list (the app reads the screen's BINDINGS): this screen's own
            object.__setattr__(self, "BINDINGS", [*type(self).BINDINGS, FOLD])
            self._bindings.key_to_bindings.setdefault(FOLD.key, []).append(FOLD)
            self.refresh_bindings()
        self._show_header()
        self._update_status()
        self._update_detail()

    def _rerender(self) -> None:
        if self.snapshot is not None:
            self._render_snapshot(self.snapshot)

    def _record_history(self, snapshot: Snapshot) -> None:
        history = self._history
        for name, sample in snapshot.samples.items():
            points = history.get(name)
            if points is None:
                points = history[name] = deque()
            timestamp = sample.timestamp
            points.append(
                (
                    timestamp,
                    sample.cpu_percent,
                    sample.memory_current,
                    sample.net_rx_bps,
                    sample.net_tx_bps,
                )
            )
            while points and timestamp - points[0][0] > HISTORY_SECONDS:
                points.popleft()
        if snapshot.machines is not self._history_machines:  # the same tuple: none gone
            self._history_machines = snapshot.machines
            for gone in set(history) - {m.name for m in snapshot.machines}:
                del history[gone]

    def _show_header(self) -> None:
        """The host line (it repaints only what changed)."""
        if self.snapshot is not None:
            self._header.show(self.snapshot, self.interval, self._cpu_mode_text())

    def _cpu_mode_text(self) -> str:
        if self.cpu_per_host and self.snapshot is not None:
            return f"% of the whole host ({self.snapshot.stats.cpu_count} CPUs)"
        return "% of one core"

    def _update_status(self) -> None:
        table = self._table
        parts = [f"sort: {table.sort_key}{' (reversed)' if table.sort_reverse else ''}"]
        if table.name_filter:
            parts.append(f"filter: {table.name_filter!r} ({len(table.visible_names)} shown)")
        if table.selected:
            parts.append(f"{len(table.selected)} selected")
        parts.append("? help")
        text = " · ".join(parts)
        if text != self._status_text:  # an update repaints the line and lays out the screen
            self._status_text = text
            self._status_line.update(plain(text))  # quotes the filter the user typed

    def _update_detail(self) -> None:
        panel = self._panel
        if not panel.display or self.snapshot is None:
            return  # hidden panels cost nothing
        host = self._table.cursor_host
        status = next((h for h in self.snapshot.hosts if h.label == host), None)
        if status is not None:
            row = self._table.host_row(status.label)
            panel.show_host(status, *((row.machines, row.machines_running) if row else (0, 0)))
            return
        name = self._table.cursor_name
        machine = next((m for m in self.snapshot.machines if m.name == name), None)
        sample = self.snapshot.samples.get(name) if name else None
        points = self._history.get(name, deque()) if name else deque()
        now = points[-1][0] if points else 0.0
        details = self._details if self._details and name == self._details.machine.name else None
        # 5-second bins: the graphs move once per bin, not every second, and the
        # bins are computed once per bin too (samples inside the open bin do not count)
        key = (name, math.floor(now / BIN_SECONDS), bool(points))
        if self._bins_key != key:
            self._bins_key = key
            self._bins = series_bins(points, now, 4, bin_seconds=BIN_SECONDS, count=HISTORY_BINS)
        network = self._network[1] if self._network and self._network[0] == name else None
        panel.show(
            machine,
            sample,
            details,
            self._bins[0],
            self._bins[1],
            self.host.now(),
            HISTORY_SECONDS,
            oom_new=self._row_cache.oom_since_start(name) if name else None,
            network=network,
            net_histories=(self._bins[2], self._bins[3]),
        )

    def _watch_network(self) -> None:
        """Tell the host whose network figures are on screen (it reads namespaces for those)."""
        table = self._table
        names = table.on_screen_names
        cursor = table.cursor_name
        if cursor is not None and cursor not in names:
            names += (cursor,)
        if names != self._watched:
            self._watched = names
            self.host.watch_network(names)

    async def _read_network(self, snapshot: Snapshot) -> None:
        """The network of the machine in the detail panel (in the poll: never overlapping).

        Read before ``snapshot`` is drawn, so the panel is drawn once per poll.
        """
        name = self._table.cursor_name
        if not self._panel.display or name is None:
            return
        if name not in snapshot.samples:  # not running
            self._network = None
            return
        try:
            info = await self.host.network(name)
        except HostError as exc:
            info = NetworkInfo(UNAVAILABLE, reason=str(exc))
        if self._table.cursor_name == name:
            self._network = (name, info)

    @on(MachineTable.Highlighted)
    def _highlighted(self, event: MachineTable.Highlighted) -> None:
        self._details = None
        self._update_detail()
        if event.name is not None:
            self._load_details(event.name)

    @work(exclusive=True, group="details")
    async def _load_details(self, name: str) -> None:
        try:
            details = await self.host.machine_details(name)
        except HostError as exc:
            notify_plain(self, str(exc), severity="warning")
            return
        if self._table.cursor_name == name:  # (held: a query fails during shutdown)
            self._details = details
            self._update_detail()

    # ------------------------------------------------------------- actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fold_host":
            return self._fleet
        if self.read_only_refusal(action) is not None:
            return None  # shown disabled; on_key says why when it is pressed
        return True

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        # At once, not deferred like focus(): keys typed right after "/" (one
        # burst over SSH) must reach the filter, not the action bindings.
        self.set_focus(box)

    def on_key(self, event: events.Key) -> None:
        """A key of an action refused on a read-only host says why."""
        if self.focused is not self.query_one("#filter", Input) and self._refuse_key(event.key):
            event.stop()
            event.prevent_default()

    def _refuse_key(self, key: str) -> bool:
        """A key of a disabled action (read-only host): say so at once, before any dialog.

        Textual runs no action whose ``check_action`` is None, silently: the
        refusal is said here instead.
        """
        bound = self.active_bindings.get(key)
        if bound is None or bound.node is not self or bound.enabled:
            return False
        return self.refuse_read_only(bound.binding.action)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # the box's value now: a change arriving after Enter applied a later one is stale
        self._apply_filter(self.query_one("#filter", Input).value)

    def _apply_filter(self, text: str) -> None:
        """At once on Enter, not when Input.Changed arrives: the keys after act on these rows."""
        table = self.query_one(MachineTable)
        if table.name_filter != text:
            table.set_filter(text)
            self._update_status()

    def _filter_entered(self, text: str) -> None:
        """Enter in the filter: keep it (shown while not empty), back to the table at once."""
        self._apply_filter(text)
        self.query_one("#filter", Input).display = bool(text)
        self.set_focus(self.query_one(MachineTable))

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus or box.display:
            box.value = ""
            box.display = False
            self.set_focus(self.query_one(MachineTable))  # at once: the keys after go there

    def action_sort_next(self) -> None:
        table = self.query_one(MachineTable)
        index = (COLUMN_KEYS.index(table.sort_key) + 1) % len(COLUMN_KEYS)
        table.sort_by(COLUMN_KEYS[index], reverse=COLUMN_KEYS[index] in {"cpu", "memory", "tasks"})
        self._update_status()

    def action_sort_reverse(self) -> None:
        table = self.query_one(MachineTable)
        table.sort_by(table.sort_key, reverse=not table.sort_reverse)
        self._update_status()

    def action_cpu_mode(self) -> None:
        self.cpu_per_host = not self.cpu_per_host
        notify_plain(self, f"CPU% now means {self._cpu_mode_text()}")
        if self.snapshot is not None:
            self._render_snapshot(self.snapshot)

    def _step_interval(self, direction: int) -> None:
        steps = INTERVAL_STEPS
        current = min(range(len(steps)), key=lambda i: abs(steps[i] - self.interval))
        index = max(0, min(len(steps) - 1, current + direction))
        self.interval = steps[index]
        notify_plain(self, f"Refresh every {self.interval:g}s")
        self._show_header()
        self._wake.set()

    def action_faster(self) -> None:
        self._step_interval(-1)

    def action_slower(self) -> None:
        self._step_interval(1)

    def action_toggle_detail(self) -> None:
        panel = self.query_one(DetailPanel)
        panel.display = not panel.display
        self._update_detail()

    def action_logs(self) -> None:
        names = self.query_one(MachineTable).targets()
        if names:
            self.app.push_screen(logs_screen(self.host, names, self.scrollback))

    def action_select(self) -> None:
        self.query_one(MachineTable).toggle_selected()
        self._update_status()

    def action_fold_host(self) -> None:
        if not self._table.fold_at_cursor():
            notify_plain(self, "Machines are under their hosts when sorted by name (o)")

    def refuse_host_row(self, action: str) -> bool:
        """An action for machines with the cursor on a host's row: say why (a toast)."""
        refusal = host_row_refusal(self._table.cursor_host, bool(self._table.selected), action)
        if refusal is not None:
            notify_plain(self, refusal, severity="warning")
        return refusal is not None

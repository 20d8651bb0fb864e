"""The processes of one machine (``P``): its cgroup tree, sorting, a filter, signals.

Refreshed at the dashboard's rate by one worker that re-arms itself after
each read (reads never overlap; the Host reads in a thread).  ``k`` sends a
signal to the process under the cursor after a picker and a confirmation;
on a read-only host it is refused at once (the key is shown disabled).  A
machine that stops, or a process that ends, is said on screen.
"""

from __future__ import annotations

import asyncio
import datetime

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from nspawn_tui.host.base import Host, HostError, NoSuchMachine
from nspawn_tui.host.processes import ProcessTable
from nspawn_tui.screens.confirm import asks
from nspawn_tui.screens.signal_picker import SignalConfirm, SignalPicker
from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.units.names import signal_name
from nspawn_tui.widgets.filter_input import FilterInput
from nspawn_tui.widgets.process_table import ProcessTableView, ProcRow, SortKey, build_rows
from nspawn_tui.widgets.safe_text import notify_plain, plain

MIN_INTERVAL = 0.25
SORT_NAMES: dict[SortKey, str] = {"tree": "cgroup tree", "cpu": "CPU", "memory": "memory"}


class ProcessesScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="processes.close"),
        Binding(
            "slash",
            "filter",
            "Filter",
            tooltip="command, user, PID or cgroup",
            id="processes.filter",
        ),
        Binding("c", "sort('cpu')", "By CPU", tooltip="the busiest first", id="processes.by_cpu"),
        Binding(
            "m",
            "sort('memory')",
            "By memory",
            tooltip="the largest RSS first",
            id="processes.by_memory",
        ),
        Binding(
            "t",
            "sort('tree')",
            "Tree",
            tooltip="by cgroup, as machinectl status",
            id="processes.tree",
        ),
        Binding(
            "K",
            "signal",
            "Signal",
            tooltip="send a signal to the process (asks)",
            id="processes.signal",
        ),
    ]
    DEFAULT_CSS = """
    ProcessesScreen { layout: vertical; }
    ProcessesScreen #proc-title { height: 1; padding: 0 1; background: $panel; }
    ProcessesScreen #proc-detail { height: 2; padding: 0 1; border-top: solid $primary;
        text-wrap: nowrap; text-overflow: ellipsis; }
    ProcessesScreen #proc-status { height: 1; padding: 0 1; color: $text-muted; }
    ProcessesScreen #proc-status.-error { color: $text-error; text-style: bold; }
    ProcessesScreen #proc-filter { dock: bottom; margin-bottom: 1; }
    """

    def __init__(
        self,
        host: Host,
        name: str,
        interval: float = 1.0,
        *,
        tz: datetime.tzinfo | None = None,
    ) -> None:
        super().__init__()
        use_span_compositor(self)
        self.host = host
        self.machine = name
        self.interval = max(MIN_INTERVAL, interval)
        #: the time zone of the STARTED column (None: local time)
        self.tz = tz
        self.sort: SortKey = "tree"
        self.needle = ""
        self.table: ProcessTable | None = None
        self.error = ""
        self.reads = 0
        self._wake = asyncio.Event()
        self._status_text = ""
        self._detail = ""

    def compose(self) -> ComposeResult:
        yield Static(plain(f"Processes of {self.machine}"), id="proc-title")
        yield ProcessTableView(id="processes")
        yield Static("", id="proc-detail")
        yield Static("", id="proc-status")
        yield FilterInput(
            self._filter_entered,
            placeholder="filter (Enter keeps, Escape clears)",
            id="proc-filter",
        )
        yield Footer(show_command_palette=False)  # ctrl+p is in the help (?)

    def on_mount(self) -> None:
        self.query_one("#proc-filter", Input).display = False
        self.query_one(ProcessTableView).focus()
        self._poll_loop()

    # ------------------------------------------------------------- polling

    @work(exclusive=True, group="processes-poll")
    async def _poll_loop(self) -> None:
        """One read at a time, re-armed after it is shown (never overlapping)."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                table = await self.host.processes(self.machine)
            except NoSuchMachine:
                if self._gone():
                    return
                self._show_error(f"{self.machine} is not running any more")
            except HostError as exc:
                if self._gone():
                    return
                self._show_error(str(exc))
            else:
                if self._gone():
                    return
                self._apply(table)
            self.reads += 1
            self._wake.clear()
            timer = loop.call_later(self.interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    def _gone(self) -> bool:
        """Closed while the host answered: popped first, then its widgets go one by one."""
        if not self.is_mounted or self not in self.app.screen_stack:
            return True
        return not all(
            self.query(selector)
            for selector in (ProcessTableView, "#proc-title", "#proc-status", "#proc-detail")
        )

    def _apply(self, table: ProcessTable) -> None:
        self.table = table
        if table.error:
            self._show_error(table.error)
            return
        self.error = ""
        self._title(table)
        self._render_rows()

    def _title(self, table: ProcessTable) -> None:
        count = sum(len(g.processes) for g in table.groups)
        cgroup = f" · {table.cgroup}" if table.cgroup else ""
        self.query_one("#proc-title", Static).update(
            plain(f"Processes of {self.machine} · {count} processes{cgroup}")
        )

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one(ProcessTableView).set_rows([])
        self._update_status()

    def _render_rows(self) -> None:
        if self.table is None or self.error:
            return
        view = self.query_one(ProcessTableView)
        followed = view.cursor_item()
        rows = build_rows(self.table, self.sort, self.needle, now=self.host.now(), tz=self.tz)
        view.set_rows(rows)
        if followed is not None and followed.pid is not None:
            if not any(p.pid == followed.pid for p in self.table.processes()):
                notify_plain(
                    self,
                    f"process {followed.pid} ({followed.command}) has ended",
                    title=f"Processes of {self.machine}",
                )
        self._update_status()

    def _update_status(self) -> None:
        status = self.query_one("#proc-status", Static)
        if self.error:
            text = self.error
        else:
            view = self.query_one(ProcessTableView)
            shown = sum(1 for row in view.shown_rows if row.pid is not None)
            parts = [f"sort: {SORT_NAMES[self.sort]}"]
            if self.needle:
                parts.append(f"filter: {self.needle!r} ({shown} shown)")
            parts.append(f"every {self.interval:g}s")
            text = " · ".join(parts)
        status.set_class(bool(self.error), "-error")
        if text != self._status_text:
            self._status_text = text
            status.update(plain(text))  # quotes the filter and texts of the container
        detail = self._detail_text()
        if detail != self._detail:
            self._detail = detail
            self.query_one("#proc-detail", Static).update(plain(detail))

    def _detail_text(self) -> str:
        """The process under the cursor: where it is and its whole command line."""
        row = None if self.error else self.query_one(ProcessTableView).cursor_item()
        if row is None:
            return ""
        if row.pid is None:
            top = self.table.cgroup if self.table is not None and self.table.cgroup else ""
            return f"cgroup {top.rstrip('/')}{'' if row.group == '/' else row.group}" or "/"
        return f"{row.pid} in {row.group}: {row.command}"

    @on(ProcessTableView.RowHighlighted)
    def _highlighted(self, event: ProcessTableView.RowHighlighted) -> None:
        self._update_status()

    # ------------------------------------------------------------- keys

    def action_sort(self, key: str) -> None:
        for option in SORT_NAMES:
            if option == key:
                self.sort = option
                self._render_rows()

    def action_close(self) -> None:
        box = self.query_one("#proc-filter", Input)
        if box.has_focus or box.display:
            box.value = ""
            box.display = False
            self.set_focus(self.query_one(ProcessTableView))  # at once: the keys after go there
            return
        self.dismiss(None)

    def action_filter(self) -> None:
        box = self.query_one("#proc-filter", Input)
        box.display = True
        self.set_focus(box)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "signal" and self.host.refusal("signal_process") is not None:
            return None  # shown disabled; on_key says why when it is pressed
        return True

    def on_key(self, event: events.Key) -> None:
        """As on the dashboard: the key of a refused action says why."""
        if self.focused is not self.query_one("#proc-filter", Input) and self._refuse_key(
            event.key
        ):
            event.stop()
            event.prevent_default()

    def _refuse_key(self, key: str) -> bool:
        bound = self.active_bindings.get(key)
        if bound is None or bound.node is not self or bound.enabled:
            return False
        if bound.binding.action != "signal":
            return False
        refused = self.host.refusal("signal_process")
        if refused is None:
            return False
        notify_plain(self, refused, title="Read-only", severity="warning")
        return True

    @on(Input.Changed, "#proc-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        # the box's value now: a change arriving after Enter applied a later one is stale
        needle = self.query_one("#proc-filter", Input).value
        if needle != self.needle:
            self.needle = needle
            self._render_rows()

    def _filter_entered(self, text: str) -> None:
        """Enter in the filter: applied and kept, back to the table at once (FilterInput)."""
        if text != self.needle:
            self.needle = text
            self._render_rows()
        self.query_one("#proc-filter", Input).display = bool(text)
        self.set_focus(self.query_one(ProcessTableView))

    # ------------------------------------------------------------- signals

    def action_signal(self) -> None:
        refused = self.host.refusal("signal_process")
        if refused is not None:  # also when called without the key (check_action)
            notify_plain(self, refused, title="Read-only", severity="warning")
            return
        row = self.query_one(ProcessTableView).cursor_item()
        if row is None or row.pid is None:
            notify_plain(self, "put the cursor on a process first", title="Signal")
            return
        self._send_signal(row)

    @work(exclusive=True, group="signal")
    async def _send_signal(self, row: ProcRow) -> None:
        assert row.pid is not None
        ns_pid = row.cells[1]
        what = f"process {row.pid} ({ns_pid} inside) of {self.machine}"
        number: int | None = await self.app.push_screen_wait(SignalPicker(what))
        if number is None:
            return
        name = signal_name(number)
        command = f"kill -s {name} {row.pid}"
        described = f"{self.machine}: PID {row.pid} ({ns_pid} inside): {row.command}"
        if asks(self.app, "signal") and not await self.app.push_screen_wait(
            SignalConfirm(f"Send SIG{name}", [described], command)
        ):
            return
        try:
            await self.host.signal_process(self.machine, row.pid, number)
        except HostError as exc:
            notify_plain(self, str(exc), title="Signal not sent", severity="error", timeout=12)
            return
        notify_plain(self, f"$ {command}", title=f"SIG{name} sent to {row.pid}")
        self._wake.set()

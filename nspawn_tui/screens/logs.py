"""LogsScreen: the journal of one machine, or several merged, with filters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from datetime import tzinfo
from typing import Literal

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from nspawn_tui.journal.export import default_export_path
from nspawn_tui.journal.sources import (
    PRIORITY_NAMES,
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceStatus,
)
from nspawn_tui.journal.store import (
    DEFAULT_SCROLLBACK,
    LogFilter,
    LogStore,
    SearchError,
    SearchTooSlow,
    compile_search,
)
from nspawn_tui.safe import clean
from nspawn_tui.screens.export_prompt import ExportDone, ExportPrompt
from nspawn_tui.screens.record import RecordFetcher, RecordScreen
from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.widgets.filter_input import FilterInput
from nspawn_tui.widgets.log_view import LogView
from nspawn_tui.widgets.safe_text import notify_plain, plain

#: Given the options, the merged events of the machines' journals.
SourceFactory = Callable[[LogOptions], AsyncIterator[LogEvent]]

#: ``p`` cycles through: all, info, notice, warning, err, crit, alert, emerg.
PRIORITY_CYCLE: tuple[int | None, ...] = (None, 6, 5, 4, 3, 2, 1, 0)
#: ``b`` cycles through: every boot, this boot, the previous boot.
BOOT_CYCLE: tuple[int | None, ...] = (None, 0, -1)
BOOT_NAMES = {None: "all boots", 0: "this boot", -1: "previous boot"}

PromptMode = Literal["search", "unit"]


class LogsScreen(Screen[None]):
    """Merged journals of ``names``, fed by ``source_factory``."""

    BINDINGS = [
        Binding("p", "cycle_priority(1)", "Priority", id="logs.priority"),
        Binding("P", "cycle_priority(-1)", "Priority back", show=False, id="logs.priority_back"),
        Binding("slash", "prompt('search')", "Search", id="logs.search"),
        Binding("n", "next_match", "Next", id="logs.next"),
        Binding("N", "prev_match", "Prev", id="logs.prev"),
        Binding("u", "prompt('unit')", "Unit", id="logs.unit"),
        Binding("b", "cycle_boot", "Boot", id="logs.boot"),
        Binding("w", "export", "Export", id="logs.export"),
        Binding("escape,q", "back", "Back", id="logs.back"),
    ]

    DEFAULT_CSS = """
    LogsScreen > LogView { height: 1fr; }
    LogsScreen > #log-status { height: 1; background: $panel; color: $foreground; }
    LogsScreen > #log-prompt { display: none; }
    LogsScreen > #log-prompt.-shown { display: block; }
    LogsScreen > #log-prompt-error { display: none; height: auto; color: $error; }
    LogsScreen > #log-prompt-error.-shown { display: block; }
    """

    def __init__(
        self,
        source_factory: SourceFactory,
        names: Sequence[str],
        *,
        options: LogOptions | None = None,
        scrollback: int = DEFAULT_SCROLLBACK,
        fetch_record: RecordFetcher | None = None,
        tz: tzinfo | None = None,
        flush_interval: float = 0.075,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        use_span_compositor(self)
        self.source_factory = source_factory
        self.names = list(names)
        self.options = options or LogOptions()
        self.fetch_record = fetch_record
        self.tz = tz
        self.flush_interval = flush_interval
        self.log_view = LogView(LogStore(scrollback), tz=tz, id="log-view")
        # held, not queried: the flush timer may still run while the app ends (parts gone)
        self._status_line = Static("", id="log-status", markup=False)
        self.statuses: dict[str, SourceStatus] = {}
        self.broken = 0
        self.search_text = ""
        self.message = ""  # last error or notice shown in the status line
        self._pending: list[LogRecord] = []
        self._generation = 0
        self._prompt_mode: PromptMode | None = None
        self._refused: str | None = None  # the prompt's text last refused (its error shown)
        self._status_text = ""

    def compose(self) -> ComposeResult:
        yield self.log_view
        yield self._status_line
        yield FilterInput(self._submit_prompt, id="log-prompt")
        yield Static("", id="log-prompt-error")

    def on_mount(self) -> None:
        self.set_interval(self.flush_interval, self.flush)
        self.log_view.focus()
        self.restart()

    # ------------------------------------------------------------ sources

    def restart(self) -> None:
        """(Re)start reading with the current options; clears the view."""
        self._generation += 1
        self._pending.clear()
        self.statuses.clear()
        self.broken = 0
        self.log_view.clear()
        self.log_view.set_filter(
            LogFilter(max_priority=self.options.priority, unit=self.options.unit or None)
        )
        self._consume(self.options, self._generation)
        self.update_status()

    @work(exclusive=True, group="journal-sources")
    async def _consume(self, options: LogOptions, generation: int) -> None:
        events = self.source_factory(options)
        try:
            async for event in events:
                if generation != self._generation:
                    break
                if isinstance(event, LogBatch):
                    self._pending.extend(event.records)
                    self.broken += event.broken
                else:
                    self.statuses[event.machine] = event
        finally:
            aclose = getattr(events, "aclose", None)
            if aclose is not None:
                await aclose()

    def flush(self) -> None:
        """Hand what arrived since the last flush to the view (called on a timer)."""
        if self._pending:
            pending, self._pending = self._pending, []
            self.log_view.add_records(pending)
        self.update_status()

    # ------------------------------------------------------------- status

    def status_text(self) -> str:
        opts = self.options
        parts = [", ".join(self.names) or "no machines"]
        parts.append("FOLLOW" if self.log_view.follow else "PAUSED (End/F: follow)")
        prio = "all" if opts.priority is None else f"≤{PRIORITY_NAMES[opts.priority]}"
        parts.append(f"prio {prio}")
        if opts.unit:
            parts.append(f"unit {opts.unit}")
        if opts.boot is not None:
            parts.append(BOOT_NAMES.get(opts.boot, f"boot {opts.boot}"))
        if self.search_text:
            parts.append(f"/{self.search_text}")
        store = self.log_view.store
        parts.append(f"{len(store):,} lines")
        if self.broken:
            parts.append(f"{self.broken} broken")
        for machine, status in sorted(self.statuses.items()):
            if status.state != "joined":
                parts.append(f"{machine}: {status.state} {status.message}".rstrip())
        if self.message:
            parts.append(self.message)
        return " │ ".join(parts)

    def update_status(self) -> None:
        text = self.status_text()
        if text != self._status_text:
            self._status_text = text
            self._status_line.update(plain(text))

    def on_log_view_follow_changed(self, event: LogView.FollowChanged) -> None:
        self.update_status()

    def on_log_view_record_selected(self, event: LogView.RecordSelected) -> None:
        self.app.push_screen(RecordScreen(event.record, self.fetch_record, tz=self.tz))

    # ------------------------------------------------------------ filters

    def action_cycle_priority(self, step: int) -> None:
        at = (
            PRIORITY_CYCLE.index(self.options.priority)
            if self.options.priority in PRIORITY_CYCLE
            else 0
        )
        self.options = replace(
            self.options, priority=PRIORITY_CYCLE[(at + step) % len(PRIORITY_CYCLE)]
        )
        self.restart()

    def action_cycle_boot(self) -> None:
        at = BOOT_CYCLE.index(self.options.boot) if self.options.boot in BOOT_CYCLE else 0
        self.options = replace(self.options, boot=BOOT_CYCLE[(at + 1) % len(BOOT_CYCLE)])
        self.restart()

    def action_next_match(self) -> None:
        self._jump(self.log_view.jump_next)

    def action_prev_match(self) -> None:
        self._jump(self.log_view.jump_prev)

    def _jump(self, jump: Callable[[], bool]) -> None:
        if not self.search_text:
            self.message = "no search: press /"
        else:
            try:
                found = jump()
            except SearchTooSlow as error:  # lines that came since made it too slow
                self._drop_search(str(error))
                return
            self.message = "" if found else f"no match for {self.search_text}"
        self.update_status()

    def _drop_search(self, reason: str) -> None:
        """The search took too long: no search any more, and why (status and toast)."""
        self.search_text = ""
        self.log_view.set_search(None)
        self.message = reason
        notify_plain(self, reason, severity="warning")
        self.update_status()

    def on_log_view_search_dropped(self, event: LogView.SearchDropped) -> None:
        self._drop_search(event.reason)

    def set_search(self, text: str) -> bool:
        """Search for ``text`` (``re:`` for a regular expression; empty clears).

        False, with the search unchanged, when ``text`` is a bad expression or
        too slow on the lines shown (:class:`SearchTooSlow`).
        """
        if not text:
            self.search_text = ""
            self.log_view.set_search(None)
            self.message = ""
            self.update_status()
            return True
        try:
            pattern = compile_search(text)
        except SearchError as error:
            # said under the prompt (which stays open) and in the status line
            self.message = str(error)
            self.update_status()
            return False
        kept = self.log_view.store.search, self.search_text
        self.search_text = text
        self.log_view.set_search(pattern)
        try:
            found = self.log_view.jump_prev()
        except SearchTooSlow as error:
            self.log_view.set_search(kept[0])
            self.search_text = kept[1]
            self.message = str(error)
            self.update_status()
            return False
        self.message = "" if found else f"no match for {text}"
        self.update_status()
        return True

    # ------------------------------------------------------------- prompt

    def action_prompt(self, mode: PromptMode) -> None:
        prompt = self.query_one("#log-prompt", Input)
        self._prompt_mode = mode
        if mode == "search":
            prompt.placeholder = "search text, or re:REGEX (empty clears)"
            prompt.value = self.search_text
        elif mode == "unit":
            units = clean(", ".join(self.log_view.store.units()[:8]))  # the containers' names
            prompt.placeholder = (
                f"unit, empty for all ({units})" if units else "unit, empty for all"
            )
            prompt.value = self.options.unit or ""
        self._prompt_error("")
        self._refused = None
        prompt.add_class("-shown")
        self.set_focus(prompt)  # at once: the keys typed right after go there

    def _prompt_error(self, text: str) -> None:
        """The line under the prompt: why what was typed is refused (empty hides it)."""
        line = self.query_one("#log-prompt-error", Static)
        if text or line.has_class("-shown"):  # each keystroke clears it: only if it is shown
            line.update(plain(text))
            line.set_class(bool(text), "-shown")

    def _close_prompt(self) -> None:
        prompt = self.query_one("#log-prompt", Input)
        prompt.remove_class("-shown")
        self._prompt_error("")
        self._prompt_mode = None
        self._refused = None
        self.set_focus(self.log_view)

    def on_input_changed(self, event: Input.Changed) -> None:
        """An edit clears the error line; not the changes of the keys typed before the
        Enter that was refused (in one burst, Enter is handled before them)."""
        event.stop()
        prompt = self.query_one("#log-prompt", Input)
        if self._prompt_mode is not None and prompt.value != self._refused:
            self._prompt_error("")

    def _submit_prompt(self, text: str) -> None:
        """Enter in the prompt: search, or read another unit (the focus moves at once)."""
        mode, value = self._prompt_mode, text.strip()
        if mode == "search":
            if not self.set_search(value):
                # the search stays as it was; the prompt stays open to fix the expression
                kept = f" (Escape keeps /{self.search_text})" if self.search_text else ""
                self._prompt_error(self.message + kept)
                self._refused = text
                return
        elif mode == "unit":
            self.options = replace(self.options, unit=value or None)
            self.restart()
        self._close_prompt()

    def action_export(self) -> None:
        """Ask for a file and write the visible lines to it (cleaned, or raw on request)."""
        records = self.log_view.store.visible  # a snapshot, records made as they are written
        self.app.push_screen(
            ExportPrompt(records, default_export_path(self.names), self.tz), self._exported
        )

    def _exported(self, done: ExportDone | None) -> None:
        if done is None:
            return
        raw = " (raw)" if done.raw else ""
        self.message = f"wrote {done.lines:,} lines to {done.target}{raw}"
        notify_plain(self, self.message)
        self.update_status()

    def action_back(self) -> None:
        if self._prompt_mode is not None:
            self._close_prompt()
            return
        self.dismiss(None)

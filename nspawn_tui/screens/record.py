"""RecordScreen: every field of one journal record, in a modal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import tzinfo

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from nspawn_tui.host.base import HostError
from nspawn_tui.journal.sources import PRIORITY_NAMES, LogRecord, format_time
from nspawn_tui.safe import clean, clean_lines
from nspawn_tui.screens.modal import Modal
from nspawn_tui.widgets.safe_text import plain

#: Given a record, returns all of its journal fields (e.g. journalctl --cursor);
#: raises :class:`~nspawn_tui.host.base.HostError` when it cannot (``Host.log_record``).
RecordFetcher = Callable[[LogRecord], Awaitable[Mapping[str, str]]]


def fields_table(fields: Mapping[str, str], tz: tzinfo | None = None) -> Table:
    """Fields as a two-column table, MESSAGE last, times and priorities explained."""
    table = Table.grid(padding=(0, 2))
    # a field name is outside text too, and may be 10,000 characters: folded at 32 cells
    table.add_column(style="bold", max_width=32, overflow="fold")
    table.add_column(overflow="fold")
    for key in sorted(fields, key=lambda k: (k == "MESSAGE", k.lstrip("_"))):
        value = fields[key]
        shown = Text(clean_lines(value))
        if key in ("__REALTIME_TIMESTAMP", "_SOURCE_REALTIME_TIMESTAMP") and value.isdigit():
            shown.append(f"  ({format_time(int(value), tz, date=True)})", style="dim")
        elif key == "PRIORITY" and value.isdigit() and int(value) < len(PRIORITY_NAMES):
            shown.append(f"  ({PRIORITY_NAMES[int(value)]})", style="dim")
        table.add_row(Text(clean(key)), shown)
    return table


class RecordScreen(Modal[None]):
    """All fields of a record; fetched in full when a fetcher is given."""

    BINDINGS = [
        Binding("escape,q,enter", "close", "Close", id="record.close"),
    ]

    DEFAULT_CSS = """
    RecordScreen {
        align: center middle;
    }
    RecordScreen > #record-box {
        width: 90%;
        height: 85%;
        border: round $primary;
        background: $surface;
        padding: 0 1;
    }
    RecordScreen #record-note {
        color: $foreground-muted;
        height: auto;
    }
    """

    def __init__(
        self,
        record: LogRecord,
        fetch: RecordFetcher | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> None:
        super().__init__()
        self.record = record
        self.fetch = fetch
        self.tz = tz
        self.fields: Mapping[str, str] = record.fields()

    def compose(self) -> ComposeResult:
        with Vertical(id="record-box") as box:
            box.border_title = plain(f"{self.record.machine}: journal record")
            yield Static(
                "loading every field…" if self.fetch else "fields shown by the log view",
                id="record-note",
            )
            with VerticalScroll(id="record-scroll"):
                yield Static(fields_table(self.fields, self.tz), id="record-fields")

    def on_mount(self) -> None:
        if self.fetch is not None and self.record.cursor:
            self._load()
        elif self.fetch is not None:
            self.query_one("#record-note", Static).update(
                "no cursor: only the fields shown by the log view"
            )

    @work(exclusive=True, group="record")
    async def _load(self) -> None:
        assert self.fetch is not None
        note = self.query_one("#record-note", Static)
        table = self.query_one("#record-fields", Static)  # before the wait: closing prunes them
        try:
            fields = await self.fetch(self.record)
        except HostError as error:
            note.update(
                plain(f"could not fetch the full record ({error}); showing the fields we have")
            )
            return
        self.fields = dict(fields)
        note.update(plain(f"{len(fields)} fields"))
        table.update(fields_table(self.fields, self.tz))

    def action_close(self) -> None:
        self.dismiss(None)

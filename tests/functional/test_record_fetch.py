"""The record view fetches every field through the Host, and shows a Host's failure in words.

``Host.log_record`` raises :class:`HostError` only (the backend's own
exception types stay in the backend), so that is all the record view catches.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import HostError
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.journal.sources import JournalError, LogRecord
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.record import RecordScreen

FAILURE = "journalctl -M web: record not found: no such cursor"


class BrokenJournalHost(DemoHost):
    """The demo host, but the full record of a line cannot be read."""

    async def log_record(self, record: LogRecord) -> dict[str, str]:
        raise HostError(FAILURE)


def note(app: NspawnApp) -> str:
    return str(app.screen.query_one("#record-note", Static).render())


async def record_note(host: DemoHost) -> str:
    """``nspawn-tui logs web`` on ``host``, Enter on a line: the record view's note once fetched."""
    app = NspawnApp(host, logs=["web"])
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            screen = app.screen
            if isinstance(screen, LogsScreen) and len(screen.log_view.store) > 0:
                break
            await pilot.pause(0.05)
        await pilot.press("home", "enter")
        assert isinstance(app.screen, RecordScreen)
        assert app.screen.record.cursor  # so the host is asked
        for _ in range(100):
            if "loading" not in note(app):
                break
            await pilot.pause(0.05)
        shown = note(app)
        await pilot.press("escape")
        assert isinstance(app.screen, LogsScreen)
    return shown


async def test_a_failing_log_record_is_shown_in_the_record_view() -> None:
    shown = await record_note(BrokenJournalHost(seed=1, frozen=True))
    assert shown == f"could not fetch the full record ({FAILURE}); showing the fields we have"


async def test_control_a_working_log_record_shows_every_field() -> None:
    shown = await record_note(DemoHost(seed=1, frozen=True))
    assert shown.endswith(" fields") and "could not" not in shown


async def test_machined_log_record_raises_host_error_not_journal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No journalctl to run: the journal layer's JournalError leaves the Host as HostError."""
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: journalctl is not found
    host = MachinedHost("unix:path=/nonexistent")  # log_record needs no bus
    record = LogRecord("web", None, None, "", "", "", "x", "", "s=1;i=2", 0)
    with pytest.raises(HostError, match="cannot run journalctl") as raised:
        await host.log_record(record)
    assert not isinstance(raised.value, JournalError)

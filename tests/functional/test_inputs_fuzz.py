"""Hostile text typed and pasted into every Input: the app survives and still answers.

Every text field of the UI (the dashboard's name filter, the log view's
search and unit prompts, the export path, the eight limits fields, the shell
user and command, the .nspawn settings editor) gets :data:`HOSTILE_TEXT`.
A case is one text typed (short printable texts key by key, others pasted)
into one field, replacing what was there; after each case the app must still
be running, every widget of the screen must have handled what was sent, the
screen must repaint without error, and what the field (and what the screen
derives from it: the filtered table, the inline messages) shows is checked
against what was typed.  Each example types several texts into one field and
submits the last one (Enter; ctrl+s in the editor), whose outcome is checked
too: a search or a filter applied, a bad expression refused inline, a file
written or refused with a message, a request returned or refused inline.
(Submitting every text would cost five times as long: each submit moves the
focus, and a focus change restyles the screen.)

Each field has one app for all its cases (see fuzz_kit.py); an app that died
is started again for the next example (the one that killed it has failed),
so Hypothesis can still shrink.  The number of cases is printed at the end
of the run (conftest.py); ``NSPAWN_TUI_FUZZ_SCALE=0.1`` runs a tenth of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from fuzz_kit import (
    HOSTILE_TEXT,
    LOG_NAMES,
    RECORDS,
    DialogApp,
    Driver,
    FuzzCount,
    driver_fixture,
    reopen,
    static_source,
    typed,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual import events
from textual.app import App
from textual.widgets import Checkbox, Input, Static, TextArea

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.journal.sources import LogOptions
from nspawn_tui.journal.store import SearchError, compile_search
from nspawn_tui.nspawn.settings import SettingsFile
from nspawn_tui.safe import clean, is_clean
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.export_prompt import ExportDone, ExportPrompt
from nspawn_tui.screens.limits_editor import LimitsEditor, LimitsRequest, input_id, message_id
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt, ShellRequest, user_name_problem
from nspawn_tui.units.limits import LIMIT_FIELDS, LimitError, parse_limit
from nspawn_tui.widgets.machine_table import MachineTable

#: a warning is a failure: Python prints it on stderr, the terminal the UI draws on
pytestmark = pytest.mark.filterwarnings("error")

#: ``NSPAWN_TUI_FUZZ_SCALE`` scales every field's number of cases (1: at least 10,000 in all).
SCALE = float(os.environ.get("NSPAWN_TUI_FUZZ_SCALE", "1"))
#: Per field: cases (texts typed), and texts per example (the last one submitted).
PLAN = {
    "dashboard filter": (960, 8),
    "log search": (3200, 5),
    "log unit": (900, 4),
    "export path": (1000, 4),
    "limits fields": (600, 5),
    "shell user/command": (1400, 4),
    "settings editor": (2000, 5),
}
MIN_TOTAL = 10_000
assert sum(cases for cases, _ in PLAN.values()) >= MIN_TOTAL


def fuzz(field: str) -> tuple[settings, st.SearchStrategy[list[str]]]:
    """Hypothesis settings for ``field``, and its examples: lists of hostile texts."""
    cases, per_example = PLAN[field]
    examples = max(1, -(-round(cases * SCALE) // per_example))
    return (
        settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
        st.lists(HOSTILE_TEXT, min_size=per_example, max_size=per_example),
    )


# ------------------------------------------------------- dashboard filter


@pytest.fixture(scope="module")
def dashboard() -> Iterator[Driver]:
    yield from driver_fixture(
        lambda: NspawnApp(DemoHost(seed=1, frozen=True), interval=10.0), size=(80, 16)
    )


def dashboard_screen(driver: Driver) -> DashboardScreen:
    for _ in range(100):
        screen = driver.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            return screen
        driver.sleep(0.02)
    raise AssertionError("the dashboard never polled")


_settings, _texts = fuzz("dashboard filter")


@_settings
@given(texts=_texts)
def test_fuzz_dashboard_filter(dashboard: Driver, fuzz_count: FuzzCount, texts: list[str]) -> None:
    dashboard.revive()
    screen = dashboard_screen(dashboard)
    assert screen.snapshot is not None
    table = screen.query_one(MachineTable)
    box = screen.query_one("#filter", Input)
    status = screen.query_one("#status-line", Static)
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        dashboard.type_text(box, text, submit=last, before=None if i else screen.action_filter)
        fuzz_count.typed["dashboard filter"] += 1
        dashboard.check()
        assert box.value == clean(typed(text))
        assert table.name_filter == box.value
        needle = box.value.lower()
        shown = {m.name for m in screen.snapshot.machines if needle in m.name.lower()}
        assert set(table.visible_names) == shown
        if box.value:  # the status line quotes the filter: drawn, not parsed as markup
            assert f"({len(shown)} shown)" in str(status.render())
    fuzz_count.submitted["dashboard filter"] += 1
    assert screen.focused is table and box.display == bool(box.value)


# ------------------------------------------------------------ logs screen


class LogsApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(
            LogsScreen(static_source, LOG_NAMES, options=LogOptions(follow=False), tz=UTC)
        )


@pytest.fixture(scope="module")
def logs() -> Iterator[Driver]:
    yield from driver_fixture(LogsApp, size=(60, 8))


def logs_screen(driver: Driver) -> LogsScreen:
    screen = driver.app.screen
    assert isinstance(screen, LogsScreen)
    return screen


_settings, _texts = fuzz("log search")


@_settings
@given(texts=_texts)
def test_fuzz_log_search(logs: Driver, fuzz_count: FuzzCount, texts: list[str]) -> None:
    logs.revive()
    screen = logs_screen(logs)
    before = screen.search_text
    prompt = screen.query_one("#log-prompt", Input)
    error_line = screen.query_one("#log-prompt-error", Static)
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        opening = None if i else lambda: screen.action_prompt("search")
        logs.type_text(prompt, text, submit=last, before=opening)
        fuzz_count.typed["log search"] += 1
        logs.check()
        assert prompt.value == clean(typed(text))
    fuzz_count.submitted["log search"] += 1
    wanted = prompt.value.strip()
    try:
        if wanted:
            compile_search(wanted)
    except SearchError as error:
        # said under the prompt, which stays open to fix it; the search is unchanged
        assert screen.search_text == before
        assert prompt.has_class("-shown") and screen.focused is prompt
        assert error_line.has_class("-shown")
        assert str(error) in str(error_line.render())
        logs.press("escape")
        assert not prompt.has_class("-shown") and not error_line.has_class("-shown")
    else:
        assert screen.search_text == wanted
        assert not prompt.has_class("-shown") and screen.focused is screen.log_view
    logs.check()


_settings, _texts = fuzz("log unit")


@_settings
@given(texts=_texts)
def test_fuzz_log_unit(logs: Driver, fuzz_count: FuzzCount, texts: list[str]) -> None:
    logs.revive()
    screen = logs_screen(logs)
    prompt = screen.query_one("#log-prompt", Input)
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        opening = None if i else lambda: screen.action_prompt("unit")
        logs.type_text(prompt, text, submit=last, before=opening)
        fuzz_count.typed["log unit"] += 1
        logs.check()
        assert prompt.value == clean(typed(text))
    fuzz_count.submitted["log unit"] += 1
    unit = clean(typed(texts[-1])).strip() or None
    assert screen.options.unit == unit
    assert not prompt.has_class("-shown")
    logs.run(logs.app.workers.wait_for_complete())
    logs.call(screen.flush)  # what the timer does: the records read reach the view
    logs.check()
    expected = [r for r in RECORDS if unit is None or r.unit == unit]
    assert list(screen.log_view.store.visible) == expected


# ------------------------------------------------------------ export path


@pytest.fixture(scope="module")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("export")


@pytest.fixture(scope="module")
def exporter(export_dir: Path) -> Iterator[Driver]:
    default = str(export_dir / "default.log")
    yield from driver_fixture(
        lambda: DialogApp(lambda: ExportPrompt(RECORDS, default, UTC)), size=(80, 12)
    )


def confined(directory: Path, text: str) -> str:
    """``text`` as a path inside ``directory`` (the fuzz runs as root: it writes nowhere else)."""
    return f"{directory}/" + re.sub(r"\.\.", "._", text)


def export_outcome(driver: Driver) -> None:
    """Wait for the export thread, then for what it changed on the screen."""
    driver.run(driver.app.workers.wait_for_complete())
    driver.run(driver.settle())


_settings, _texts = fuzz("export path")


@_settings
@given(texts=_texts, raw=st.booleans(), again=st.booleans())
def test_fuzz_export_path(
    exporter: Driver,
    export_dir: Path,
    fuzz_count: FuzzCount,
    texts: list[str],
    raw: bool,
    again: bool,
) -> None:
    exporter.revive()
    app = exporter.app
    assert isinstance(app, DialogApp)
    dialog = reopen(exporter, ExportPrompt)
    box = dialog.query_one("#export-path", Input)
    checkbox = dialog.query_one("#export-raw", Checkbox)
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        path = confined(export_dir, text)
        exporter.type_text(box, path, submit=last, before=lambda: setattr(checkbox, "value", raw))
        fuzz_count.typed["export path"] += 1
        exporter.check()
    fuzz_count.submitted["export path"] += 1
    export_outcome(exporter)
    exporter.check()

    def said() -> str:
        return str(dialog.query_one("#export-message", Static).render())

    if app.screen is dialog and again and "Enter again" in said():
        exporter.press("enter")  # "exists: Enter again replaces it"
        export_outcome(exporter)
        exporter.check()
    if app.screen is dialog:  # refused: said under the path
        message = said()
        assert message.startswith("Not written: ") or "Enter again replaces it" in message
        return
    done = app.results[-1]
    assert isinstance(done, ExportDone) and done.raw == raw
    target = Path(done.target)
    assert target.is_file() and target.is_relative_to(export_dir)
    written = target.read_bytes()
    if not raw:
        assert is_clean(written.decode("utf-8"), lines=True)
    assert len(written.splitlines()) >= len(RECORDS)


# ---------------------------------------------------------- limits fields

CURRENT_LIMITS = {"MemoryMax": "1G", "CPUQuota": "50%", "TasksMax": "512"}


@pytest.fixture(scope="module")
def limits() -> Iterator[Driver]:
    def dialog() -> LimitsEditor:
        return LimitsEditor(["web", "db[/]"], CURRENT_LIMITS, {"MemoryMax": "using [b]1G"})

    yield from driver_fixture(lambda: DialogApp(dialog), size=(60, 14))


def limit_error(field: str, value: str) -> LimitError | None:
    """What the editor must say of ``value`` in ``field`` (an unchanged field is not checked)."""
    if value == CURRENT_LIMITS.get(field, ""):
        return None
    try:
        parse_limit(field, value)
    except LimitError as error:
        return error
    return None


_settings, _texts = fuzz("limits fields")


@_settings
@given(field=st.sampled_from([f.name for f in LIMIT_FIELDS]), texts=_texts)
def test_fuzz_limits_fields(
    limits: Driver, fuzz_count: FuzzCount, field: str, texts: list[str]
) -> None:
    limits.revive()
    app = limits.app
    assert isinstance(app, DialogApp)
    editor = reopen(limits, LimitsEditor)
    box = editor.query_one(f"#{input_id(field)}", Input)
    message = editor.query_one(f"#{message_id(field)}", Static)

    def reset_others() -> None:  # the other fields as they were
        for other in LIMIT_FIELDS:
            other_box = editor.query_one(f"#{input_id(other.name)}", Input)
            if other_box.value != CURRENT_LIMITS.get(other.name, ""):
                other_box.value = CURRENT_LIMITS.get(other.name, "")

    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        limits.type_text(box, text, submit=last, before=None if i else reset_others)
        fuzz_count.typed["limits fields"] += 1
        limits.check()
        value = clean(typed(text)).strip()
        invalid = limit_error(field, value)
        if app.screen is editor:  # checked as typed: the message beside the field
            assert message.has_class("-invalid") == (invalid is not None)
            if invalid is not None:
                assert invalid.message in str(message.render())
    fuzz_count.submitted["limits fields"] += 1
    if app.screen is editor:
        status = str(editor.query_one("#limits-status", Static).render())
        if invalid is not None:  # refused inline
            assert status.startswith("Not applied")
        else:
            assert status == "Nothing changed."
    else:
        request = app.results[-1]
        assert invalid is None and isinstance(request, LimitsRequest)
        assert request.values == {field: value} and request.runtime


# ------------------------------------------------------------ shell prompt


@pytest.fixture(scope="module")
def shell() -> Iterator[Driver]:
    yield from driver_fixture(lambda: DialogApp(lambda: ShellPrompt("web[/]")), size=(80, 12))


_settings, _texts = fuzz("shell user/command")


@_settings
@given(which=st.sampled_from(["#shell-user", "#shell-command"]), texts=_texts)
def test_fuzz_shell_prompt(
    shell: Driver, fuzz_count: FuzzCount, which: str, texts: list[str]
) -> None:
    shell.revive()
    app = shell.app
    assert isinstance(app, DialogApp)
    prompt = reopen(shell, ShellPrompt)
    box = prompt.query_one(which, Input)
    other, value = (
        ("#shell-command", "/bin/sh -c 'uptime'")
        if which == "#shell-user"
        else ("#shell-user", "root")
    )
    other_box = prompt.query_one(other, Input)
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        reset = None if i else lambda: setattr(other_box, "value", value)
        shell.type_text(box, text, submit=last, before=reset)
        fuzz_count.typed["shell user/command"] += 1
        shell.check()
        if app.screen is prompt:
            assert box.value == clean(typed(text))
    fuzz_count.submitted["shell user/command"] += 1
    if app.screen is prompt:
        assert str(prompt.query_one("#shell-error", Static).render())  # said why
        return
    request = app.results[-1]
    assert isinstance(request, ShellRequest)
    assert request.user and user_name_problem(request.user) is None
    assert all(is_clean(word) for word in (request.user, *request.command))
    assert not request.command or request.command[0].startswith("/")


# --------------------------------------------------------- settings editor

SETTINGS_TEXT = "[Exec]\nBoot=yes\n# a comment\n\n[Network]\nVirtualEthernet=yes\n"


@pytest.fixture(scope="module")
def settings_editor() -> Iterator[Driver]:
    def dialog() -> SettingsEditor:
        return SettingsEditor("web[/]", Path("/etc/systemd/nspawn/web[/].nspawn"), SETTINGS_TEXT)

    yield from driver_fixture(lambda: DialogApp(dialog), size=(60, 14))


_settings, _texts = fuzz("settings editor")


@_settings
@given(texts=_texts, at_end=st.booleans())
def test_fuzz_settings_editor(
    settings_editor: Driver, fuzz_count: FuzzCount, texts: list[str], at_end: bool
) -> None:
    driver = settings_editor
    driver.revive()
    app = driver.app
    assert isinstance(app, DialogApp)
    editor = reopen(driver, SettingsEditor)
    area = editor.query_one(TextArea)
    driver.call(area.load_text, SETTINGS_TEXT)
    for text in texts:

        def paste(text: str = text) -> None:
            area.focus()
            area.move_cursor(area.document.end if at_end else (1, 0))
            driver.post(events.Paste(text))

        driver.call(paste)
        fuzz_count.typed["settings editor"] += 1
        driver.check()
        assert is_clean(area.text.replace("\t", " "), lines=True)  # what was pasted, cleaned
    # a key of its own: ctrl+s is a priority binding, run before a paste sent with
    # it reaches the TextArea (a real terminal sends them apart)
    driver.press("ctrl+s")
    fuzz_count.submitted["settings editor"] += 1
    driver.check()
    if app.screen is editor:
        assert str(editor.query_one("#settings-errors", Static).render()).startswith("Not saved")
        return
    saved = app.results[-1]
    assert saved is None or not SettingsFile.parse(saved).problems()
    assert saved is None or is_clean(saved.replace("\t", " "), lines=True)


def test_fuzz_figure(fuzz_count: FuzzCount) -> None:
    """After the fuzz tests above (in this order): at least 10,000 cases ran in all."""
    if set(fuzz_count.typed) != set(PLAN) or SCALE < 1:
        pytest.skip("not every fuzz test ran (or NSPAWN_TUI_FUZZ_SCALE < 1)")
    assert fuzz_count.typed.total() >= MIN_TOTAL

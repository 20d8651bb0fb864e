"""A config file changes the running app: refresh, CPU% meaning, sort, columns, questions.

The file is written to ``tmp_path`` and read by ``load_config`` (never the
user's ~/.config: XDG_CONFIG_HOME points into ``tmp_path``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from screen_text import notifications, screen_lines, screen_text
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.config.load import load_config
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.view.rows import COLUMNS
from nspawn_tui.widgets.machine_table import MachineTable

CONFIG = """\
interval = 2.5
cpu = "host"
sort = "-cpu"
columns = ["name", "state", "memory", "cpu"]
refresh = 3
"""


@pytest.fixture(autouse=True)
def own_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def config_app(tmp_path: Path, text: str, **options: Any) -> NspawnApp:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return NspawnApp(DemoHost(seed=1, frozen=True), config=load_config(str(path)), **options)


async def polled(pilot: Pilot[None]) -> DashboardScreen:
    for _ in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 1:
            await pilot.pause()
            return screen
    raise AssertionError("the dashboard never polled")


async def until(pilot: Pilot[None], predicate: Any, what: str) -> None:
    for _ in range(100):
        await pilot.pause(0.03)
        if predicate():
            return
    raise AssertionError(f"timed out waiting for {what}")


def cpu_figure(cell: str) -> float:
    try:
        return float(cell.strip().rstrip("%"))
    except ValueError:
        return -1.0  # n/a or a stopped machine's blank: below every figure


async def test_the_config_drives_the_dashboard(tmp_path: Path) -> None:
    app = config_app(tmp_path, CONFIG)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await polled(pilot)
        assert app.interval == 2.5 and screen.interval == 2.5
        assert screen.cpu_per_host  # "host": % of the whole host
        table = screen.query_one(MachineTable)
        assert (table.sort_key, table.sort_reverse) == ("cpu", True)
        # the chosen columns in their order (identity band, then the figures)
        shown = [COLUMNS[p.index].key for band in table._shown for p in band.placed]
        assert shown == ["name", "state", "memory", "cpu"]
        header = next(line for line in screen_lines(app) if "NAME" in line)
        assert header.split() == ["NAME▲"[:-1], "STATE", "MEMORY", "CPU%H▼"]
        assert "OS" not in header and "UPTIME" not in header
        cpu = [c.key for c in COLUMNS].index("cpu")
        figures = [cpu_figure(table.row(name).cells[cpu]) for name in table.visible_names]
        assert figures == sorted(figures, reverse=True) and figures[0] > 0
        assert "sort: cpu (reversed)" in screen_text(app)
        problem = f"{tmp_path / 'config.toml'}, line 5: refresh: unknown key"
        shown_problems = [n for n in notifications(app) if problem in n.message]
        assert len(shown_problems) == 1 and shown_problems[0].severity == "warning"
        assert "line 5: refresh: unknown key" in screen_text(app)  # the toast is on screen
        await pilot.pause(0.3)
        assert len([n for n in notifications(app) if problem in n.message]) == 1  # once


async def test_without_a_file_the_defaults(tmp_path: Path) -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), config=load_config(None))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await polled(pilot)
        table = screen.query_one(MachineTable)
        assert screen.interval == 1.0 and not screen.cpu_per_host
        assert (table.sort_key, table.sort_reverse) == ("name", False)
        assert notifications(app) == []


async def test_an_option_wins_over_the_file(tmp_path: Path) -> None:
    app = config_app(tmp_path, "interval = 5\nscrollback = 40\n", interval=0.5)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await polled(pilot)
        assert screen.interval == 0.5 and screen.scrollback == 40


async def test_confirm_false_acts_at_once_and_true_asks(tmp_path: Path) -> None:
    app = config_app(tmp_path, "[confirm]\npoweroff = false\nreboot = true\n")
    host = app.host
    assert isinstance(host, DemoHost)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await polled(pilot)
        table = screen.query_one(MachineTable)
        assert table.move_cursor_to_name("web")
        await pilot.press("r")  # asks now: reboot = true
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "a question")
        assert isinstance(app.screen, ConfirmScreen) and app.screen.title_text == "Reboot"
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "the dashboard")
        await pilot.press("p")  # no question: poweroff = false
        await until(pilot, lambda: host._get("web").state == "stopped", "power off")
        assert isinstance(app.screen, DashboardScreen)

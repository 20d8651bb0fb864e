"""Keys from the config drive the app; vim motions move in every list; help and footer follow."""

from __future__ import annotations

from collections.abc import Callable

from screen_text import columns, notifications, screen_text
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from nspawn_tui.app import NspawnApp
from nspawn_tui.config.model import Config
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.image_table import ImageTable
from nspawn_tui.widgets.log_view import LogView
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.process_table import ProcessTableView

KEYS = {"dashboard.kill": ("x",), "dashboard.logs": ("L", "ctrl+l")}
LINES = {"dashboard.kill": 3, "dashboard.logs": 4}


async def until(pilot: Pilot[None], check: Callable[[], object], what: str) -> None:
    for _ in range(200):
        if check():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}\n{screen_text(pilot.app)}")


async def dashboard(pilot: Pilot[None]) -> DashboardScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.polls, "poll")
    # the footer mounts after the first frame (Lazy)
    await until(pilot, lambda: app.screen.query(FooterKey), "footer")
    assert isinstance(app.screen, DashboardScreen)
    return app.screen


def help_rows(text: str) -> dict[str, set[str]]:
    """Description -> the keys the help shows for it (its first table only)."""
    rows: dict[str, set[str]] = {}
    for line in text.split("In the journal view")[0].splitlines():
        cells = columns(line)
        if len(cells) >= 2:
            rows.setdefault(cells[1], set()).update(cells[0].split())
    return rows


def footer_keys(app: NspawnApp) -> dict[str, str]:
    """Description -> key, as the footer shows them."""
    return {key.description: key.key_display for key in app.screen.query(FooterKey)}


async def test_config_keys_rebind_kill_and_report_a_clash() -> None:
    config = Config(keys=KEYS, key_lines=LINES, path="t.toml")
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2, config=config)
    async with app.run_test(size=(160, 70), notifications=True) as pilot:
        screen = await dashboard(pilot)
        # L is Login's: the logs entry is left out, said with its file and line
        messages = [str(n.message) for n in notifications(app)]
        assert any(
            m.startswith("t.toml, line 4: keys.dashboard.logs: 'L' is already dashboard.login")
            for m in messages
        ), messages
        assert footer_keys(app)["Kill"] == "x"
        assert footer_keys(app)["Logs"] == "l"  # its default, kept
        table = screen.query_one(MachineTable)
        table.action_cursor_to(3)
        await pilot.press("k")  # now only Up
        await pilot.pause()
        assert app.screen is screen and table._cursor == 2
        await pilot.press("K")  # the old default does nothing now
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        rows = help_rows(screen_text(app))
        assert rows["Kill"] == {"x"}, rows
        assert rows["Logs"] == {"l"} and rows["Up"] == {"↑", "k"}
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "help closed")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, KillPicker), "the kill picker")


async def test_a_swap_frees_the_key_and_the_palette_shows_it() -> None:
    keys = {**KEYS, "dashboard.login": ("ctrl+o",)}
    config = Config(keys=keys, key_lines={**LINES, "dashboard.login": 5}, path="t.toml")
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2, config=config)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await dashboard(pilot)
        assert not [n for n in notifications(app) if "t.toml" in str(n.message)]
        assert footer_keys(app)["Logs"] == "L"
        commands = {c.title: c.help for c in app.get_system_commands(screen)}
        assert "(key L ^l)" in commands["Logs"] and "(key x)" in commands["Kill"]
        assert "(key ^o)" in commands["Login"]
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen, "back")
        await pilot.press("L")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view again")


async def test_read_only_refuses_a_rebound_key_at_once() -> None:
    config = Config(keys={"dashboard.kill": ("x",)}, key_lines={}, path="t.toml")
    app = NspawnApp(DemoHost(seed=1, frozen=True, read_only=True), interval=0.2, config=config)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await dashboard(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        assert any(n.title == "Read-only" for n in notifications(app)), notifications(app)


async def test_vim_motions_in_the_dashboard() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True, machines=40), interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await dashboard(pilot)
        table = screen.query_one(MachineTable)
        rows = len(table._visible)
        await pilot.press("j", "j")
        assert table._cursor == 2
        await pilot.press("k")
        assert table._cursor == 1
        await pilot.press("G")
        assert table._cursor == rows - 1
        await pilot.press("g")
        assert table._cursor == 0
        await pilot.press("ctrl+d")
        half = table._cursor
        assert 2 <= half < table._body_height()
        await pilot.press("ctrl+d", "ctrl+u")
        assert table._cursor == half
        await pilot.press("ctrl+u")
        assert table._cursor == 0


async def test_vim_motions_in_processes_and_images() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await dashboard(pilot)
        screen.query_one(MachineTable).action_cursor_to(-1)  # web: running
        await pilot.press("P")
        await until(pilot, lambda: isinstance(app.screen, ProcessesScreen), "processes")
        view = app.screen.query_one(ProcessTableView)
        await until(pilot, lambda: view.row_count > 3, "processes listed")
        await motions(pilot, lambda: view.cursor_row, view.row_count)
        await pilot.press("q")
        await until(pilot, lambda: app.screen is screen, "back")
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, ImagesScreen), "images")
        images = app.screen.query_one(ImageTable)
        await until(pilot, lambda: images.row_count > 3, "images listed")
        await motions(pilot, lambda: images.cursor_row, images.row_count)


async def motions(pilot: Pilot[None], cursor: Callable[[], int], count: int) -> None:
    await pilot.press("g")
    assert cursor() == 0
    await pilot.press("j", "j")
    assert cursor() == 2
    await pilot.press("k")
    assert cursor() == 1
    await pilot.press("G")
    assert cursor() == count - 1
    await pilot.press("g", "ctrl+d")
    assert cursor() >= 1 or count < 3
    down = cursor()
    await pilot.press("ctrl+u")
    assert cursor() == 0 and down > 0


async def test_vim_motions_in_the_log_view() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), logs=["web", "db"])
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LogsScreen), "the journal view")
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: len(view.store) > 40, "records")
        last = len(view.store) - 1
        await pilot.press("g")
        assert view.cursor == 0 and not view.follow
        await pilot.press("j", "j", "k")
        assert view.cursor == 1
        await pilot.press("ctrl+d")
        assert view.cursor > 3
        await pilot.press("ctrl+u")
        assert view.cursor == 1
        await pilot.press("G")
        assert view.follow and view.cursor >= last

"""Themes on the demo host: every screen draws under each, the config's theme applies at start,
the palette switches it; the bytes a terminal gets under nspawn-ansi and NO_COLOR."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from screen_text import notifications, screen_text
from textual.pilot import Pilot
from textual.screen import Screen

from nspawn_tui.app import NspawnApp
from nspawn_tui.config.model import Config
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.themes import ANSI, HIGH_CONTRAST

THEMES = [HIGH_CONTRAST, ANSI, "textual-light", "nord", "gruvbox"]


async def until(pilot: Pilot[None], check: Callable[[], object], what: str) -> None:
    for _ in range(150):
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"never: {what}")


def _app(theme: str, path: str | None = None) -> NspawnApp:
    return NspawnApp(
        DemoHost(seed=1, frozen=True), interval=0.25, config=Config(theme=theme, path=path)
    )


async def _dashboard(pilot: Pilot[None]) -> DashboardScreen:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.polls, "poll")
    assert isinstance(app.screen, DashboardScreen)
    return app.screen


async def _visit(pilot: Pilot[None], keys: tuple[str, ...], kind: type[Screen[object]]) -> str:
    """Open a screen with ``keys``, wait for it to draw, come back; its text."""
    app = pilot.app
    await pilot.press(*keys)
    await until(pilot, lambda: isinstance(app.screen, kind), kind.__name__)
    await pilot.pause(0.3)
    text = screen_text(app)
    await pilot.press("escape")
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "back to the dashboard")
    return text


@pytest.mark.parametrize("theme", THEMES)
async def test_every_screen_draws_under_each_theme(theme: str) -> None:
    app = _app(theme)
    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = await _dashboard(pilot)
        assert app.theme == theme  # from the config, before the first frame
        assert "web" in screen_text(app)
        table = dashboard.query_one(MachineTable)
        assert table.move_cursor_to_name("web")
        assert "systemd" in await _visit(pilot, ("l",), LogsScreen)
        assert "PID" in await _visit(pilot, ("P",), ProcessesScreen)
        assert "Images on demo host" in await _visit(pilot, ("i",), ImagesScreen)
        assert "Quit" in await _visit(pilot, ("question_mark",), HelpScreen)
        assert app.theme == theme and app.return_code is None


async def test_the_config_theme_colours_the_table() -> None:
    """High contrast: the table's header is black on white (styles/app.tcss), not a tint."""
    app = _app(HIGH_CONTRAST)
    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = await _dashboard(pilot)
        table = dashboard.query_one(MachineTable)
        header = table.get_component_rich_style("machine-table--header")
        assert header.bgcolor is not None and header.bgcolor.triplet is not None
        assert header.bgcolor.triplet.hex == "#ffffff"
        app.theme = "textual-dark"
        await pilot.pause(0.3)
        header = table.get_component_rich_style("machine-table--header")
        assert header.bgcolor is not None and header.bgcolor.triplet is not None
        assert header.bgcolor.triplet.hex != "#ffffff"


async def test_an_unknown_config_theme_warns_with_its_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('# mine\ninterval = 2\ntheme = "no-such"\n', encoding="utf-8")
    app = _app("no-such", str(config))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _dashboard(pilot)
        await pilot.pause(0.2)
        assert app.theme == "textual-dark"
        messages = [n.message for n in notifications(app)]
        assert any(f"{config}, line 3: theme: unknown theme 'no-such'" in m for m in messages), (
            messages
        )


async def test_the_palette_switches_theme() -> None:
    app = _app("textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        table = (await _dashboard(pilot)).query_one(MachineTable)

        def colours() -> set[str]:  # of a stopped machine's line: never redrawn for its values
            line = table._bands[0].render_line(6)
            assert "debian-base" in line.text
            return {str(seg.style.color) for seg in line if seg.style and seg.text.strip()}

        before = colours()
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"theme: nspawn-high")
        await pilot.pause(0.5)
        assert "Theme: nspawn-high-contrast" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == HIGH_CONTRAST, "the theme switched")
        await until(pilot, lambda: isinstance(app.screen, DashboardScreen), "palette closed")
        await until(pilot, lambda: colours() != before, "the table redrawn in the new colours")
        assert any("#d0d0d0" in colour for colour in colours())  # its muted text


# ------------------------------------------------------------------ bytes on a terminal

_RUN = """
import sys
from nspawn_tui.app import NspawnApp
from nspawn_tui.config.model import Config
from nspawn_tui.host.demo.host import DemoHost
NspawnApp(DemoHost(seed=1), interval=0.3, config=Config(theme=sys.argv[1])).run()
"""
_SGR = re.compile(rb"\x1b\[([0-9;:]*)m")


def _terminal_bytes(theme: str, no_color: bool) -> bytes:
    """What a 120x40 truecolor terminal gets: the dashboard, then two machines' merged logs."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_ANIMATIONS="none")
    if no_color:
        env["NO_COLOR"] = "1"
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", _RUN, theme],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    out = bytearray()

    def pump(until_text: bytes | None, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if until_text is not None and until_text in out:
                return
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    out.extend(os.read(master, 65536))
                except OSError:
                    return

    try:
        pump(b"build-arch", 20)
        assert b"build-arch" in out, out[-2000:]
        pump(None, 1.0)
        for key in (b" ", b"\x1b[B", b" ", b"l"):  # select two machines: their merged journal
            os.write(master, key)
            pump(None, 0.5)
        mark = len(out)
        pump(b"systemd", 10)
        pump(None, 1.5)
        assert len(out) > mark + 1000  # the journal view was drawn
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        os.close(master)
    return bytes(out)


def _colour_codes(out: bytes) -> set[str]:
    """Every colour parameter of every SGR sequence: "31", "38;2", "48;5" ..."""
    found: set[str] = set()
    for match in _SGR.finditer(out):
        parts = match.group(1).decode().replace(":", ";").split(";")
        i = 0
        while i < len(parts):
            part = parts[i]
            if part in ("38", "48", "58") and i + 1 < len(parts):
                found.add(f"{part};{parts[i + 1]}")
                i += 5 if parts[i + 1] == "2" else 3
                continue
            if part.isdigit() and (30 <= int(part) <= 49 or 90 <= int(part) <= 107):
                found.add(part)
            i += 1
    return found


def test_the_ansi_theme_sends_only_the_16_colours() -> None:
    codes = _colour_codes(_terminal_bytes(ANSI, no_color=False))
    allowed = {str(n) for n in (*range(30, 38), 39, *range(40, 48), 49)}
    allowed |= {str(n) for n in (*range(90, 98), *range(100, 108))}
    assert codes, "no colour at all"
    assert codes <= allowed, sorted(codes - allowed)


def test_the_default_theme_sends_24_bit_colours() -> None:
    """The control of the tests around it: the capture sees 24-bit codes when they are sent."""
    codes = _colour_codes(_terminal_bytes("textual-dark", no_color=False))
    assert {"38;2", "48;2"} <= codes


@pytest.mark.parametrize("theme", ["textual-dark", ANSI])
def test_no_color_sends_no_colour(theme: str) -> None:
    out = _terminal_bytes(theme, no_color=True)
    assert _colour_codes(out) <= {"39", "49"}  # "the terminal's default" only
    assert b"\x1b[7m" in out or b";7m" in out or b"\x1b[7;" in out  # the cursor, reversed


async def test_no_color_shows_the_cursor_in_reverse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app("textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        dashboard = await _dashboard(pilot)
        assert app.has_class("-no-color")
        table = dashboard.query_one(MachineTable)
        assert table.get_component_rich_style("machine-table--cursor").reverse
        assert table.get_component_rich_style("machine-table--header").underline
        assert table.get_component_rich_style("machine-table--hot").underline
    monkeypatch.delenv("NO_COLOR")
    app = _app("textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:  # without it: a tint, not reverse
        dashboard = await _dashboard(pilot)
        table = dashboard.query_one(MachineTable)
        assert not table.get_component_rich_style("machine-table--cursor").reverse

"""Our themes (high contrast, 16 ANSI colours), their palette commands, the config's theme."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App
from textual.color import Color
from textual.filter import Monochrome, NoColor

from nspawn_tui.widgets.themes import (
    ANSI,
    ANSI_THEME,
    DEFAULT_THEME,
    HIGH_CONTRAST,
    HIGH_CONTRAST_THEME,
    apply_theme,
    honour_no_color,
    register_themes,
    theme_commands,
    theme_line,
    theme_names,
)


def _colours(generated: dict[str, str]) -> dict[str, Color]:
    out: dict[str, Color] = {}
    for name, value in generated.items():
        if "style" in name:  # text styles ("bold", "not underline"), not colours
            continue
        out[name] = Color.parse(value.split()[0]) if value != "transparent" else Color(0, 0, 0, 0)
    return out


def _luminance(colour: Color) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(colour.r) + 0.7152 * channel(colour.g) + 0.0722 * channel(colour.b)


def _contrast(a: Color, b: Color) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_the_ansi_theme_has_only_the_terminals_16_colours() -> None:
    generated = ANSI_THEME.to_color_system().generate()
    colours = _colours(generated)
    assert len(colours) > 100  # every variable Textual's widgets use
    rgb_only = {name: value for name, value in generated.items() if name in colours}
    rgb_only = {
        name: value
        for name, value in rgb_only.items()
        if colours[name].ansi is None and colours[name].a > 0
    }
    assert rgb_only == {}
    # muted text is a colour of its own (an ANSI colour has no alpha to fade it)
    assert generated["text-muted"] == "ansi_bright_black"
    assert Color.parse(generated["text-muted"]).ansi == 8


def test_the_high_contrast_theme_keeps_every_text_colour_above_7_to_1() -> None:
    generated = HIGH_CONTRAST_THEME.to_color_system().generate()
    black = Color.parse("#000000")
    assert Color.parse(generated["background"]) == black
    assert Color.parse(generated["foreground"]) == Color.parse("#FFFFFF")
    for name in ("surface", "panel"):
        assert Color.parse(generated[name]) == black, name
    for name in (
        "foreground",
        "text-muted",
        "text-disabled",
        "primary",
        "secondary",
        "accent",
        "warning",
        "error",
        "success",
        "text-error",
        "text-warning",
        "text-accent",
        "text-success",
        "footer-key-foreground",
    ):
        ratio = _contrast(Color.parse(generated[name]), black)
        assert ratio >= 7.0, f"{name} {generated[name]}: {ratio:.1f}:1"
    # the default theme's muted text would not pass: the check can fail
    default = App().current_theme.to_color_system().generate()
    muted = Color.parse("#000000").blend(Color.parse(default["foreground"]), 0.6)
    assert _contrast(muted, black) < 7.0


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('interval = 1.0\ntheme = "nord"\n', 2),
        ('# theme = "x"\n\n  theme="nord"\n', 3),
        ('interval = 1\n[keys]\ntheme = "x"\n', None),  # a table's own key, not the theme
        ("", None),
        ('themes = "x"\n', None),
    ],
)
def test_theme_line_finds_the_top_level_key(text: str, line: int | None) -> None:
    assert theme_line(text) == line


async def test_register_lists_ours_first_and_the_commands_switch() -> None:
    app: App[None] = App()
    async with app.run_test():
        register_themes(app)
        names = theme_names(app)
        assert names[:2] == [HIGH_CONTRAST, ANSI]
        assert {"textual-dark", "nord", "gruvbox", "textual-light"} <= set(names)
        commands = list(theme_commands(app))
        assert [c.title for c in commands] == [f"Theme: {n}" for n in names]
        current = next(c for c in commands if c.title == f"Theme: {DEFAULT_THEME}")
        assert "in use now" in current.help
        ansi = next(c for c in commands if c.title == f"Theme: {ANSI}")
        assert "16 colours" in ansi.help
        ansi.callback()
        assert app.theme == ANSI and app.current_theme.ansi
        assert app.has_class(f"-theme-{ANSI}")


async def test_a_known_theme_applies(tmp_path: Path) -> None:
    app: App[None] = App()
    async with app.run_test(notifications=True):
        assert await apply_theme(app, HIGH_CONTRAST, None) is None
        assert app.theme == HIGH_CONTRAST
        assert not app._notifications


async def test_an_unknown_theme_is_told_with_file_and_line(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('interval = 2\n\ntheme = "solarised-drak\x1b[31m"\n', encoding="utf-8")
    app: App[None] = App()
    async with app.run_test(notifications=True) as pilot:
        problem = await apply_theme(app, "solarised-drak\x1b[31m", str(config))
        await pilot.pause()
        assert problem is not None
        assert (problem.path, problem.line, problem.key) == (str(config), 3, "theme")
        assert app.theme == DEFAULT_THEME
        (note,) = list(app._notifications)
        assert note.severity == "warning"
        assert f"{config}, line 3: theme: unknown theme" in note.message
        assert "\x1b" not in note.message  # the name is cleaned
        assert f"using {DEFAULT_THEME}" in note.message and HIGH_CONTRAST in note.message


async def test_an_unknown_theme_of_a_vanished_file_names_no_line(tmp_path: Path) -> None:
    app: App[None] = App()
    async with app.run_test(notifications=True):
        problem = await apply_theme(app, "nope", str(tmp_path / "gone.toml"))
        assert problem is not None and problem.line is None
        assert str(problem).startswith(f"{tmp_path / 'gone.toml'}: theme: unknown theme 'nope'")


def test_no_color_drops_every_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app: App[None] = App()
    assert any(isinstance(f, Monochrome) for f in app._filters)  # Textual's own: greys
    assert honour_no_color(app)
    assert not any(isinstance(f, Monochrome) for f in app._filters)
    assert sum(isinstance(f, NoColor) for f in app._filters) == 1
    assert app.has_class("-no-color")


def test_without_no_color_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app: App[None] = App()
    before = list(app._filters)
    assert not honour_no_color(app)
    assert app._filters == before and not app.has_class("-no-color")

"""The app's own themes, the palette's theme commands, and the config file's ``theme``.

Every colour the app draws comes from theme variables (``$primary``, ``$error``,
``$warning``, ``$success``, ``$foreground``, ``$panel`` ...; ``styles/app.tcss`` and
the widgets' ``DEFAULT_CSS``), so any Textual theme applies everywhere.  Two of
our own join Textual's built-in ones:

- ``nspawn-high-contrast``: white on pure black, saturated accents, the table's
  header and cursor in reverse (``styles/app.tcss``), for low vision and washed-out
  terminals.
- ``nspawn-ansi``: only the terminal's 16 ANSI colours (``ansi=True``: Textual then
  sends SGR 30-37/90-97 and 40-47/100-107, never 24-bit or 256-colour codes), so
  the terminal's own palette decides; for terminals and SSH sessions without
  truecolor.

``NO_COLOR`` (any value, https://no-color.org): Textual's App drops it from its
environment and adds a filter that turns every colour into a grey (``Monochrome``,
still 24-bit codes), or removes colours under an ANSI theme (``NoColor``).  We
always remove them (:func:`honour_no_color`): the terminal gets no colour codes at
all, only bold, dim, underline and reverse, and the app carries the class
``-no-color`` so that ``styles/app.tcss`` shows cursors in reverse.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SystemCommand
from textual.filter import Monochrome, NoColor
from textual.theme import Theme

from nspawn_tui.config.model import ConfigProblem
from nspawn_tui.widgets.safe_text import notify_plain

HIGH_CONTRAST = "nspawn-high-contrast"
ANSI = "nspawn-ansi"
DEFAULT_THEME = "textual-dark"

HIGH_CONTRAST_THEME = Theme(
    name=HIGH_CONTRAST,
    primary="#00FFFF",  # cyan on black: 16:1
    secondary="#FF80FF",
    accent="#FFFF00",  # yellow: the cursor, 19:1 against black text
    warning="#FFFF00",
    error="#FF6666",  # 7.3:1; pure red is 5.3:1
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#000000",
    boost="#000000",
    dark=True,
    luminosity_spread=0.0,  # no lighter or darker shades: black stays black
    text_alpha=1.0,  # text is pure white, never blended into the background
    variables={
        "text": "auto 100%",  # black or white, whichever is further from the background
        # grey enough to tell stopped from running, still 13:1 (10:1) against black
        "text-muted": "#D0D0D0",
        "foreground-muted": "#D0D0D0",
        "text-disabled": "#B0B0B0",
        "border": "#FFFFFF",
        "border-blurred": "#FFFFFF",
        "block-cursor-background": "#FFFF00",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": "#FFFFFF",
        "block-cursor-blurred-foreground": "#000000",
        "block-hover-background": "#000000",
        "footer-background": "#000000",
        "footer-key-foreground": "#FFFF00",
        "footer-description-foreground": "#FFFFFF",
        "input-selection-background": "#00FFFF",
        "input-selection-foreground": "#000000",
        "input-cursor-background": "#FFFFFF",
        "input-cursor-foreground": "#000000",
        "button-color-foreground": "#000000",
        "button-focus-text-style": "bold reverse",
        "scrollbar": "#FFFFFF",
        "scrollbar-hover": "#FFFF00",
        "scrollbar-active": "#FFFF00",
        "scrollbar-background": "#000000",
        "scrollbar-background-hover": "#000000",
        "scrollbar-background-active": "#000000",
        "scrollbar-corner-color": "#000000",
        "screen-selection-background": "#FFFFFF",
        "screen-selection-foreground": "#000000",
    },
)

ANSI_THEME = Theme(
    name=ANSI,
    ansi=True,
    primary="ansi_blue",
    secondary="ansi_cyan",
    accent="ansi_blue",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        # an ANSI colour has no alpha: "ansi_default 50%" would be plain text
        "text-muted": "ansi_bright_black",
        "foreground-muted": "ansi_bright_black",
        "text-disabled": "ansi_bright_black",
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border": "ansi_blue",
        "border-blurred": "ansi_bright_black",
        "block-cursor-foreground": "ansi_bright_white",
        "block-cursor-background": "ansi_blue",
        "block-cursor-blurred-foreground": "ansi_default",
        "block-cursor-blurred-background": "ansi_bright_black",
        "footer-key-foreground": "ansi_yellow",
        "input-cursor-background": "ansi_white",
        "input-cursor-foreground": "ansi_black",
        "input-cursor-text-style": "none",
        "input-selection-background": "ansi_blue",
        "input-selection-foreground": "ansi_bright_white",
        "screen-selection-background": "ansi_blue",
        "screen-selection-foreground": "ansi_bright_white",
    },
)

#: Ours, in the order the palette lists them before Textual's.
THEMES: tuple[Theme, ...] = (HIGH_CONTRAST_THEME, ANSI_THEME)


def register_themes(app: App[Any]) -> None:
    """Make our themes available to ``app`` (``app.theme = NAME``, the palette)."""
    for theme in THEMES:
        app.register_theme(theme)


def honour_no_color(app: App[Any]) -> bool:
    """Under ``NO_COLOR``: no colour codes at all, cursors in reverse; True if so."""
    if not app.no_color:
        return False
    filters = app._filters  # Textual's own NO_COLOR filter, made stricter
    filters[:] = [NoColor() if isinstance(f, Monochrome) else f for f in filters]
    if not any(isinstance(f, NoColor) for f in filters):
        filters.append(NoColor())
    app.add_class("-no-color")
    return True


def theme_names(app: App[Any]) -> list[str]:
    """Every theme ``app`` can use: ours first, then Textual's, by name."""
    ours = [theme.name for theme in THEMES if theme.name in app.available_themes]
    return ours + sorted(name for name in app.available_themes if name not in ours)


def theme_commands(app: App[Any]) -> Iterable[SystemCommand]:
    """One palette command per theme: "Theme: NAME" switches to it at once."""
    current = app.theme
    for name in theme_names(app):
        theme = app.available_themes[name]
        kind = "dark" if theme.dark else "light"
        if theme.ansi:
            kind += ", the terminal's 16 colours"
        help_text = f"switch to the {name} theme ({kind})"
        if name == current:
            help_text += "; in use now"
        yield SystemCommand(f"Theme: {name}", help_text, _switch(app, name))


def _switch(app: App[Any], name: str) -> Callable[[], None]:
    def switch() -> None:
        app.theme = name

    return switch


_THEME_LINE = re.compile(r"^\s*theme\s*=")
_TABLE_LINE = re.compile(r"^\s*\[")


def theme_line(text: str) -> int | None:
    """The 1-based line of the top-level ``theme = ...`` of a TOML file's text."""
    for number, line in enumerate(text.splitlines(), start=1):
        if _TABLE_LINE.match(line):  # past the top level: a [table]'s own "theme" is not ours
            return None
        if _THEME_LINE.match(line):
            return number
    return None


def _read_theme_line(path: str) -> int | None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # the file went away since it was read: the message names no line
    return theme_line(text)


def unknown_theme(app: App[Any], name: str, path: str | None, line: int | None) -> ConfigProblem:
    """The problem of a theme name ``app`` does not know, naming the ones it does."""
    known = ", ".join(theme_names(app))
    return ConfigProblem(
        path=path or "config",
        line=line,
        key="theme",
        message=f"unknown theme {name!r}, using {DEFAULT_THEME}; known themes: {known}",
    )


async def apply_theme(app: App[Any], name: str, path: str | None) -> ConfigProblem | None:
    """Set the config file's theme ``name`` on ``app`` (ours registered first).

    An unknown name leaves the default and is told in a warning toast naming the
    file and the line of ``theme =`` (read in a worker thread); it is returned too.
    """
    register_themes(app)
    honour_no_color(app)
    if name in app.available_themes:
        app.theme = name
        return None
    line = await asyncio.to_thread(_read_theme_line, path) if path else None
    problem = unknown_theme(app, name, path, line)
    notify_plain(app, str(problem), title="config", severity="warning", timeout=15)
    return problem

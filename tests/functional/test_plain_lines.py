"""PlainLines: the lines it draws itself are Textual's own, and any style Textual must apply sends it back.

Each case mounts a small Line-API widget (lines of varied length and style,
some shorter than the widget) with one CSS rule and compares, cell by cell
and style by style, what :meth:`PlainLines.render_lines` returns with what
Textual's styles cache returns for the same widget and crop.
"""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.widgets.plain_lines import PlainLines


class Lines(PlainLines):
    DEFAULT_CSS = "Lines { height: 6; width: 30; background: $panel; color: $text; }"

    def render_line(self, y: int) -> Strip:
        if y % 3 == 2:  # shorter than the widget: filled as Textual fills
            return Strip([Segment(f"short {y}", self.rich_style)])
        text = f"line {y} " + "·" * y + " ✓ 界"
        bold = self.rich_style + Style(bold=True, color="red")
        return Strip(
            [Segment(text[:6], self.rich_style), Segment(text[6:], bold)]
        ).adjust_cell_length(self.size.width, self.rich_style)


class One(App[None]):
    def __init__(self, css: str) -> None:
        self.extra = css
        super().__init__()

    def compose(self) -> ComposeResult:
        yield Lines(id="lines")

    def on_mount(self) -> None:
        if self.extra:
            self.query_one(Lines).set_styles(self.extra)


def cells(strips: list[Strip]) -> list[list[tuple[str, Style | None]]]:
    return [[(seg.text, seg.style) for seg in strip] for strip in strips]


def textual_lines(widget: Lines, crop: Region) -> list[Strip]:
    widget._styles_cache.clear()
    return Widget.render_lines(widget, crop)


CASES = {
    "plain": ("", True),
    "padding": ("padding: 1 2;", False),
    "border": ("border: round red;", False),
    "outline": ("outline: heavy blue;", False),
    "tint": ("tint: red 30%;", False),
    "opacity": ("opacity: 0.5;", False),
    "text-opacity": ("text-opacity: 50%;", False),
    "hatch": ("hatch: cross green;", False),
}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_lines_are_textuals_own(case: str) -> None:
    css, plain = CASES[case]
    app = One(css)
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        widget = app.query_one(Lines)
        assert widget.plain() is plain
        width, height = widget.size
        for crop in (Region(0, 0, width, height), Region(0, 2, width, 3), Region(4, 1, 9, 4)):
            ours = widget.render_lines(crop)
            theirs = textual_lines(widget, crop)
            assert cells(ours) == cells(theirs), (case, crop)
            assert [s.cell_length for s in ours] == [crop.width] * crop.height


async def test_a_style_change_is_seen() -> None:
    app = One("")
    async with app.run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        widget = app.query_one(Lines)
        assert widget.plain()
        widget.styles.padding = (0, 1)
        await pilot.pause()
        assert not widget.plain()
        widget.styles.padding = (0, 0)
        await pilot.pause()
        assert widget.plain()

"""filter_strip: Textual's line filters applied through a map of styles give Textual's lines.

Each of Textual's own filters is run both ways on lines mixing true colours,
ANSI colours, dim text, no style and a control segment; a line the filter
leaves alone comes back as the same strip; any other filter is applied whole.
"""

from __future__ import annotations

import pytest
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import MONOKAI
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.strip import Strip

from nspawn_tui.widgets.plain_lines import filter_strip

TRUE = Style(color="#f0f0f0", bgcolor="#202020")
LINES = [
    Strip([Segment("name  ", TRUE), Segment(" 12.5", TRUE + Style(bold=True, color="#ff8000"))]),
    Strip(
        [
            Segment("ansi ", Style(color="red")),
            Segment("dim", Style(dim=True, color="#00c000", bgcolor="#101010")),
        ]
    ),
    Strip([Segment("plain", None), Segment("x", TRUE), Segment("", TRUE, [(1,)])]),  # type: ignore[list-item]
]
BACKGROUND = Color(32, 32, 32)


def segments(strip: Strip) -> list[tuple[str, Style | None, object]]:
    return [(seg.text, seg.style, seg.control) for seg in strip]


FILTERS = {
    "truecolor": lambda: ANSIToTruecolor(MONOKAI),
    "dim": lambda: DimFilter(),
    "nocolor": lambda: NoColor(),
    "monochrome": lambda: Monochrome(),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_the_same_lines_as_textuals_filter(name: str) -> None:
    line_filter: LineFilter = FILTERS[name]()
    for _ in range(2):  # the second time from the map
        for strip in LINES:
            if name == "monochrome" and any(seg.style is None for seg in strip):
                continue  # Textual's Monochrome fails on a segment without style
            ours = filter_strip(strip, line_filter, BACKGROUND)
            theirs = Strip(line_filter.apply(list(strip), BACKGROUND), strip.cell_length)
            assert segments(ours) == segments(theirs), name
            assert ours.cell_length == strip.cell_length


def test_a_line_left_alone_is_the_same_strip() -> None:
    truecolor = ANSIToTruecolor(MONOKAI)
    assert filter_strip(LINES[0], truecolor, BACKGROUND) is LINES[0]
    assert filter_strip(LINES[1], truecolor, BACKGROUND) is not LINES[1]  # ANSI red: changed
    # a control segment is dropped, as Textual's filter drops it
    assert filter_strip(LINES[2], truecolor, BACKGROUND) is not LINES[2]
    assert filter_strip(LINES[2], NoColor(), BACKGROUND).cell_length == LINES[2].cell_length


def test_a_segment_without_style_passes_every_filter() -> None:
    for make in FILTERS.values():
        out = filter_strip(Strip([Segment("x", None)]), make(), BACKGROUND)
        assert segments(out) == [("x", None, None)]


class Upper(LineFilter):
    """A filter that changes text: not one of Textual's, so applied whole."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text.upper(), style) for text, style, _ in segments]


def test_another_filter_is_applied_whole() -> None:
    out = filter_strip(LINES[0], Upper(), BACKGROUND)
    assert "".join(seg.text for seg in out) == "NAME   12.5"

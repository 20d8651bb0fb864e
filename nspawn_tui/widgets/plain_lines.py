"""Line-API widgets drawn without Textual's styles cache when their CSS gives it nothing to do.

Textual sends each line a Line-API widget draws through its styles cache
(borders, padding, outline, tint, opacity, hatch): about 12 µs a line and
50 µs a call on this machine even when the widget has none of them, which is
more than the table's own drawing of a changed row (benchmarks/README.md,
"Dashboard CPU: drawing only what changed").  A :class:`PlainLines` widget
whose styles have none of them returns its own lines, through the app's line
filters as Textual would; with any of them set it falls back to Textual's
path, so a theme or stylesheet that adds a border still gets one.

Textual's own line filters (true colour for ANSI colours, no colour,
monochrome, dim) change each segment's style and nothing else, so a line is
filtered through a map of the styles already seen: a line whose styles the
filters leave alone (every line of a true-colour theme) is returned as it is,
with no new segments (Textual's ``Strip.apply_filter`` makes every line anew:
about a third of a changed table line's drawing here).  Any other filter is
applied whole.
"""

from __future__ import annotations

from typing import Final

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.color import Color
from textual.filter import ANSIToTruecolor, DimFilter, LineFilter, Monochrome, NoColor
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

#: filters that map each segment's style and keep its text (Textual's own)
STYLE_ONLY_FILTERS: Final = (ANSIToTruecolor, DimFilter, Monochrome, NoColor)
#: styles mapped per (filter, background) before the map starts again
MAP_LIMIT: Final = 4096

_maps: dict[tuple[LineFilter, Color], dict[RichStyle | None, RichStyle | None]] = {}


def filter_strip(strip: Strip, line_filter: LineFilter, background: Color) -> Strip:
    """``strip.apply_filter(line_filter, background)``; the same strip if no style changes."""
    if type(line_filter) not in STYLE_ONLY_FILTERS:
        return strip.apply_filter(line_filter, background)
    key = (line_filter, background)
    mapped = _maps.get(key)
    if mapped is None or len(mapped) > MAP_LIMIT:
        if len(_maps) > 64:  # themes switched many times: old filters go
            _maps.clear()
        mapped = _maps[key] = {None: None}  # every filter keeps a segment without style
    # Control codes: NoColor keeps them, DimFilter keeps those of segments it leaves
    # alone, the others drop them all.
    keeps = isinstance(line_filter, NoColor)
    drops = not keeps and not isinstance(line_filter, DimFilter)
    segments = list(strip)
    changed = False
    for index, (text, style, control) in enumerate(segments):
        try:
            new = mapped[style]
        except KeyError:
            new = mapped[style] = line_filter.apply([Segment(" ", style)], background)[0].style
        if new is not style and new != style:  # equal styles: equal lines (Style.__eq__)
            segments[index] = Segment(text, new, control if keeps else None)
            changed = True
        elif control is not None and drops:
            segments[index] = Segment(text, style, None)
            changed = True
    return Strip(segments, strip.cell_length) if changed else strip


class PlainLines(Widget):
    """A Line-API widget (``render_line``) whose plain lines skip the styles cache."""

    _line_style: RichStyle | None = None

    @property
    def line_style(self) -> RichStyle:
        """The widget's own style, resolved once per style change (each walks the ancestors)."""
        style = self._line_style
        if style is None:
            style = self._line_style = self.rich_style
        return style

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._line_style = None

    def plain(self) -> bool:
        """Whether Textual's styles cache would return the lines unchanged.

        Read on every call (3 µs): inline styles change without telling the widget.
        """
        styles = self.styles
        return (
            not any(styles.gutter)  # padding and border
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and styles.text_opacity == 1.0
            and not (styles.has_rule("hatch") and styles.hatch != "none")
            and self.opacity == 1.0
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        if not self.plain():
            return super().render_lines(crop)
        width = self.size.width
        render_line = self.render_line
        strips = [render_line(y) for y in crop.line_range]
        if any(strip.cell_length != width for strip in strips):
            base, background = self.background_colors  # as the styles cache fills
            fill = Style(background=base + background).rich_style
            strips = [strip.adjust_cell_length(width, fill) for strip in strips]
        filters = self.get_line_filters()
        if filters:
            background = self.background_colors[1]
            for line_filter in filters:
                strips = [filter_strip(strip, line_filter, background) for strip in strips]
        start, end = crop.column_span
        if (start, end) != (0, width):
            strips = [strip.crop(start, end) for strip in strips]
        return strips

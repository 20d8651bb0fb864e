"""Line-API widgets drawn without Textual's styles cache when their CSS gives it nothing to do.

Textual sends each line a Line-API widget draws through its styles cache
(borders, padding, outline, tint, opacity, hatch): about 12 µs a line and
50 µs a call on this machine even when the widget has none of them, which is
more than the table's own drawing of a changed row (benchmarks/README.md,
"Dashboard CPU: drawing only what changed").  A :class:`PlainLines` widget
whose styles have none of them returns its own lines, through the app's line
filters as Textual would; with any of them set it falls back to Textual's
path, so a theme or stylesheet that adds a border still gets one.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


class PlainLines(Widget):
    """A Line-API widget (``render_line``) whose plain lines skip the styles cache."""

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
                strips = [strip.apply_filter(line_filter, background) for strip in strips]
        start, end = crop.column_span
        if (start, end) != (0, width):
            strips = [strip.crop(start, end) for strip in strips]
        return strips

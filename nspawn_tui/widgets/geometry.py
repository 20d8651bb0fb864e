"""A widget's content size without asking the compositor.

``Widget.size`` looks the widget up in the compositor's map, which the
compositor first rebuilds after any layout change: read on every poll and
every line drawn, that was a tenth of the dashboard's own time (a py-spy
profile, benchmarks/README.md). Textual keeps each widget's outer size as
its layout pass places it; less the padding and border, that is the same
size, at once and never stale.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widget import Widget


def content_size(widget: Widget) -> Size:
    """``widget.size`` (the content area), from the outer size Textual keeps."""
    return widget.outer_size - widget.styles.gutter.totals

"""The app's modal screens' base: Textual's ``ModalScreen`` with the mended map.

Every modal (confirmations, pickers, prompts, editors, help) derives from
:class:`Modal`, so that a widget removed after a scroll, such as a toast
expiring from a stack taller than the screen, is drawn over again
(:class:`~nspawn_tui.screens.span_compositor.MapCompositor`).
"""

from __future__ import annotations

from textual.screen import ModalScreen, ScreenResultType

from nspawn_tui.screens.span_compositor import use_map_compositor

__all__ = ["Modal"]


class Modal(ModalScreen[ScreenResultType]):
    """A modal screen drawn with a :class:`MapCompositor`."""

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        use_map_compositor(self)

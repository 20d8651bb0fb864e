"""FilterInput: a one-line prompt whose Enter hands the keys typed after it to the list at once.

Over SSH a burst like ``/db`` Enter Space arrives in one read.  The app hands
out the Space once the Enter is done (:mod:`~nspawn_tui.widgets.key_queue`),
but Textual's Input only posts a message on Enter, and the focus would move
when that message is handled: the Space could still be typed into the
filter.  Here Enter runs ``on_enter`` at once (it moves the focus, with
``Screen.set_focus``).
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events

from nspawn_tui.widgets.safe_input import SafeInput


class FilterInput(SafeInput):
    """A :class:`SafeInput` for a list's filter (see the module docstring)."""

    def __init__(
        self, on_enter: Callable[[str], None], *, placeholder: str = "", id: str | None = None
    ) -> None:
        super().__init__(placeholder=placeholder, id=id)
        self._when_entered = on_enter

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._when_entered(self.value)
            return
        await super()._on_key(event)

"""FilterInput: a one-line prompt whose Enter hands the keys typed after it to the list at once.

Over SSH a burst like ``/db`` Enter Space arrives in one read.  The app
forwards each key to the widget focused when it takes the key from its
queue, so Space may already wait in the input's own queue when Enter moves
the focus to the list; Textual's Input would then type it into the filter
(its Enter posts a message, handled too late to prevent that).  Here Enter
runs ``on_enter`` at once (it moves the focus, with ``Screen.set_focus``),
and a key this input receives after its focus has gone is passed on to the
widget that has it now, in the order typed (:class:`SafeInput`).
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
        if self._passed_on(event):  # typed after Enter, queued here: the list's key now
            return
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self._when_entered(self.value)
            return
        await super()._on_key(event)

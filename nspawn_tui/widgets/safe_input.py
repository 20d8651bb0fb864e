"""SafeInput: a one-line Input whose value never holds a control character.

What the user types is plain text, never markup (Textual's Input shows its
value as text).  What the user *pastes* may come from anywhere, a copied log
line among others: Textual's Input would keep an ESC or a bidi override and
send it to the terminal as it draws the value.  SafeInput cleans every
insertion and every value set with :func:`nspawn_tui.safe.clean` (ESC is
``^[``, a bidi override U+FFFD, a tab a space), so the value is what is shown,
cell for cell, and the cursor stays where it is drawn.

Keys take effect in the order typed, even when they arrive in one burst
(:mod:`~nspawn_tui.widgets.keys_in_order`): a key it does not type runs its
binding at once (its own, Backspace, Ctrl+U, the arrows..., or its screen's
and the app's: Escape, Tab), and a key it receives after its focus has gone
(queued here before Enter, Escape or Tab moved it) is passed on to the
widget that has the focus now.
"""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from nspawn_tui.safe import clean
from nspawn_tui.widgets.keys_in_order import run_bindings_now


class SafeInput(Input):
    """An :class:`~textual.widgets.Input` whose value is always clean one-line text."""

    def validate_value(self, value: str) -> str:
        """Every value set (by code or by an edit) is cleaned."""
        return clean(value)

    def replace(self, text: str, start: int, end: int) -> None:
        """Typed and pasted text is cleaned before it goes in, so the cursor lands after it."""
        super().replace(clean(text), start, end)

    async def _on_key(self, event: events.Key) -> None:
        if self._passed_on(event):
            return
        if not (event.is_printable and event.character) and await run_bindings_now(self, event):
            return
        await super()._on_key(event)

    def _passed_on(self, event: events.Key) -> bool:
        """A key queued here before the focus moved away: the focused widget's now."""
        focused = self.screen.focused
        if focused is None or focused is self:
            return False
        event.stop()
        event.prevent_default()
        focused.post_message(events.Key(event.key, event.character))
        return True

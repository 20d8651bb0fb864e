"""SafeInput: a one-line Input whose value never holds a control character.

What the user types is plain text, never markup (Textual's Input shows its
value as text).  What the user *pastes* may come from anywhere, a copied log
line among others: Textual's Input would keep an ESC or a bidi override and
send it to the terminal as it draws the value.  SafeInput cleans every
insertion and every value set with :func:`nspawn_tui.safe.clean` (ESC is
``^[``, a bidi override U+FFFD, a tab a space), so the value is what is shown,
cell for cell, and the cursor stays where it is drawn.
"""

from __future__ import annotations

from textual.widgets import Input

from nspawn_tui.safe import clean


class SafeInput(Input):
    """An :class:`~textual.widgets.Input` whose value is always clean one-line text."""

    def validate_value(self, value: str) -> str:
        """Every value set (by code or by an edit) is cleaned."""
        return clean(value)

    def replace(self, text: str, start: int, end: int) -> None:
        """Typed and pasted text is cleaned before it goes in, so the cursor lands after it."""
        super().replace(clean(text), start, end)

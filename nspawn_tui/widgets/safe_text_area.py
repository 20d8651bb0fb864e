"""SafeTextArea: a TextArea no edit can put a control character into.

Textual's TextArea draws its lines as they are: an ESC pasted into it (from
a copied log line, say) would reach the terminal.  Every edit (typing,
pasting, :meth:`insert`, :meth:`replace`) goes through :meth:`edit`, where
SafeTextArea cleans the text with :func:`clean_edit_text`: newlines and tabs
stay, ``\\r\\n`` becomes ``\\n``, any other control character is shown in
caret notation (``^[``), bidi and invisible format characters as U+FFFD.
Text loaded whole (the constructor, :meth:`load_text`) is the caller's to
check, with :func:`is_editable`.
"""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from nspawn_tui.safe import clean_lines


def clean_edit_text(text: str) -> str:
    """``text`` with its newlines and tabs kept and every other unsafe character made visible."""
    text = text.replace("\r\n", "\n")
    return "\t".join(clean_lines(part) for part in text.split("\t"))


def is_editable(text: str) -> bool:
    """Whether ``text`` can be shown and edited as it is (nothing for the cleaning to change)."""
    return clean_edit_text(text) == text.replace("\r\n", "\n")


class SafeTextArea(TextArea):
    """A :class:`~textual.widgets.TextArea` whose edits are cleaned as they are made."""

    def edit(self, edit: Edit) -> EditResult:
        edit.text = clean_edit_text(edit.text)
        return super().edit(edit)

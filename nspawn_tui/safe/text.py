"""Turn outside text into display text: inert, visible, of a known width.

What becomes what:

* ASCII control characters (C0, ``\\x00``-``\\x1f``) and DEL are shown in
  caret notation as ``cat -v`` and ``less`` do: ESC is ``^[``, BEL ``^G``,
  DEL ``^?``.  A tab becomes spaces; a newline is ``^J`` in one-line text
  and kept by :func:`clean_lines`.
* 8-bit C1 controls (``\\x80``-``\\x9f``, CSI ``\\x9b`` among them),
  bidirectional overrides, embeddings, isolates and marks (U+202A-202E,
  U+2066-2069, U+200E/F, U+061C), zero-width and other invisible format
  characters (Unicode category Cf), line and paragraph separators, and lone
  surrogates (invalid UTF-8 decoded with ``surrogateescape``) become U+FFFD.
* Bytes are decoded as UTF-8 with invalid sequences as U+FFFD.

Double-width and combining characters are kept: they are text, and
:func:`cell_width` measures them the way the widgets do (after cleaning),
so a column never shifts.

Text that needs no change is returned as it is (the same object), after one
C-speed ``str.isprintable`` check: cleaning every field of every poll and
every journal line costs almost nothing when nothing is hostile.
"""

from __future__ import annotations

import re
from typing import Final

from rich.cells import cell_len

#: The placeholder of everything that is not an ASCII control.
REPLACEMENT: Final = "\ufffd"

#: Characters that are never shown as they are.  ``str.isprintable`` is
#: False for all of them (and for some harmless ones, which this leaves).
#: The ranges are Unicode's Cc, Cf, Cs, Zl and Zp categories (a unit test
#: checks them against :mod:`unicodedata`).
_OTHER_UNSAFE: Final = (
    "\x7f-\x9f"  # DEL, C1
    "\xad"  # soft hyphen
    "\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"  # Arabic format, ALM
    "\u180e"  # Mongolian vowel separator
    "\u200b-\u200f"  # zero-width space/joiners, LRM, RLM
    "\u2028-\u202e"  # line/paragraph separators, bidi embeddings and overrides
    "\u2060-\u2064\u2066-\u206f"  # word joiner, invisible operators, bidi isolates
    "\ufeff\ufff9-\ufffb"  # BOM / zero-width no-break space, interlinear annotation
    "\ud800-\udfff"  # lone surrogates
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"  # format controls, tags
)
_UNSAFE: Final = re.compile(f"[\x00-\x1f{_OTHER_UNSAFE}]")
#: the same without the newline (kept by :func:`clean_lines`)
_UNSAFE_KEEP_NEWLINE: Final = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHER_UNSAFE}]")


def _placeholder(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return REPLACEMENT


_CACHE: dict[str, str] = {}


def _replace(match: re.Match[str]) -> str:
    char = match.group()
    shown = _CACHE.get(char)
    if shown is None:
        shown = _CACHE[char] = _placeholder(char)
    return shown


def _decode(text: str | bytes | bytearray | None) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    return text


def clean(text: str | bytes | bytearray | None, *, tab: str = " ") -> str:
    """One line of outside text, safe to show anywhere (a cell, a title, a toast).

    ``None`` is ``""``.  A tab becomes ``tab``; a newline ``^J``.  Idempotent.
    """
    text = _decode(text)
    if text.isprintable():
        return text
    if "\t" in text:
        text = text.replace("\t", tab)
    return _UNSAFE.sub(_replace, text)


def clean_lines(text: str | bytes | bytearray | None, *, tabsize: int = 4) -> str:
    """Several lines of outside text (a journal message): newlines kept, tabs expanded.

    Carriage returns are shown as ``^M`` (they would move the cursor).
    """
    text = _decode(text)
    if text.isprintable():
        return text
    if "\t" in text:
        text = text.expandtabs(tabsize)
    return _UNSAFE_KEEP_NEWLINE.sub(_replace, text)


def is_clean(text: str, *, lines: bool = False) -> bool:
    """True if :func:`clean` (or, with ``lines``, :func:`clean_lines`) would change nothing."""
    if text.isprintable():
        return True
    pattern = _UNSAFE_KEEP_NEWLINE if lines else _UNSAFE
    return pattern.search(text) is None


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes (measure cleaned text only)."""
    return len(text) if text.isascii() else cell_len(text)

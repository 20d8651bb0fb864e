"""What a journal search looks for, with every look bounded in time.

A search is plain text or, after ``re:``, a regular expression; both ignore
case unless the text has a capital letter (:func:`compile_search`).  Plain
text is matched with :mod:`re` (an escaped literal: linear time).  A regular
expression is compiled with the ``regex`` module (Python's syntax, and more),
because it can stop a match after a time limit: with :mod:`re`, a pattern
such as ``(\\w+\\s?)+$x`` takes 0.7 s on one ordinary 100-character line, and
``(a|aa)+$`` longer than the age of the universe on a hostile one, while the
UI waits.  Here one line gets :data:`LINE_TIMEOUT` and a scan of the store
:data:`SCAN_BUDGET` (:mod:`.search`); past either, :class:`SearchTooSlow`
says so and the view drops the search.  Never imports Textual.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from typing import Any, Final

__all__ = [
    "LINE_TIMEOUT",
    "SCAN_BUDGET",
    "SearchError",
    "SearchPattern",
    "SearchTooSlow",
    "compile_search",
]

#: The longest one line may take to search (seconds).
LINE_TIMEOUT: Final = 0.25
#: The longest a search through the store may take (seconds), checked every few lines.
SCAN_BUDGET: Final = 1.0


class SearchError(ValueError):
    """A search pattern that cannot be used, with a message fit to show."""


class SearchTooSlow(SearchError):
    """A search that took too long on a line, or through the lines."""


class SearchPattern:
    """A compiled search: :meth:`found` and :meth:`spans`, each bounded in time."""

    __slots__ = ("_search", "_finditer", "bounded", "text")

    def __init__(self, text: str, compiled: Any, *, bounded: bool) -> None:
        self.text = text  # as typed: "re:..." or plain text
        self.bounded = bounded  # a regular expression: each look has a time limit
        self._search: Callable[..., Any] = compiled.search
        self._finditer: Callable[..., Any] = compiled.finditer

    def __repr__(self) -> str:
        return f"SearchPattern({self.text!r})"

    def too_slow(self, detail: str) -> SearchTooSlow:
        return SearchTooSlow(f"search {self.text!r} is too slow ({detail}): not searched")

    def found(self, text: str) -> bool:
        """Whether the search occurs in ``text``; :class:`SearchTooSlow` past the limit."""
        if not self.bounded:
            return self._search(text) is not None
        try:
            return self._search(text, timeout=LINE_TIMEOUT) is not None
        except TimeoutError:
            raise self.too_slow(f"over {LINE_TIMEOUT:g} s on one line") from None

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the search occurs in ``text`` (non-empty matches), as (start, end)."""
        try:
            found = (
                self._finditer(text, timeout=LINE_TIMEOUT) if self.bounded else self._finditer(text)
            )
            return [match.span() for match in found if match.end() > match.start()]
        except TimeoutError:
            raise self.too_slow(f"over {LINE_TIMEOUT:g} s on one line") from None


def compile_search(text: str) -> SearchPattern:
    """A search as a pattern: ``re:EXPR`` is a regular expression, anything
    else plain text; both ignore case unless the text has a capital letter."""
    is_regex = text.startswith("re:")
    body = text[3:] if is_regex else text
    if not body:
        raise SearchError("empty search")
    if not is_regex:
        flags = 0 if any(c.isupper() for c in body) else re.IGNORECASE
        return SearchPattern(text, re.compile(re.escape(body), flags), bounded=False)
    import regex  # only a regular expression needs it (not loaded before the first frame)

    flags = 0 if any(c.isupper() for c in body) else regex.IGNORECASE
    try:
        # the engines warn about some patterns ("[[": possible nested set) on
        # stderr, which is the terminal the UI draws on: not a word of it
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = regex.compile(body, flags)
    except regex.error as error:
        raise SearchError(f"bad regular expression: {error}") from error
    except (OverflowError, ValueError) as error:  # a{99999999999}: said as OverflowError
        raise SearchError(f"bad regular expression: {error}") from error
    except RecursionError:  # thousands of nested groups
        raise SearchError("bad regular expression: nested too deeply") from None
    return SearchPattern(text, compiled, bounded=True)

"""The one cleaning function for outside text (nspawn_tui.safe)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from nspawn_tui.safe import cell_width, clean, clean_lines, is_clean
from nspawn_tui.widgets.safe_text import plain, safe_strip

#: What the issue's hostile os-release carried.
EVIL = "Evil \x1b[41m\x1b]0;PWNED\x07\x1b]52;c;cHduZWQ=\x07 [/] [bold]B"
UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def test_the_issue_s_os_release_becomes_inert_and_visible() -> None:
    shown = clean(EVIL)
    assert shown == "Evil ^[[41m^[]0;PWNED^G^[]52;c;cHduZWQ=^G [/] [bold]B"
    assert "\x1b" not in shown and "\x07" not in shown


def test_c0_and_del_in_caret_notation_c1_bidi_and_invalid_as_replacement() -> None:
    assert clean("\x00\x01\x1b\x1f\x7f") == "^@^A^[^_^?"
    assert clean("a\x9bb\x85c") == "a\ufffdb\ufffdc"  # 8-bit CSI, NEL
    assert clean("\u202eabc\u2066d\u2069\u200e") == "\ufffdabc\ufffdd\ufffd\ufffd"
    assert clean("zero\u200bwidth\ufeff") == "zero\ufffdwidth\ufffd"
    assert clean("line\u2028sep") == "line\ufffdsep"
    assert clean("bad \udcff byte") == "bad \ufffd byte"  # from surrogateescape
    assert clean(b"bytes \xff\xfe ok") == "bytes \ufffd\ufffd ok"
    assert clean(None) == ""


def test_tabs_and_newlines() -> None:
    assert clean("a\tb\nc\rd") == "a b^Jc^Md"
    assert clean("a\tb", tab="    ") == "a    b"
    assert clean_lines("a\tb\nc\r\n\x1b") == "a   b\nc^M\n^["


def test_text_that_needs_nothing_is_returned_as_it_is() -> None:
    text = "web-01 Debian GNU/Linux 12 (bookworm) 日本語 é"
    assert clean(text) is text
    assert clean_lines("two\nlines") == "two\nlines"


def test_double_width_and_combining_characters_are_kept_and_measured() -> None:
    text = "日本\u0301x"
    assert clean(text) == text
    assert cell_width(clean(text)) == 5  # 2 + 2 + 0 + 1


def test_every_unsafe_character_of_unicode_is_caught() -> None:
    """The regex's ranges against Unicode's own categories (Cc, Cf, Cs, Zl, Zp)."""
    missed = [
        hex(code)
        for code in range(0x110000)
        if _unsafe(chr(code)) and is_clean(chr(code)) and chr(code) != " "
    ]
    assert missed == []


@given(st.text(alphabet=st.characters(codec=None)))
def test_clean_output_is_safe_idempotent_and_single_line(text: str) -> None:
    shown = clean(text)
    assert not any(_unsafe(char) for char in shown)
    assert "\n" not in shown and "\t" not in shown
    assert clean(shown) == shown
    lines = clean_lines(text)
    assert not any(_unsafe(char) for char in lines.replace("\n", ""))
    assert clean_lines(lines) == lines


@given(st.binary())
def test_any_bytes_decode_to_safe_text(data: bytes) -> None:
    shown = clean(data)
    assert not any(_unsafe(char) for char in shown)


def test_plain_is_content_not_markup() -> None:
    content = plain("[/] [@click=app.quit]x[/] \x1b]0;t\x07")
    assert content.plain == "[/] [@click=app.quit]x[/] ^[]0;t^G"
    assert not content.spans


def test_safe_strip_cleans_segments_and_keeps_the_length() -> None:
    strip = Strip([Segment("ok "), Segment("\x1b[2J", Style(bold=True)), Segment(" end")], 12)
    safe = safe_strip(strip)
    assert safe.text == "ok ^[[2J end"
    assert safe.cell_length == 12
    long = safe_strip(Strip([Segment("\x1b\x1b\x1b")], 3))  # claimed 3 cells: cut to 3
    assert long.text == "^[^" and long.cell_length == 3
    untouched = Strip([Segment("fine")], 4)
    assert safe_strip(untouched) is untouched

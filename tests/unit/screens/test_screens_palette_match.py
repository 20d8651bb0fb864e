"""The palette's word matching: each word of the query against a different word, any order."""

from __future__ import annotations

import pytest
from textual.style import Style

from nspawn_tui.screens.palette import highlight, match_words, word_score


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("shell web", "Shell web"),
        ("web shell", "Shell web"),
        ("sh we", "Sh we"),
        ("SH WE", "Sh we"),
        ("shl wb", "Shl wb"),
    ],
)
def test_both_words_in_any_order(query: str, marked: str) -> None:
    """``marked``: the letters of "Shell web" the palette highlights."""
    found = match_words(query, "Shell web")
    assert found is not None
    score, offsets = found
    assert 0 < score <= 1
    assert offsets == sorted(offsets)
    shown = "".join("Shell web"[i] for i in offsets)
    assert shown == marked.replace(" ", "")


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("shell web", "Logs web"),  # "shell" matches no word
        ("web web", "Shell web"),  # one word of the text cannot count twice
        ("shell", ""),
        ("", "Shell web"),
        ("xyz", "Shell web"),
    ],
)
def test_no_match(query: str, text: str) -> None:
    assert match_words(query, text) is None


def test_better_matches_score_higher() -> None:
    def score(query: str, text: str) -> float:
        found = match_words(query, text)
        assert found is not None, (query, text)
        return found[0]

    assert score("shell web", "Shell web") > score("shell web", "Shell webmail")
    assert score("shell web", "Shell webmail") > score("shell web", "Shell ci-weber")
    assert score("shell web", "Shell web") > score("sh we", "Shell web")
    assert score("logs web", "Logs web") == 1.0
    # a fleet name: the part after the host counts as a word of its own
    assert score("shell web", "Shell demo2/web") > score("shell web", "Shell demo2/webmail")
    assert score("shell demo2/web", "Shell demo2/web") == 1.0


def test_word_score_kinds_and_offsets() -> None:
    assert word_score("web", "web") == (1.0, [0, 1, 2])
    prefix = word_score("we", "web")
    assert prefix is not None and 0.7 < prefix[0] < 1 and prefix[1] == [0, 1]
    part = word_score("web", "demo2/web")
    assert part == (0.9, [6, 7, 8])
    inside = word_score("runn", "ci-xrunner")
    assert inside is not None and 0.5 <= inside[0] < 0.7 and inside[1] == [4, 5, 6, 7]
    spread = word_score("wb", "web")
    assert spread is not None and spread[0] < 0.5 and spread[1] == [0, 2]
    assert word_score("bw", "web") is None  # letters out of order


def test_highlight_is_inert_content() -> None:
    text = "Logs [@click=app.quit]ct[/]"
    content = highlight(text, [0, 1], Style(bold=True))
    assert content.plain == text  # no markup parsed
    spans = [(span.start, span.end) for span in content.spans]
    assert spans == [(0, 1), (1, 2)]

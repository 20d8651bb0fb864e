"""The new container's name: machined's rules and names already taken (a table)."""

from __future__ import annotations

import pytest

from nspawn_tui.create.names import validate_name

TAKEN = frozenset({"web", "db.example"})


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        (".host", "host itself"),
        ("a" * 65, "at most 64"),
        (".web", "start or end with '.'"),
        ("web.", "start or end with '.'"),
        ("a..b", "'..'"),
        ("-web", "cannot start or end with '-'"),
        ("web-", "cannot start or end with '-'"),
        ("we b", "U+0020"),
        ("web/1", "'/' is not allowed"),
        ("wéb", "'é' is not allowed"),
        ("web_1", "'_' is not allowed"),
        ("web\x1b[31m", "U+001B"),
        ("web", "exists already"),
        ("db.example", "exists already"),
    ],
)
def test_refused(name: str, words: str) -> None:
    problem = validate_name(name, TAKEN)
    assert problem is not None
    assert words in problem


@pytest.mark.parametrize("name", ["web2", "a", "a" * 64, "Web-1.lab", "x.y.z", "0"])
def test_accepted(name: str) -> None:
    assert validate_name(name, TAKEN) is None

"""images/names.py: new image names as systemd checks them, limits in machinectl's syntax."""

from __future__ import annotations

import pytest

from nspawn_tui.images.names import (
    NAME_MAX,
    NO_LIMIT,
    ImageNameError,
    check_name,
    format_image_limit,
    name_problem,
    parse_image_limit,
)


@pytest.mark.parametrize(
    "name",
    ["web", "debian-12", "a", "A.b.c", "x" * NAME_MAX, "ntl-img-b-copy", "0", "web.example.org"],
)
def test_valid_names(name: str) -> None:
    assert name_problem(name) is None
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "empty"),
        (".host", "host itself"),
        ("x" * (NAME_MAX + 1), "at most 64"),
        ("a_b", "'_' is not allowed"),
        ("a b", "U+0020"),
        ("a/b", "'/' is not allowed"),
        ("caf\u00e9", "'\u00e9' is not allowed"),
        ("a\x1bb", "U+001B"),
        ("-web", "start or end with '-'"),
        ("web-", "start or end with '-'"),
        ("a.-b", "start or end with '-'"),
        (".web", "'.'"),
        ("web.", "'.'"),
        ("a..b", "'..'"),
        ("[b]x", "'[' is not allowed"),
    ],
)
def test_invalid_names_say_why(name: str, words: str) -> None:
    problem = name_problem(name)
    assert problem is not None and words in problem, problem
    with pytest.raises(ImageNameError, match="."):
        check_name(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10G", 10 * 2**30),
        ("512M", 512 * 2**20),
        ("1.5T", 3 * 2**39),
        ("4096", 4096),
        ("  2G ", 2 * 2**30),
        ("1K", 1024),
        ("none", NO_LIMIT),
        ("infinity", NO_LIMIT),
        ("-", NO_LIMIT),
        ("NONE", NO_LIMIT),
    ],
)
def test_limits_parse_like_machinectl(text: str, expected: int) -> None:
    assert parse_image_limit(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "give a size"),
        ("ten", "is not a size"),
        ("10g", "is not a size"),  # systemd's suffixes are upper case
        ("10%", "is not a size"),
        ("-5G", "is not a size"),
        ("0", "no room"),
        ("16E", "too large"),
    ],
)
def test_bad_limits_say_what_is_accepted(text: str, words: str) -> None:
    with pytest.raises(ImageNameError) as refused:
        parse_image_limit(text)
    assert words in refused.value.message


def test_limits_format_back() -> None:
    assert format_image_limit(None) == "none"
    assert format_image_limit(NO_LIMIT) == "none"
    assert format_image_limit(10 * 2**30) == "10G"
    assert format_image_limit(1000) == "1000"
    for text in ("10G", "512M", "3K", "none"):
        assert format_image_limit(parse_image_limit(text)) == text

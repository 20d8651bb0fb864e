"""``--listen`` parsing and when a token is needed (nspawn_tui.web.listen)."""

from __future__ import annotations

import socket

import pytest

from nspawn_tui.web.listen import (
    MIN_TOKEN,
    Listen,
    ListenError,
    decide_token,
    page_url,
    parse_listen,
)


@pytest.mark.parametrize(
    ("text", "host", "port", "loopback"),
    [
        ("127.0.0.1:8750", "127.0.0.1", 8750, True),
        ("127.0.0.1:0", "127.0.0.1", 0, True),
        ("127.1.2.3:80", "127.1.2.3", 80, True),
        ("localhost:9000", "localhost", 9000, True),
        ("LOCALHOST:9000", "LOCALHOST", 9000, True),
        ("[::1]:8750", "::1", 8750, True),
        ("[::1]", "::1", 8750, True),
        ("9000", "127.0.0.1", 9000, True),
        ("127.0.0.1", "127.0.0.1", 8750, True),
        ("0.0.0.0:8750", "0.0.0.0", 8750, False),
        ("[::]:8750", "::", 8750, False),
        ("192.168.1.5:65535", "192.168.1.5", 65535, False),
        ("myhost.example:8750", "myhost.example", 8750, False),
        ("  10.0.0.1:1  ", "10.0.0.1", 1, False),
    ],
)
def test_listen_parsed(text: str, host: str, port: int, loopback: bool) -> None:
    listen = parse_listen(text)
    assert listen == Listen(host, port)
    assert listen.loopback is loopback


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "needs ADDRESS:PORT"),
        (":8750", "has no address"),
        ("127.0.0.1:", "from 0 to 65535"),
        ("127.0.0.1:65536", "from 0 to 65535"),
        ("127.0.0.1:-1", "from 0 to 65535"),
        ("127.0.0.1:http", "from 0 to 65535"),
        ("::1", "in brackets"),
        ("::1:8750", "in brackets"),
        ("[::1", "not [IPV6]:PORT"),
        ("[::1]8750", "not [IPV6]:PORT"),
        ("[127.0.0.1]:80", "not an IPv6 address"),
        ("[nonsense]:80", "not an IPv6 address"),
        ("bad host:80", "not an address or host name"),
        ("-oops:80", "not an address or host name"),
    ],
)
def test_bad_listen_refused(text: str, says: str) -> None:
    with pytest.raises(ListenError, match=says.replace("[", r"\[").replace("]", r"\]")):
        parse_listen(text)


def test_loopback_needs_no_token_but_takes_one() -> None:
    assert decide_token(Listen("127.0.0.1", 8750), None) is None
    given = "x" * MIN_TOKEN
    assert decide_token(Listen("127.0.0.1", 8750), given) == given


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "myhost.example"])
def test_off_loopback_always_has_a_token(host: str) -> None:
    first = decide_token(Listen(host, 8750), None)
    second = decide_token(Listen(host, 8750), None)
    assert first is not None and second is not None
    assert len(first) >= 32 and first != second  # generated, unguessable
    assert decide_token(Listen(host, 8750), "given-token-0123456789") == "given-token-0123456789"


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("short", "at least"),
        ("", "only letters"),
        ("has space in it 0123", "only letters"),
        ("quote'and\"more0123456", "only letters"),
        ("semi;colon0123456789", "only letters"),
    ],
)
def test_bad_tokens_refused(token: str, says: str) -> None:
    with pytest.raises(ListenError, match=says):
        decide_token(Listen("0.0.0.0", 8750), token)


def test_page_url() -> None:
    assert page_url("127.0.0.1", 8750, None) == "http://127.0.0.1:8750/"
    assert page_url("::1", 80, "abc") == "http://[::1]:80/?token=abc"
    assert page_url("0.0.0.0", 1, "t") == f"http://{socket.gethostname()}:1/?token=t"
